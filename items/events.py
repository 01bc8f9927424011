"""WebSocket events published by items, all to the owner's personal group, declared once (realtime/events.py).

Documented in docs/protocol.md ("Items events"). The notifications socket (/ws/notifications/)
forwards them to the browser untouched.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar, Literal

from items.models import Item
from realtime.events import Event, Payload, event, payload


@payload
class ItemData(Payload):
    """An item as `item_created` / `item_updated` carry it (datetimes ISO-8601)."""

    id: int
    title: str
    status: str
    processed_at: datetime | None
    updated_at: datetime

    @classmethod
    def fields_of(cls, item: Item) -> dict[str, Any]:
        return {
            "id": item.pk,
            "title": item.title,
            "status": item.status,
            "processed_at": item.processed_at,
            "updated_at": item.updated_at,
        }


@event
class ItemCreated(ItemData, Event):
    type: ClassVar[Literal["item_created"]] = "item_created"


@event
class ItemUpdated(ItemData, Event):
    type: ClassVar[Literal["item_updated"]] = "item_updated"


@event
class ItemDeleted(Event):
    type: ClassVar[Literal["item_deleted"]] = "item_deleted"
    id: int


@event
class ItemsBulkCreated(Event):
    type: ClassVar[Literal["items_bulk_created"]] = "items_bulk_created"
    ids: list[int]
    count: int


@event
class ItemsBulkStatusUpdated(Event):
    type: ClassVar[Literal["items_bulk_status_updated"]] = "items_bulk_status_updated"
    ids: list[int]
    status: str
    count: int
