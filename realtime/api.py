"""DRF glue shared by every app: one error body shape, logged without secrets."""

from __future__ import annotations

import logging
import math
from typing import TYPE_CHECKING, Any

from asgiref.sync import async_to_sync
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import AllowAny, IsAdminUser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from realtime.errors import ServiceError
from realtime.stats import cluster_stats
from realtime.throttles import DESCRIPTIONS

if TYPE_CHECKING:
    from accounts.models import User

logger = logging.getLogger("api")


def validated(input_class: type[serializers.Serializer], data: Any, **kwargs: Any) -> dict[str, Any]:
    """`data` checked by an `*Input` serializer: its validated data, or a 400 that names each bad field."""
    serializer = input_class(data=data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def request_user(request: Request) -> User:
    """The user of a request behind `IsAuthenticated` (the default permission), typed as the user model.

    Services and selectors take a `User`; an anonymous request never reaches them.
    """
    if not request.user.is_authenticated:
        raise exceptions.NotAuthenticated()
    return request.user


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Turn service and Django errors into DRF responses with a clear body.

    Body: `{"detail": "...", "code": "..."}` or, for field errors,
    `{"detail": "Invalid input.", "code": "invalid", "errors": {...}}`.
    """
    if isinstance(exc, ServiceError):
        exc = exc.as_api_exception()
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.Throttled):
        response.data = _throttled_body(exc, context)
    elif isinstance(exc, exceptions.ValidationError):
        errors = response.data
        response.data = {"detail": _first_message(errors), "code": "invalid", "errors": errors}
    elif isinstance(response.data, dict) and "detail" in response.data:
        detail = response.data["detail"]
        response.data = {
            "detail": str(detail),
            "code": getattr(detail, "code", None) or _code_for(response.status_code),
        }
    view = context.get("view")
    logger.info(
        "api_error",
        extra={
            "status": response.status_code,
            "view": type(view).__name__ if view else None,
            "code": response.data.get("code"),
        },
    )
    return response


def _throttled_body(exc: exceptions.Throttled, context: dict[str, Any]) -> dict[str, Any]:
    """429 body: what is limited and when to retry (the same number as the Retry-After header)."""
    request = context.get("request")
    scope = getattr(exc, "scope", None) or getattr(request, "_throttled_scope", None) or "requests"
    wait: float | None = getattr(exc, "wait", None)
    retry_after = max(1, math.ceil(wait)) if wait is not None else None
    what = DESCRIPTIONS.get(scope, "requests")
    detail = getattr(exc, "message", None) or f"Too many {what}."
    if retry_after is not None:
        detail = f"{detail} Retry in {retry_after} seconds."
    return {"detail": detail, "code": "throttled", "limited": scope, "retry_after": retry_after}


def _first_message(errors: Any, path: str = "") -> str:
    if isinstance(errors, dict):
        for key, value in errors.items():
            label = f"{path}.{key}" if path else str(key)
            if key == "non_field_errors":
                label = path
            return _first_message(value, label)
    if isinstance(errors, list) and errors:
        if all(isinstance(e, (str,)) or hasattr(e, "code") for e in errors):
            text = str(errors[0])
            return f"{path}: {text}" if path else text
        for index, value in enumerate(errors):
            if value:
                return _first_message(value, f"{path}[{index}]" if path else f"[{index}]")
    return "Invalid input."


def _code_for(status_code: int) -> str:
    return {
        status.HTTP_401_UNAUTHORIZED: "not_authenticated",
        status.HTTP_403_FORBIDDEN: "permission_denied",
        status.HTTP_404_NOT_FOUND: "not_found",
        status.HTTP_405_METHOD_NOT_ALLOWED: "method_not_allowed",
        status.HTTP_429_TOO_MANY_REQUESTS: "throttled",
    }.get(status_code, "error")


class ApiRootView(APIView):
    """Entry point of the browsable API: links to every resource. WebSocket events: docs/protocol.md."""

    permission_classes = [AllowAny]
    schema = None

    ENDPOINTS = {
        "register": "/api/auth/register/",
        "token": "/api/auth/token/",
        "token_refresh": "/api/auth/token/refresh/",
        "logout": "/api/auth/logout/",
        "users": "/api/users/",
        "me": "/api/users/me/",
        "posts": "/api/posts/",
        "feed": "/api/feed/",
        "items": "/api/items/",
        "chat_conversations": "/api/chat/conversations/",
        "notifications": "/api/notifications/",
        "live_streams": "/api/live/streams/",
        "rtc_rooms": "/api/rtc/rooms/",
        "rtc_config": "/api/rtc/config/",
        "stats": "/api/stats/",
        "schema": "/api/schema/",
        "docs": "/api/docs/",
    }

    def get(self, request: Request) -> Response:
        return Response({name: request.build_absolute_uri(path) for name, path in self.ENDPOINTS.items()})


class _ProcessStatsSerializer(serializers.Serializer):
    process = serializers.CharField(help_text="host:pid")
    pid = serializers.IntegerField()
    sockets = serializers.IntegerField(help_text="Open authenticated sockets on this process.")
    messages = serializers.IntegerField(help_text="Chat messages stored by this process since it started.")
    started = serializers.FloatField(help_text="Epoch seconds.")
    ts = serializers.FloatField(help_text="When the process last reported (epoch seconds).")


class _LiveStreamStatsSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    viewers = serializers.IntegerField()


class _LiveStatsSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="Streams live now.")
    viewers = serializers.IntegerField(help_text="Viewers over every live stream.")
    streams = _LiveStreamStatsSerializer(many=True)


class _RoomStatsSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="Rooms with at least one participant.")
    participants = serializers.IntegerField()


class _TaskStatsSerializer(serializers.Serializer):
    queued = serializers.IntegerField()
    oldest_age_seconds = serializers.FloatField()
    failed = serializers.IntegerField(help_text="Failed results kept in the database.")


class StatsSerializer(serializers.Serializer):
    ts = serializers.CharField()
    sockets = serializers.IntegerField(help_text="Open sockets over every process.")
    online_users = serializers.IntegerField()
    presence_entries = serializers.IntegerField()
    active_conversations = serializers.IntegerField(help_text="Conversations with a message in the last 5 minutes.")
    messages_last_minute = serializers.IntegerField()
    messages_per_second = serializers.FloatField(help_text="messages_last_minute / 60.")
    live = _LiveStatsSerializer()
    rooms = _RoomStatsSerializer()
    tasks = _TaskStatsSerializer()
    processes = _ProcessStatsSerializer(many=True)


class StatsView(APIView):
    """Cluster-wide live figures for staff (the seeds' `/webrtc/stats`).

    The stats page streams the same over the socket."""

    permission_classes = [IsAdminUser]

    @extend_schema(responses={200: StatsSerializer, 401: OpenApiTypes.OBJECT, 403: OpenApiTypes.OBJECT})
    def get(self, request: Request) -> Response:
        return Response(async_to_sync(cluster_stats)())
