"""REST API of notifications. Same services as the socket's `mark_read` / `mark_all_read`."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from notifications import selectors, services
from notifications.serializers import (
    MarkAllReadOutput,
    NotificationGroupOutput,
    NotificationListQueryInput,
    NotificationOutput,
    UnreadCountOutput,
)
from realtime.api import request_user, validated
from realtime.pagination import BoundedLimitOffsetPagination

LIST_PARAMETERS = [
    OpenApiParameter("unread", bool, description="Only unread notifications."),
    OpenApiParameter(
        "grouped",
        bool,
        description='One entry per group_key ("alice and 3 others liked your post") instead of one per notification.',
    ),
    OpenApiParameter("limit", int),
    OpenApiParameter("offset", int),
]


class NotificationViewSet(viewsets.GenericViewSet):
    """Your notifications: the list, the unread counter, mark one read, mark all read."""

    permission_classes = [IsAuthenticated]
    pagination_class = BoundedLimitOffsetPagination
    serializer_class = NotificationOutput
    lookup_url_kwarg = "notification_id"
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        return selectors.notification_list(user=request_user(self.request), unread_only=False)

    @extend_schema(
        parameters=LIST_PARAMETERS,
        responses={200: NotificationOutput(many=True)},
        description=(
            "Newest first, paginated (limit/offset). With grouped=true each entry is a group (see NotificationGroup)."
        ),
    )
    def list(self, request: Request) -> Response:
        query = validated(NotificationListQueryInput, request.query_params)
        paginator = self.pagination_class()
        unread_only = query["unread"]
        if query["grouped"]:
            groups = paginator.paginate_queryset(
                selectors.notification_group_list(user=request_user(request), unread_only=unread_only),
                request,
                view=self,
            )
            expanded = selectors.notification_groups_expand(
                user=request_user(request), groups=list(groups or []), unread_only=unread_only
            )
            return paginator.get_paginated_response(NotificationGroupOutput(expanded, many=True).data)
        page = paginator.paginate_queryset(
            selectors.notification_list(user=request_user(request), unread_only=unread_only), request, view=self
        )
        return paginator.get_paginated_response(NotificationOutput(page, many=True).data)

    @extend_schema(responses={200: UnreadCountOutput})
    @action(detail=False, methods=["get"], url_path="unread-count", url_name="unread-count")
    def unread_count(self, request: Request) -> Response:
        return Response({"count": selectors.unread_count(user_id=request_user(request).pk)})

    @extend_schema(
        request=None, responses={200: NotificationOutput, 404: OpenApiResponse(description="Not yours or unknown.")}
    )
    @action(detail=True, methods=["post"])
    def read(self, request: Request, notification_id: str) -> Response:
        notification = services.notification_mark_read(user=request_user(request), notification_id=int(notification_id))
        return Response(NotificationOutput(notification).data)

    @extend_schema(request=None, responses={200: MarkAllReadOutput})
    @action(detail=False, methods=["post"], url_path="read-all", url_name="read-all")
    def read_all(self, request: Request) -> Response:
        marked = services.notification_mark_all_read(user=request_user(request))
        data: dict[str, Any] = {"marked": marked, "count": selectors.unread_count(user_id=request_user(request).pk)}
        return Response(data, status=status.HTTP_200_OK)
