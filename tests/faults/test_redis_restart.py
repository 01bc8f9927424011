"""Redis stops for 5 s and comes back empty (issue 12, scenario 3).

The cluster runs on a Redis of its own (tests/faults/harness.py: the machine's Redis is shared
and never restarted). What must happen: every socket is closed with 4503 (RESYNC: reconnect and
resume; before the fix the channel layer's error escaped the consumer, uvicorn dropped the socket
without a close code, and reconnects during the outage failed with 1011 and a logged traceback
each), `/ready/` answers 503 during the outage and 200 within 5 s
after, a message posted during the outage is stored and reaches everyone by resume, and once the
clients are back every socket is in its groups again (a live message reaches all) and every user
is online again.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from typing import Any

import httpx
import pytest
from asgiref.sync import sync_to_async

from chat.models import Message
from chat.services import conversation_create_group, message_create
from conftest import access_token
from realtime import closecodes
from realtime.presence import RedisPresenceStore
from tests.faults.harness import ResumingClient, check_stream

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

WAIT = 20.0
OUTAGE_SECONDS = 5.0


async def _ready(client: httpx.AsyncClient) -> bool:
    try:
        return (await client.get("/ready/")).status_code == 200
    except httpx.HTTPError:
        return False


def _ids(conversation_id: int) -> list[int]:
    return list(Message.objects.filter(conversation_id=conversation_id).order_by("pk").values_list("pk", flat=True))


async def test_redis_restart_closes_with_resync_and_everything_is_rebuilt(
    live_db: None, cluster_factory: Any, make_user: Any, private_redis: Any, front: Any, server_env: dict[str, str]
) -> None:
    cluster = await sync_to_async(cluster_factory)(2, REDIS_URL=private_redis.url, PRESENCE_TTL_SECONDS="3")
    nginx = front(cluster)
    users = [await sync_to_async(make_user)() for _ in range(4)]
    conversation = await sync_to_async(conversation_create_group)(creator=users[0], title="r", members=users[1:])
    tls = ssl.create_default_context(cafile=nginx.cafile)
    base = f"wss://localhost:{nginx.https_port}/ws/chat/{conversation.pk}/?token="
    clients = [ResumingClient(base + access_token(user), ssl=tls) for user in users]
    tasks = [asyncio.ensure_future(client.run()) for client in clients]
    http = httpx.AsyncClient(base_url=f"https://localhost:{nginx.https_port}", verify=tls, timeout=5)
    store = RedisPresenceStore(private_redis.url, prefix=server_env["PRESENCE_PREFIX"])
    try:
        async with asyncio.timeout(WAIT):
            await asyncio.gather(*(client.online.wait() for client in clients))
        await clients[0].say("before", "before the outage")
        async with asyncio.timeout(WAIT):
            while not all(client.ids for client in clients):
                await asyncio.sleep(0.05)

        await sync_to_async(private_redis.stop)()
        stopped_at = time.monotonic()
        # Stored during the outage: the write succeeds, its publish fails (logged), resume delivers it.
        await sync_to_async(message_create)(
            sender=users[1], conversation_id=conversation.pk, text="during the outage", client_id="during"
        )
        assert not await _ready(http), "/ready/ must fail while Redis is down"
        async with asyncio.timeout(WAIT):
            while not all(client.closes for client in clients):
                await asyncio.sleep(0.05)
        closed_after = time.monotonic() - stopped_at
        await asyncio.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - stopped_at)))
        assert not await _ready(http)

        await sync_to_async(private_redis.start)()
        back_at = time.monotonic()
        async with asyncio.timeout(WAIT):
            while not await _ready(http):
                await asyncio.sleep(0.1)
        ready_after = time.monotonic() - back_at
        async with asyncio.timeout(WAIT):
            await asyncio.gather(*(client.online.wait() for client in clients))
        rejoined_after = time.monotonic() - back_at

        # Groups rebuilt: a live message reaches every socket; presence rebuilt: everyone online.
        await clients[2].say("after", "after the outage")
        async with asyncio.timeout(WAIT):
            while clients[2].pending:  # until its echo: stored and published
                await asyncio.sleep(0.05)
        expected = await sync_to_async(_ids)(conversation.pk)
        assert len(expected) == 3
        async with asyncio.timeout(WAIT):
            while not all(set(expected) <= set(client.ids) for client in clients):
                await asyncio.sleep(0.05)
        for user in users:
            assert await store.is_present("user", str(user.pk)), f"user {user.pk} not online again"
    finally:
        for client in clients:
            await client.stop()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await http.aclose()

    codes = sorted({code for client in clients for code in client.closes})
    for client in clients:
        lost, duplicated, in_order = check_stream(client.ids, expected)
        assert (lost, duplicated, in_order) == (0, 0, True), (client.ids, expected)
    # Closed with RESYNC (or refused with it while reconnecting), never left open and deaf; never 1011.
    assert closecodes.RESYNC in codes and closecodes.INTERNAL_ERROR not in codes, codes
    assert ready_after <= 5.0, ready_after
    print(
        f"\nredis restart: {len(clients)} sockets closed {closed_after:.1f}s after the stop (codes {codes}), "
        f"/ready/ ok {ready_after:.1f}s after the start, all back in their groups {rejoined_after:.1f}s after, "
        f"{len(expected)} messages, 0 lost, 0 duplicated"
    )
