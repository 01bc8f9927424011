"""WebSocket events published by items, all to the owner's personal group.

Documented in docs/protocol.md ("Items events"). The notifications socket (/ws/notifications/)
forwards them to the browser untouched.
"""

from __future__ import annotations

from typing import Any

from items.models import Item

ITEM_CREATED = "item_created"
ITEM_UPDATED = "item_updated"
ITEM_DELETED = "item_deleted"
ITEMS_BULK_CREATED = "items_bulk_created"
ITEMS_BULK_STATUS_UPDATED = "items_bulk_status_updated"

EVENT_TYPES: tuple[str, ...] = (ITEM_CREATED, ITEM_UPDATED, ITEM_DELETED, ITEMS_BULK_CREATED, ITEMS_BULK_STATUS_UPDATED)


def item_updated_payload(item: Item) -> dict[str, Any]:
    """`item_updated` / `item_created`: {id, title, status, processed_at, updated_at} (datetimes ISO-8601)."""
    return {
        "id": item.pk,
        "title": item.title,
        "status": item.status,
        "processed_at": item.processed_at,
        "updated_at": item.updated_at,
    }


def items_bulk_created_payload(items: list[Item]) -> dict[str, Any]:
    """`items_bulk_created`: {ids, count}."""
    return {"ids": [item.pk for item in items], "count": len(items)}


def items_bulk_status_updated_payload(ids: list[int], status: str) -> dict[str, Any]:
    """`items_bulk_status_updated`: {ids, status, count}."""
    return {"ids": ids, "status": status, "count": len(ids)}
