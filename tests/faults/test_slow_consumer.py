"""A client that stops reading (issue 12, scenario 5).

* In process: a consumer stuck on one event while its channel keeps receiving. channels-redis
  drops the oldest buffered message once CHANNEL_LAYER_CAPACITY is reached, without a word; with
  `realtime.layers.RedisChannelLayer` the drop is noticed and the socket closes with 4503 (RESYNC),
  and a resume with `?after=` returns every message. Before the fix: the socket went on with a gap.
* A real server and a real client that stops reading its TCP socket: the server's send stays
  blocked; after WS_SEND_TIMEOUT_SECONDS the socket is closed (4504 when the close frame still
  fits, else dropped), its presence released, its memory bounded; the other member of the
  conversation keeps receiving at full speed; the stalled client later resumes with nothing lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import os
import socket
import time
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.layers import channel_layers
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from chat import routing
from chat.consumers import ChatConsumer
from chat.events import ChatMessage
from chat.models import Message
from chat.services import conversation_get_or_create_direct, message_create
from conftest import access_token
from realtime import closecodes
from realtime.db import db
from realtime.groups import conversation_group, conversation_scope
from realtime.presence import get_presence_store
from realtime.publish import apublish
from realtime.testing import frames_until_close, open_socket, recv_type, socket_app

WAIT = 20.0
app = socket_app(routing.websocket_urlpatterns)


@pytest.fixture
def pair(make_user: Any) -> tuple[Any, Any, Any]:
    a, b = make_user(), make_user()
    conversation, _ = conversation_get_or_create_direct(user=a, other=b)
    return a, b, conversation


async def _joined(user: Any, conversation_id: int, query: str = "") -> Any:
    token = await sync_to_async(access_token)(user)
    comm = await open_socket(app, f"/ws/chat/{conversation_id}/?token={token}{query}")
    await recv_type(comm, "connection_established")
    return comm


def _message_ids(conversation_id: int) -> list[int]:
    return list(Message.objects.filter(conversation_id=conversation_id).order_by("pk").values_list("pk", flat=True))


@pytest.mark.django_db(transaction=True)
async def test_channel_layer_overflow_closes_with_resync_instead_of_a_silent_gap(
    pair: tuple[Any, Any, Any], settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    layers = copy.deepcopy(settings.CHANNEL_LAYERS)
    if not layers["default"]["BACKEND"].startswith("realtime.layers"):
        pytest.skip("needs the Redis channel layer")
    # The socket's own buffer holds 5 messages, the process inbox in Redis many more: only the local buffer overflows.
    layers["default"]["CONFIG"].update(capacity=5, channel_capacity={"specific.*": 1000})
    settings.CHANNEL_LAYERS = layers
    channel_layers.backends.clear()
    alice, bob, conversation = pair
    release = asyncio.Event()
    original = ChatConsumer.deliver

    async def stuck_for_alice(self: ChatConsumer, message: dict[str, Any]) -> None:
        if self.user.pk == alice.pk:
            await release.wait()  # a consumer stuck on one event (a slow client, a long handler)
        await original(self, message)

    monkeypatch.setattr(ChatConsumer, "deliver", stuck_for_alice)
    ws_a = await _joined(alice, conversation.pk)
    ws_b = await _joined(bob, conversation.pk)  # keeps the layer's receive loop filling alice's buffer
    for i in range(20):
        await db(message_create)(sender=bob, conversation_id=conversation.pk, text=f"m{i}", client_id=f"m{i}")
        await recv_type(ws_b, "chat_message", client_id=f"m{i}")
    release.set()
    code, frames = await frames_until_close(ws_a, timeout=WAIT)
    assert code == closecodes.RESYNC, (code, [f["type"] for f in frames])
    got = [f["id"] for f in frames if f["type"] == "chat_message"]
    monkeypatch.setattr(ChatConsumer, "deliver", original)
    resumed = await _joined(alice, conversation.pk, f"&after={got[-1] if got else 0}")
    expected = await sync_to_async(_message_ids)(conversation.pk)
    while len(got) < len(expected):
        got.append((await recv_type(resumed, "chat_message"))["id"])
    assert got == expected, "every message, in order, once"
    await resumed.disconnect()
    await ws_b.disconnect()


def _bulk_messages(conversation_id: int, sender_id: int, count: int) -> list[Message]:
    text = os.urandom(2000).hex()  # 4,000 incompressible characters
    Message.objects.bulk_create(
        Message(conversation_id=conversation_id, sender_id=sender_id, text=text) for _ in range(count)
    )
    return list(Message.objects.filter(conversation_id=conversation_id).select_related("sender").order_by("pk"))


async def _count_frames(sock: Any, counts: dict[str, int]) -> None:
    with contextlib.suppress(ConnectionClosed):
        async for raw in sock:
            kind = json.loads(raw)["type"]
            if kind in counts:
                counts[kind] += 1


def _rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))


@pytest.mark.e2e
@pytest.mark.slow
async def test_a_client_that_stops_reading_is_closed_and_resumes_with_nothing_lost(
    live_db: None, cluster_factory: Any, make_user: Any
) -> None:
    cluster = await sync_to_async(cluster_factory)(1, WS_SEND_TIMEOUT_SECONDS="2")
    server = cluster.servers[0]
    alice, bob = await sync_to_async(make_user)(), await sync_to_async(make_user)()
    conversation, _ = await sync_to_async(conversation_get_or_create_direct)(user=alice, other=bob)
    url = f"{server.ws_url}/ws/chat/{conversation.pk}/?token="

    # A stalled tab: a tiny receive buffer, no compression (so frames fill it), and nobody calling recv().
    raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    raw.connect(("127.0.0.1", server.port))
    stalled = await connect(url + access_token(alice), sock=raw, compression=None, max_queue=4, open_timeout=WAIT)
    await recv_type(stalled, "connection_established", timeout=WAIT)
    reader = await connect(url + access_token(bob), open_timeout=WAIT)
    await recv_type(reader, "connection_established", timeout=WAIT)
    rss_before = _rss_kb(server.process.pid)

    # A burst of big messages: stored at once, then published in order as message_create would (one
    # message_create at a time is too slow to fill the kernel's socket buffers, up to 4 MiB, in CI time).
    messages = await sync_to_async(_bulk_messages)(conversation.pk, bob.pk, 1500)
    received = {"chat_message": 0}
    counted = asyncio.ensure_future(_count_frames(reader, received))
    sent, started = 0, time.monotonic()
    for message in messages:
        await apublish(conversation_group(conversation.pk), ChatMessage.of(message), event_id=message.pk)
        sent += 1
        if sent % 50 == 0 and '"ws_slow_consumer"' in server.log():
            break
        await asyncio.sleep(0)
    async with asyncio.timeout(WAIT):
        while '"ws_slow_consumer"' not in server.log():
            await asyncio.sleep(0.1)
    closed_after = time.monotonic() - started
    rss_growth_mb = (_rss_kb(server.process.pid) - rss_before) / 1024
    async with asyncio.timeout(5):  # released at once, not after the presence TTL
        while await get_presence_store().is_present(conversation_scope(conversation.pk), str(alice.pk)):
            await asyncio.sleep(0.05)

    # The tab wakes up: it reads what was buffered, then the close; it resumes from the last id it saw.
    seen: list[int] = []
    try:
        async with asyncio.timeout(WAIT):
            async for frame_text in stalled:
                frame = json.loads(frame_text)
                if frame["type"] == "chat_message":
                    seen.append(frame["id"])
    except ConnectionClosed:
        pass
    code = stalled.close_code
    async with connect(url + access_token(alice) + f"&after={seen[-1] if seen else 0}", open_timeout=WAIT) as again:
        expected = await sync_to_async(_message_ids)(conversation.pk)
        while len(seen) < len(expected):
            seen.append((await recv_type(again, "chat_message", timeout=WAIT))["id"])
    async with asyncio.timeout(WAIT):  # the other member got every published message meanwhile
        while received["chat_message"] < sent:
            await asyncio.sleep(0.05)
    await reader.close()
    await counted
    assert seen == expected, "lost or duplicated messages"
    assert code in (closecodes.SLOW_CONSUMER, 1006), code
    assert rss_growth_mb < 64, rss_growth_mb
    print(
        f"\nslow consumer: closed (code {code}) after {sent} messages / {closed_after:.1f}s, "
        f"server RSS +{rss_growth_mb:.1f} MB, resumed {len(expected)} messages, 0 lost, 0 duplicated"
    )
