"""REST API of accounts: registration, JWT, users, profiles and follows."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, Throttled
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.serializers import TokenObtainPairSerializer
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView

from accounts import selectors, services
from accounts.lockout import lockout_for
from accounts.models import User
from accounts.pagination import BoundedLimitOffsetPagination
from accounts.serializers import (
    LogoutInput,
    MeOutput,
    ProfileUpdateInput,
    RegisteredUserOutput,
    RegisterInput,
    TokenRefreshInput,
    UserProfileOutput,
    UserSearchInput,
    UserSummaryOutput,
)
from realtime.api import request_user, validated
from realtime.throttles import LoginIPThrottle, LoginUsernameThrottle, RefreshThrottle, RegisterThrottle

THROTTLED = OpenApiResponse(
    description="Rate limited: `Retry-After` header; body `{detail, code: throttled, limited, retry_after}`."
)


class LoginLockedOut(Throttled):
    """429 for a locked-out login (accounts.lockout), with the same body as a throttle."""

    def __init__(self, *, message: str, retry_after: int) -> None:
        super().__init__(wait=retry_after)
        self.scope = "login_lockout"
        self.message = message


class TokenObtainView(TokenObtainPairView):
    """Obtain `{access, refresh}`; limited per address and per username; locked-out logins get 429."""

    throttle_classes = [LoginIPThrottle, LoginUsernameThrottle]

    @extend_schema(
        responses={
            200: TokenObtainPairSerializer,
            401: OpenApiResponse(description="Wrong credentials."),
            429: THROTTLED,
        }
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        username = request.data.get("username") if isinstance(request.data, dict) else None
        lockout = lockout_for(request, username if isinstance(username, str) else None)
        if lockout is not None:
            raise LoginLockedOut(message=lockout.summary, retry_after=lockout.retry_after)
        return super().post(request, *args, **kwargs)


class TokenRefreshRotateView(TokenRefreshView):
    """Trade a refresh token for `{access, refresh}`: the new refresh token replaces the old, which is blacklisted."""

    serializer_class = TokenRefreshInput
    throttle_classes = [RefreshThrottle]

    @extend_schema(
        responses={
            200: TokenRefreshInput,
            401: OpenApiResponse(description="Invalid, used or revoked token."),
            429: THROTTLED,
        }
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().post(request, *args, **kwargs)


class LogoutView(APIView):
    """Revoke a refresh token (blacklist it). Sockets: session logout closes that session's sockets;
    JWT sockets close when their access token expires."""

    permission_classes = [AllowAny]
    # JWT only (no session: no CSRF needed); it also makes a bad token a 401, not a 403.
    authentication_classes = [JWTAuthentication]
    throttle_classes = [RefreshThrottle]

    @extend_schema(
        request=LogoutInput,
        responses={
            204: None,
            401: OpenApiResponse(description="Invalid, expired or already revoked token."),
            429: THROTTLED,
        },
        auth=[],
    )
    def post(self, request: Request) -> Response:
        data = validated(LogoutInput, request.data)
        services.refresh_token_revoke(token=data["refresh"])
        return Response(status=status.HTTP_204_NO_CONTENT)


def user_or_404(username: str) -> User:
    """The active user with that exact username, or a 404 (also for names no user can have)."""
    # PostgreSQL refuses NUL in text parameters (a 500); such a name cannot exist anyway.
    if "\x00" in username or len(username) > 150:
        raise NotFound("User not found.")
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise NotFound("User not found.")
    return user


class RegisterView(APIView):
    """Create an account. Open to anyone; the response never contains the password."""

    permission_classes = [AllowAny]
    # No session authentication: a logged-in browser must not need a CSRF token to register someone else.
    authentication_classes: list = []
    throttle_classes = [RegisterThrottle]

    @extend_schema(request=RegisterInput, responses={201: RegisteredUserOutput, 429: THROTTLED}, auth=[])
    def post(self, request: Request) -> Response:
        data = validated(RegisterInput, request.data)
        user = services.user_register(**data)
        return Response(RegisteredUserOutput(user).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(parameters=[OpenApiParameter("search", str, description="Part of a username or display name.")]),
)
class UserViewSet(viewsets.GenericViewSet):
    """Users and their profiles; `/me/` is the requester; follow/unfollow and the follow lists."""

    serializer_class = UserSummaryOutput
    pagination_class = BoundedLimitOffsetPagination
    lookup_field = "username"
    lookup_value_regex = r"[^/]+"

    def get_queryset(self) -> QuerySet[User]:
        return selectors.user_profiles(viewer=request_user(self.request))

    def _profile(self, username: str) -> User:
        if "\x00" in username:
            raise NotFound("User not found.")
        profile = selectors.user_profile_get(username=username, viewer=request_user(self.request))
        if profile is None:
            raise NotFound("User not found.")
        return profile

    def _page(self, queryset: QuerySet[User]) -> Response:
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(UserSummaryOutput(page, many=True).data)

    def list(self, request: Request) -> Response:
        params = validated(UserSearchInput, request.query_params)
        return self._page(selectors.user_list(search=params["search"]))

    @extend_schema(responses=UserProfileOutput)
    def retrieve(self, request: Request, username: str) -> Response:
        return Response(UserProfileOutput(self._profile(username)).data)

    @extend_schema(methods=["GET"], responses=MeOutput)
    @extend_schema(methods=["PATCH"], request=ProfileUpdateInput, responses=MeOutput)
    @action(detail=False, methods=["get", "patch"], url_path="me")
    def me(self, request: Request) -> Response:
        if request.method == "PATCH":
            data = validated(ProfileUpdateInput, request.data, partial=True)
            services.user_profile_update(user=request_user(request), data=data)
        return Response(MeOutput(self._profile(request.user.username)).data)

    @extend_schema(
        methods=["POST"],
        request=None,
        responses={
            200: UserProfileOutput,
            201: UserProfileOutput,
            400: OpenApiResponse(description="Following yourself."),
        },
        description="Follow the user. Idempotent: 201 when the follow is new, 200 when it already existed.",
    )
    @extend_schema(
        methods=["DELETE"], request=None, responses={204: None}, description="Unfollow the user. Idempotent."
    )
    @action(detail=True, methods=["post", "delete"])
    def follow(self, request: Request, username: str) -> Response:
        followee = user_or_404(username)
        if request.method == "DELETE":
            services.follow_delete(follower=request_user(request), followee=followee)
            return Response(status=status.HTTP_204_NO_CONTENT)
        _, created = services.follow_create(follower=request_user(request), followee=followee)
        return Response(
            UserProfileOutput(self._profile(followee.username)).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    @extend_schema(responses=UserSummaryOutput(many=True))
    @action(detail=True, methods=["get"])
    def followers(self, request: Request, username: str) -> Response:
        return self._page(selectors.followers_of(user=user_or_404(username)))

    @extend_schema(responses=UserSummaryOutput(many=True))
    @action(detail=True, methods=["get"])
    def following(self, request: Request, username: str) -> Response:
        return self._page(selectors.following_of(user=user_or_404(username)))

    def get_serializer_class(self) -> Any:
        return UserProfileOutput if self.action == "retrieve" else UserSummaryOutput
