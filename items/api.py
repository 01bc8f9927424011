"""REST API of items: /api/items/ (CRUD), /bulk/, /bulk/status/, /<id>/process/.

Views validate input with a serializer, call one service or selector and
serialize the result. Others' items are outside the queryset, hence 404.

The gRTC seed's forms are aliases of the same views (README, "Seed contracts"): every URL also
without its trailing slash (`items/urls.py`), `POST /bulk` with a bare JSON list, `PATCH
/bulk/status?new_status=` with a bare list of ids, `?skip=` for `?offset=` (the pagination class).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response

from items import selectors, services
from items.models import USER_STATUSES, Item, ItemStatus
from items.serializers import (
    ItemBulkCreateInput,
    ItemBulkCreateOutput,
    ItemBulkStatusInput,
    ItemBulkStatusOutput,
    ItemInput,
    ItemListQueryInput,
    ItemOutput,
    ItemUpdateInput,
)
from realtime.api import request_user, validated
from realtime.pagination import BoundedLimitOffsetPagination


class FullBodyPatchSchema(AutoSchema):
    """PATCH /bulk/status/ takes a complete body; spectacular would mark every PATCH body field optional."""

    def _get_request_for_media_type(self, serializer: Any, direction: str = "request") -> Any:
        method = self.method
        self.method = "POST"
        try:
            return super()._get_request_for_media_type(serializer, direction)
        finally:
            self.method = method


ERROR_RESPONSE = OpenApiResponse(OpenApiTypes.OBJECT, description='`{"detail", "code", "errors"?}`')

STATUS_PARAMETER = OpenApiParameter(
    "status",
    str,
    enum=ItemStatus.values,
    required=False,
    description="Only items in this status. Any other value is a 400 naming the allowed values.",
)


@extend_schema_view(
    list=extend_schema(parameters=[STATUS_PARAMETER], responses={200: ItemOutput(many=True), 400: ERROR_RESPONSE}),
    retrieve=extend_schema(responses={200: ItemOutput, 404: ERROR_RESPONSE}),
    create=extend_schema(request=ItemInput, responses={201: ItemOutput, 400: ERROR_RESPONSE}),
    update=extend_schema(
        request=ItemUpdateInput, responses={200: ItemOutput, 400: ERROR_RESPONSE, 404: ERROR_RESPONSE}
    ),
    partial_update=extend_schema(
        request=ItemUpdateInput, responses={200: ItemOutput, 400: ERROR_RESPONSE, 404: ERROR_RESPONSE}
    ),
    destroy=extend_schema(responses={204: None, 404: ERROR_RESPONSE}),
)
class ItemViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Items of the current user (staff: all items)."""

    serializer_class = ItemOutput
    pagination_class = BoundedLimitOffsetPagination
    # JSON only: with form data an empty "status" would silently mean "the default".
    parser_classes = [JSONParser]
    queryset = Item.objects.none()  # for schema generation; requests use get_queryset()
    # Any path segment reaches the view, so "/api/items/0.5/" is the API's JSON 404, not an HTML page.
    lookup_value_regex = "[^/]+"

    def get_queryset(self) -> QuerySet[Item]:
        if getattr(self, "swagger_fake_view", False):
            return Item.objects.none()
        if self.action == "list":
            query = validated(ItemListQueryInput, self.request.query_params)
            return selectors.item_list_for_user(user=request_user(self.request), status=query.get("status"))
        return selectors.item_visible_to(user=request_user(self.request))

    def create(self, request: Request) -> Response:
        data = ItemInput(data=request.data)
        data.is_valid(raise_exception=True)
        item = services.item_create(owner=request_user(request), **data.validated_data)
        return Response(ItemOutput(item).data, status=status.HTTP_201_CREATED)

    def update(self, request: Request, pk: str | None = None) -> Response:
        return self._update(request, partial=False)

    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        return self._update(request, partial=True)

    def _update(self, request: Request, *, partial: bool) -> Response:
        item = self.get_object()
        data = ItemUpdateInput(data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        item = services.item_update(item=item, **data.validated_data)
        return Response(ItemOutput(item).data)

    def destroy(self, request: Request, pk: str | None = None) -> Response:
        services.item_delete(item=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        request=ItemBulkCreateInput,
        responses={201: ItemBulkCreateOutput, 400: ERROR_RESPONSE},
        description=(
            "Create 1..500 items at once, all or nothing, with one INSERT. Body: "
            '`{"items": [{"title": ..., "description"?: ..., "status"?: ...}, ...]}`. '
            "A 400 names the index and field of every error and creates nothing: "
            '`{"detail", "code": "invalid", "errors": {"items": {"3": {"title": ["This field is required."]}}}}`. '
            "Seed alias (gRTC): the body may be the bare list `[{...}, ...]`; the answer is then the bare list "
            "of created items (same validation, `errors.items` named the same way)."
        ),
        examples=[
            OpenApiExample(
                "two items",
                value={"items": [{"title": "First"}, {"title": "Second", "status": "pending"}]},
                request_only=True,
            ),
        ],
    )
    @action(detail=False, methods=["post"], url_path="bulk")
    def bulk_create(self, request: Request) -> Response:
        bare_list = isinstance(request.data, list)  # the gRTC seed's body: the list itself
        data = ItemBulkCreateInput(data={"items": request.data} if bare_list else request.data)
        data.is_valid(raise_exception=True)
        items = services.item_bulk_create(owner=request_user(request), items=data.validated_data["items"])
        for item in items:
            item.owner = request_user(request)  # for owner_username without a query
        created = ItemOutput(items, many=True).data
        body = created if bare_list else {"count": len(items), "items": created}
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=ItemBulkStatusInput,
        responses={200: ItemBulkStatusOutput, 400: ERROR_RESPONSE, 404: ERROR_RESPONSE},
        description=(
            "Set one status on up to 500 of your items with one UPDATE. If any id does not exist or is not "
            "yours, nothing changes and the 404 names them: "
            '`{"detail": "These items do not exist or are not yours: 7, 9.", '
            '"code": "not_found"}`. Malformed input is a 400 naming the field. '
            "Seed alias (gRTC): `PATCH /api/items/bulk/status?new_status=active` with the bare list of ids "
            "`[1, 2, 3]` as the body; same answer."
        ),
        parameters=[
            OpenApiParameter(
                "new_status",
                str,
                enum=sorted(USER_STATUSES),
                required=False,
                description="Seed alias: the status, when the body is the bare list of ids.",
            )
        ],
    )
    @action(detail=False, methods=["patch"], url_path="bulk/status", schema=FullBodyPatchSchema())
    def bulk_status(self, request: Request) -> Response:
        body = request.data
        if isinstance(body, list):  # the gRTC seed's form: ?new_status=<status>, body [ids]
            new_status = request.query_params.get("new_status")
            if new_status is None:
                raise ValidationError({"new_status": ["Required when the body is the bare list of ids."]})
            body = {"ids": body, "status": new_status}
        data = validated(ItemBulkStatusInput, body)
        ids = list(dict.fromkeys(data["ids"]))
        updated = services.item_bulk_status_update(user=request_user(request), ids=ids, status=data["status"])
        return Response({"updated": updated, "ids": ids, "status": data["status"]})

    @extend_schema(
        request=None,
        responses={202: ItemOutput, 404: ERROR_RESPONSE, 409: ERROR_RESPONSE},
        description=(
            "Queue background processing. 202 with the item (status `queued`); "
            "409 if it is already queued or processing."
        ),
    )
    @action(detail=True, methods=["post"])
    def process(self, request: Request, pk: str | None = None) -> Response:
        current = self.get_object()
        item = services.item_process_request(user=request_user(request), item=current)
        item.owner = current.owner  # already loaded by select_related
        return Response(ItemOutput(item).data, status=status.HTTP_202_ACCEPTED)
