"""WebSocket events published by items, all to the owner's personal group, declared once (realtime/events.py).

Documented in docs/protocol.md ("Items events"). The notifications socket (/ws/notifications/)
forwards them to the browser untouched.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

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


@event("item_created")
class ItemCreated(ItemData, Event):
    pass


@event("item_updated")
class ItemUpdated(ItemData, Event):
    pass


@event("item_deleted")
class ItemDeleted(Event):
    id: int


@event("items_bulk_created")
class ItemsBulkCreated(Event):
    ids: list[int]
    count: int


@event("items_bulk_status_updated")
class ItemsBulkStatusUpdated(Event):
    ids: list[int]
    status: str
    count: int
