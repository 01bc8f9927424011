"""End to end: the owner's personal socket (/ws/notifications/, built by the notifications
app) receives items' `item_updated` frames live, across processes, from the API and the worker."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from asgiref.sync import sync_to_async
from django.db import connections
from websockets.asyncio.client import connect

from items.models import Item
from realtime.testing import recv_type

pytestmark = [pytest.mark.e2e]

FRAME_TIMEOUT = 15.0


@pytest.fixture(autouse=True)
async def _close_worker_thread_connections() -> Any:
    # sync_to_async runs the ORM in a helper thread whose connection would otherwise stay
    # open and keep the test database from being dropped at the end of the session.
    yield
    await sync_to_async(connections.close_all)()


async def test_owner_socket_sees_item_go_through_processing(
    live_db: None, make_user: Any, token_for: Any, cluster: Any
) -> None:
    user = await sync_to_async(make_user)()
    token = token_for(user)
    item = await sync_to_async(Item.objects.create)(owner=user, title="watch me")
    socket_server, api_server = cluster.servers[0], cluster.servers[1]  # the event crosses processes

    async with connect(f"{socket_server.ws_url}/ws/notifications/?token={token}") as ws:
        await recv_type(ws, "connection_established", timeout=FRAME_TIMEOUT)
        async with httpx.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=10) as client:
            response = await client.post(f"{api_server.http_url}/api/items/{item.pk}/process/")
            assert response.status_code == 202, response.text

        def about_item(frame: dict[str, Any]) -> bool:
            return frame["data"]["id"] == item.pk

        statuses: list[str] = []
        while not statuses or statuses[-1] not in {"processed", "failed"}:
            frame = await recv_type(ws, "item_updated", timeout=FRAME_TIMEOUT, where=about_item)
            statuses.append(frame["data"]["status"])
        assert statuses == ["queued", "processing", "processed"]
        assert set(frame["data"]) == {"id", "title", "status", "processed_at", "updated_at"}
        assert frame["data"]["title"] == "watch me"
        assert frame["data"]["processed_at"] is not None


async def test_owner_socket_sees_bulk_status_change_and_others_do_not(
    live_db: None, make_user: Any, token_for: Any, cluster: Any
) -> None:
    owner = await sync_to_async(make_user)()
    stranger = await sync_to_async(make_user)()
    items = await sync_to_async(Item.objects.bulk_create)([Item(owner=owner, title=f"bulk {n}") for n in range(3)])
    ids = [item.pk for item in items]
    server = cluster.servers[0]

    async with (
        connect(f"{server.ws_url}/ws/notifications/?token={token_for(owner)}") as owner_ws,
        connect(f"{server.ws_url}/ws/notifications/?token={token_for(stranger)}") as stranger_ws,
    ):
        await recv_type(owner_ws, "connection_established", timeout=FRAME_TIMEOUT)
        await recv_type(stranger_ws, "connection_established", timeout=FRAME_TIMEOUT)
        async with httpx.AsyncClient(headers={"Authorization": f"Bearer {token_for(owner)}"}, timeout=10) as client:
            response = await client.patch(
                f"{cluster.servers[1].http_url}/api/items/bulk/status/", json={"ids": ids, "status": "inactive"}
            )
            assert response.status_code == 200, response.text

        summary = await recv_type(owner_ws, "items_bulk_status_updated", timeout=FRAME_TIMEOUT)
        assert sorted(summary["data"]["ids"]) == sorted(ids)
        assert summary["data"]["status"] == "inactive"
        with pytest.raises(TimeoutError):
            await recv_type(stranger_ws, "items_bulk_status_updated", timeout=2.0)
