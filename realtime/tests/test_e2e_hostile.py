"""Recursion bombs over real server processes: 50 sockets of 3 fresh accounts fill a room and each
sends a deeply nested frame. They used to die with 1011 without running disconnect, so their
presence kept the room full and the accounts at their socket cap for minutes."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
import websockets
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer

from conftest import access_token
from realtime.groups import presence_group
from realtime.presence import get_presence_store
from realtime.testing import recursion_bomb, recv_type
from rtc.tests.rooms import aroom_with_members

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]

WAIT = 20.0
BOMB = recursion_bomb()


async def offline(layer: Any, channel: str, user_ids: set[int]) -> None:
    """Wait for `user_offline` of every one of `user_ids` (their last socket was released)."""
    left = set(user_ids)
    while left:
        message = await asyncio.wait_for(layer.receive(channel), WAIT)
        if message.get("event") == "user_offline":
            left.discard(json.loads(message["text"])["data"]["user_id"])


async def test_fifty_nested_frames_leave_no_presence_behind(live_db: None, cluster: Any, make_user: Any) -> None:
    users = [await sync_to_async(make_user)() for _ in range(3)]
    tokens = [await sync_to_async(access_token)(u) for u in users]
    room = (
        await aroom_with_members(users[0], *users[1:], prefix="bomb")
    ).room_id  # rooms are owned: an unknown one is 4404
    layer = get_channel_layer()
    listener = await layer.new_channel("test.")
    for user in users:
        await layer.group_add(presence_group(user.pk), listener)
    store = get_presence_store()
    sockets: list[Any] = []
    try:
        for index in range(50):  # 17 + 17 + 16 sockets, under the per-user cap of 20; the room's cap is 50
            server = cluster.servers[index % 2]
            ws = await websockets.connect(
                f"{server.ws_url}/ws/rooms/{room}/?token={tokens[index % 3]}", open_timeout=WAIT, max_size=2**20
            )
            await recv_type(ws, "room_joined", timeout=WAIT)
            sockets.append(ws)
        for ws in sockets:
            await ws.send(BOMB)
        for ws in sockets:
            error = await recv_type(ws, "error", timeout=WAIT)
            assert error["data"]["code"] == "frame_too_deep", error
            await ws.send(json.dumps({"type": "ping", "data": {"ts": 1}}))
            assert (await recv_type(ws, "pong", timeout=WAIT))["data"] == {"ts": 1}, "the socket must survive the bomb"
        assert sum([await store.connection_count("user", str(u.pk)) for u in users]) == 50
        for ws in sockets:
            await ws.close()
        await offline(layer, listener, {u.pk for u in users})
        assert [await store.connection_count("user", str(u.pk)) for u in users] == [0, 0, 0]
        # The room is empty again: a newcomer sees nobody and is not refused as room_full.
        newcomer = await websockets.connect(
            f"{cluster.servers[1].ws_url}/ws/rooms/{room}/?token={tokens[0]}", open_timeout=WAIT
        )
        assert (await recv_type(newcomer, "room_joined", timeout=WAIT))["data"]["peers"] == []
        await newcomer.close()
    finally:
        for ws in sockets:
            await ws.close()
        for user in users:
            await layer.group_discard(presence_group(user.pk), listener)


async def test_a_client_gone_before_the_accept_is_no_error_and_holds_nothing(
    live_db: None, cluster: Any, make_user: Any
) -> None:
    """A client that gives up on the handshake (its open timeout, under load) and retries: the server
    reaches `accept` for a socket that is gone. That used to be an ERROR `ws_dispatch_failed` per
    retry; it is an INFO line now, and the socket's presence is released."""
    user = await sync_to_async(make_user)()
    token = await sync_to_async(access_token)(user)
    server = cluster.servers[0]
    logged_before = len(server.log())
    request = (
        f"GET /ws/notifications/?token={token} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
        "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        "Sec-WebSocket-Version: 13\r\n\r\n"
    ).encode()
    for _ in range(5):  # the server authenticates, registers presence and joins groups before accepting
        _reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(request)
        await writer.drain()
        writer.transport.abort()  # gone at once, without waiting for the 101
    store = get_presence_store()
    async with asyncio.timeout(WAIT):
        while "ws_gone_before_accept" not in server.log()[logged_before:] or await store.is_present(
            "user", str(user.pk)
        ):
            await asyncio.sleep(0.1)
    assert "ws_dispatch_failed" not in server.log()[logged_before:]
