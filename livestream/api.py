"""REST API of live streams, mounted at /api/live/."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from livestream import selectors, services
from livestream.models import ChannelRole
from livestream.serializers import (
    BanOutput,
    ChannelRoleOutput,
    CommentOutput,
    ModerationResultOutput,
    StreamCreateInput,
    StreamOutput,
    UsernameInput,
)
from realtime.api import request_user, validated
from realtime.events import UserBrief


class StreamViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Streams: live ones first, then scheduled, then ended; newest first."""

    serializer_class = StreamOutput
    lookup_value_regex = r"\d+"

    def get_queryset(self) -> Any:
        return selectors.stream_list()

    @extend_schema(request=StreamCreateInput, responses={201: StreamOutput})
    def create(self, request: Request) -> Response:
        data = StreamCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        stream = services.stream_create(streamer=request_user(request), title=data.validated_data["title"])
        return Response(StreamOutput(selectors.stream_get(stream_id=stream.pk)).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: StreamOutput})
    @action(detail=True, methods=["post"])
    def start(self, request: Request, pk: str) -> Response:
        services.stream_start(stream_id=int(pk), user=request_user(request))
        return Response(StreamOutput(selectors.stream_get(stream_id=int(pk))).data)

    @extend_schema(request=None, responses={200: StreamOutput})
    @action(detail=True, methods=["post"])
    def end(self, request: Request, pk: str) -> Response:
        stream = services.stream_end(stream_id=int(pk), user=request_user(request))
        return Response(StreamOutput(stream).data)

    @extend_schema(responses={200: CommentOutput(many=True)})
    @action(detail=True, methods=["get"])
    def comments(self, request: Request, pk: str) -> Response:
        queryset = selectors.comment_list(stream_id=int(pk))
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(CommentOutput(page, many=True).data)

    @extend_schema(
        request=UsernameInput,
        responses={200: ModerationResultOutput},
        description="Streamer or moderator: disconnect the user from this stream (4403); they cannot rejoin it. "
        "Only the streamer can kick a moderator; a banned moderator has no rights (403).",
    )
    @action(detail=True, methods=["post"])
    def kick(self, request: Request, pk: str) -> Response:
        return self._moderate(request, int(pk), services.user_kick, "kicked")

    @extend_schema(
        request=UsernameInput,
        responses={200: ModerationResultOutput},
        description="Streamer or moderator: ban the user from every stream of this streamer; their sockets on all of "
        "those streams close 4403 at once. Only the streamer can ban a moderator; "
        "a banned moderator has no rights (403).",
    )
    @action(detail=True, methods=["post"])
    def ban(self, request: Request, pk: str) -> Response:
        return self._moderate(request, int(pk), services.user_ban, "banned")

    def _moderate(self, request: Request, stream_id: int, service: Callable[..., object], done: str) -> Response:
        """Kick or ban the user named in the body; the answer says who and what was done."""
        data = UsernameInput(data=request.data)
        data.is_valid(raise_exception=True)
        target = selectors.user_by_username(username=data.validated_data["username"])
        service(stream_id=stream_id, actor=request_user(request), target=target)
        return Response({"stream": stream_id, "user": UserBrief.of(target).data(), "action": done})


# DELETE names the user in a body {username} or as ?username=
_role_params = [OpenApiParameter("username", str, required=False, description="for DELETE, instead of a body")]


def _deleted_username(request: Request) -> str:
    payload = request.data if isinstance(request.data, dict) and request.data.get("username") else request.query_params
    data = validated(UsernameInput, {"username": payload.get("username")})
    return data["username"]


@extend_schema(
    request=UsernameInput,
    responses={200: ChannelRoleOutput(many=True), 201: ChannelRoleOutput(many=True)},
)
class _ChannelRoleView(APIView):
    """The requesting user's own channel: list, add (POST {username}), remove (DELETE {username} or ?username=)."""

    role: str = ""

    def get(self, request: Request) -> Response:
        roles = selectors.channel_role_list(streamer=request_user(request), role=self.role)
        return Response(ChannelRoleOutput(roles, many=True).data)

    def post(self, request: Request) -> Response:
        data = UsernameInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.channel_role_add(
            streamer=request_user(request), username=data.validated_data["username"], role=self.role
        )
        roles = selectors.channel_role_list(streamer=request_user(request), role=self.role)
        return Response(ChannelRoleOutput(roles, many=True).data, status=status.HTTP_201_CREATED)

    @extend_schema(parameters=_role_params, request=UsernameInput, responses={204: None})
    def delete(self, request: Request) -> Response:
        username = _deleted_username(request)
        services.channel_role_remove(streamer=request_user(request), username=username, role=self.role)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ModeratorsView(_ChannelRoleView):
    role = ChannelRole.Role.MODERATOR


class VipsView(_ChannelRoleView):
    role = ChannelRole.Role.VIP


class BansView(APIView):
    """The requesting streamer's bans: list, and unban (DELETE {username} or ?username=).

    Banning is per stream action (`POST /api/live/streams/<id>/ban/`, by the streamer or a moderator).
    """

    @extend_schema(responses={200: BanOutput(many=True)})
    def get(self, request: Request) -> Response:
        return Response(BanOutput(selectors.ban_list(streamer=request_user(request)), many=True).data)

    @extend_schema(parameters=_role_params, request=UsernameInput, responses={204: None})
    def delete(self, request: Request) -> Response:
        services.ban_remove(streamer=request_user(request), username=_deleted_username(request))
        return Response(status=status.HTTP_204_NO_CONTENT)
