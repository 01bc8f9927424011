"""Input and output serializers of the items API."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from items.models import DESCRIPTION_MAX_LENGTH, TITLE_MAX_LENGTH, USER_STATUSES, Item, ItemStatus
from items.services import BULK_MAX_ITEMS
from realtime.fields import MAX_DB_ID, StrictCharField


def _user_status_field(**kwargs: Any) -> serializers.ChoiceField:
    allowed = ", ".join(USER_STATUSES)
    return serializers.ChoiceField(
        choices=list(USER_STATUSES),
        error_messages={"invalid_choice": f'"{{input}}" is not a status you can set. Allowed: {allowed}.'},
        **kwargs,
    )


class ItemOutput(serializers.ModelSerializer):
    """Output: an item as the API returns it."""

    owner_username = serializers.CharField(source="owner.username", read_only=True)

    class Meta:
        model = Item
        fields = [
            "id",
            "owner",
            "owner_username",
            "title",
            "description",
            "status",
            "processed_at",
            "last_error",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ItemInput(serializers.Serializer):
    """Input for create (and each entry of a bulk create)."""

    title = StrictCharField(max_length=TITLE_MAX_LENGTH)
    description = StrictCharField(max_length=DESCRIPTION_MAX_LENGTH, allow_blank=True, required=False, default="")
    status = _user_status_field(required=False, default=ItemStatus.ACTIVE)


class ItemUpdateInput(serializers.Serializer):
    """Input for PUT (title required) and PATCH (all optional). Absent fields stay unchanged,
    so a PUT that only edits text does not reset (and cancel) a processing status."""

    title = StrictCharField(max_length=TITLE_MAX_LENGTH)
    description = StrictCharField(max_length=DESCRIPTION_MAX_LENGTH, allow_blank=True, required=False)
    status = _user_status_field(required=False)


class ItemBulkCreateInput(serializers.Serializer):
    """Input of POST /api/items/bulk/: {"items": [ {title, description?, status?}, ... ]} (1..500)."""

    items = serializers.ListField(child=ItemInput(), allow_empty=False, min_length=1, max_length=BULK_MAX_ITEMS)


class ItemBulkCreateOutput(serializers.Serializer):
    count = serializers.IntegerField()
    items = ItemOutput(many=True)


class ItemBulkStatusInput(serializers.Serializer):
    """Input of PATCH /api/items/bulk/status/."""

    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_DB_ID),
        allow_empty=False,
        min_length=1,
        max_length=BULK_MAX_ITEMS,
    )
    status = _user_status_field()


class ItemBulkStatusOutput(serializers.Serializer):
    updated = serializers.IntegerField()
    ids = serializers.ListField(child=serializers.IntegerField())
    status = serializers.ChoiceField(choices=list(USER_STATUSES))


class ItemListQueryInput(serializers.Serializer):
    """Query parameters of GET /api/items/."""

    status = serializers.ChoiceField(
        choices=ItemStatus.choices,
        required=False,
        error_messages={
            "invalid_choice": f'"{{input}}" is not a valid status. Allowed: {", ".join(ItemStatus.values)}.'
        },
    )
