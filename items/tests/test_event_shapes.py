"""Each items event, as the owner's browser receives it on /ws/notifications/, has exactly its documented shape.

docs/protocol.md "Items events": item_created / item_updated {id, title, status, processed_at,
updated_at}, item_deleted {id}, items_bulk_created {ids, count}, items_bulk_status_updated
{ids, status, count}. The services tests prove what is published; these prove what arrives.
"""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import sync_to_async

from items.services import item_bulk_create, item_bulk_status_update, item_create, item_delete, item_update
from realtime import personal
from realtime.testing import open_socket, recv, recv_type, socket_app

pytestmark = [pytest.mark.django_db(transaction=True)]

app = socket_app(personal.websocket_urlpatterns)
ITEM_KEYS = {"id", "title", "status", "processed_at", "updated_at"}


def assert_envelope(frame: dict[str, Any]) -> None:
    assert set(frame) == {"type", "data", "timestamp"}  # no stored-event `id`: items are not resumable
    assert frame["timestamp"].endswith("Z")


async def test_owner_socket_receives_every_items_event_in_its_documented_shape(make_user: Any, token_for: Any) -> None:
    owner = await sync_to_async(make_user)()
    comm = await open_socket(app, f"/ws/notifications/?token={await sync_to_async(token_for)(owner)}", timeout=10)

    item = await sync_to_async(item_create)(owner=owner, title="Report", description="d", status="active")
    created = await recv_type(comm, "item_created", timeout=10)
    assert_envelope(created)
    assert set(created["data"]) == ITEM_KEYS
    assert (
        created["data"]["id"] == item.pk
        and created["data"]["title"] == "Report"
        and created["data"]["status"] == "active"
    )
    assert created["data"]["processed_at"] is None and created["data"]["updated_at"].endswith("Z")

    await sync_to_async(item_update)(item=item, title="Report v2")
    updated = await recv_type(comm, "item_updated", timeout=10)
    assert_envelope(updated)
    assert set(updated["data"]) == ITEM_KEYS and updated["data"]["title"] == "Report v2"

    bulk = await sync_to_async(item_bulk_create)(owner=owner, items=[{"title": "one"}, {"title": "two"}])
    bulk_created = await recv_type(comm, "items_bulk_created", timeout=10)
    assert_envelope(bulk_created)
    assert bulk_created["data"] == {"ids": [row.pk for row in bulk], "count": 2}

    ids = [row.pk for row in bulk]
    await sync_to_async(item_bulk_status_update)(user=owner, ids=ids, status="inactive")
    for expected_id in ids:  # one item_updated per item first, then the summary
        frame = await recv_type(comm, "item_updated", timeout=10)
        assert set(frame["data"]) == ITEM_KEYS and (frame["data"]["id"], frame["data"]["status"]) == (
            expected_id,
            "inactive",
        )
    summary = await recv_type(comm, "items_bulk_status_updated", timeout=10)
    assert_envelope(summary)
    assert summary["data"] == {"ids": ids, "status": "inactive", "count": 2}

    item_id = item.pk  # delete() clears it
    await sync_to_async(item_delete)(item=item)
    deleted = await recv_type(comm, "item_deleted", timeout=10)
    assert_envelope(deleted)
    assert deleted["data"] == {"id": item_id}
    await comm.disconnect()


async def test_another_users_socket_receives_none_of_the_owners_item_events(make_user: Any, token_for: Any) -> None:
    owner, other = await sync_to_async(make_user)(), await sync_to_async(make_user)()
    comm = await open_socket(app, f"/ws/notifications/?token={await sync_to_async(token_for)(other)}", timeout=10)
    handshake = [(await recv(comm, timeout=10))["type"] for _ in range(2)]
    assert handshake == ["connection_established", "unread_count"]
    await sync_to_async(item_create)(owner=owner, title="private")
    assert await comm.receive_nothing(timeout=1.0)
    await comm.disconnect()
