"""PostgreSQL goes away under a running server and comes back (issue 12, scenario 4).

The servers reach PostgreSQL through a TCP proxy the test controls (the machine's database is
shared and is never restarted). A `chat_message` sent while the proxy is cut gets an `error`
`unavailable` and the socket stays open (before the fix: 1011, the consumer crashed); the client
sends it again with the same `client_id` until the database is back; the pool reconnects by
itself; the message is stored exactly once and nothing is half-written.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from websockets.asyncio.client import connect

from chat.models import Message
from chat.services import conversation_get_or_create_direct
from conftest import access_token
from realtime.testing import recv_type, send

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

WAIT = 20.0


def _client_ids(conversation_id: int) -> list[str | None]:
    return list(Message.objects.filter(conversation_id=conversation_id).values_list("client_id", flat=True))


async def test_chat_message_during_a_database_outage_is_retried_and_stored_once(
    live_db: None, cluster_factory: Any, make_user: Any, db_proxy: Any
) -> None:
    proxy, database_url = db_proxy
    cluster = await sync_to_async(cluster_factory)(1, DATABASE_URL=database_url, DB_POOL_MIN_SIZE="1")
    alice, bob = await sync_to_async(make_user)(), await sync_to_async(make_user)()
    conversation, _ = await sync_to_async(conversation_get_or_create_direct)(user=alice, other=bob)
    url = f"{cluster.servers[0].ws_url}/ws/chat/{conversation.pk}/?token="

    async with connect(url + access_token(alice), open_timeout=WAIT) as ws:
        await recv_type(ws, "connection_established", timeout=WAIT)
        await send(ws, "chat_message", {"text": "before", "client_id": "c-before"})
        await recv_type(ws, "chat_message", timeout=WAIT, client_id="c-before")

        proxy.cut()
        cut_at = time.monotonic()
        await send(ws, "chat_message", {"text": "during", "client_id": "c-during"})
        refused = await recv_type(ws, "error", timeout=WAIT)
        assert refused["data"]["code"] == "unavailable" and refused["data"]["type"] == "chat_message", refused
        assert ws.close_code is None, "the socket must stay open"

        proxy.restore()
        # The client's retry loop: the same client_id until the echo arrives.
        attempts, stored = 1, None
        deadline = time.monotonic() + WAIT
        while stored is None and time.monotonic() < deadline:
            await send(ws, "chat_message", {"text": "during", "client_id": "c-during"})
            attempts += 1
            frame = await recv_type(ws, ("chat_message", "error"), timeout=WAIT)
            if frame["type"] == "chat_message":
                stored = frame
            else:
                assert frame["data"]["code"] == "unavailable", frame
        assert stored is not None and stored["data"]["text"] == "during"
        recovered = time.monotonic() - cut_at
        await send(ws, "chat_message", {"text": "after", "client_id": "c-after"})
        await recv_type(ws, "chat_message", timeout=WAIT, client_id="c-after")

    # A new socket works too: the pool recovered without a restart.
    async with connect(url + access_token(bob) + "&after=0", open_timeout=WAIT) as ws_b:
        texts: list[str] = []
        while len(texts) < 3:
            texts.append((await recv_type(ws_b, "chat_message", timeout=WAIT))["data"]["text"])
    assert texts == ["before", "during", "after"]

    rows = await sync_to_async(_client_ids)(conversation.pk)
    assert sorted(r or "" for r in rows) == ["c-after", "c-before", "c-during"], rows  # once each, no half-write
    log = cluster.servers[0].log()
    assert "ws_handler_failed" not in log and '"code": 1011' not in log, log[-3000:]
    assert "ws_database_unavailable" in log
    print(f"\ndatabase outage: {attempts} attempts, recovered {recovered:.1f}s after the cut, 3 messages stored once")
