"""Presence across real server processes sharing Redis, including a crashed process."""

from __future__ import annotations

import asyncio
import json

import pytest
import websockets
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer

from conftest import access_token
from realtime.groups import presence_group
from realtime.presence import get_presence_store

pytestmark = [pytest.mark.e2e]


async def _next_event(layer, channel: str, event: str, timeout: float = 20.0) -> dict:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        remaining = deadline - asyncio.get_running_loop().time()
        message = await asyncio.wait_for(layer.receive(channel), remaining)
        if message.get("event") == event:
            return json.loads(message["text"])


async def test_presence_is_shared_and_a_killed_process_leaves_no_ghost(live_db, cluster_factory, make_user):
    cluster = await sync_to_async(cluster_factory)(2, PRESENCE_TTL_SECONDS="2")
    alice = await sync_to_async(make_user)()
    bob = await sync_to_async(make_user)()
    layer = get_channel_layer()
    listener = await layer.new_channel("test.")
    await layer.group_add(presence_group(alice.pk), listener)
    store = get_presence_store()

    # bob keeps a socket on server 0, so that process runs the sweeper
    bob_ws = await websockets.connect(f"{cluster.servers[0].ws_url}/ws/notifications/?token={access_token(bob)}")
    try:
        # alice opens two tabs on different processes: online once, not twice
        tab1 = await websockets.connect(f"{cluster.servers[1].ws_url}/ws/notifications/?token={access_token(alice)}")
        online = await _next_event(layer, listener, "user_online")
        assert online["data"]["user_id"] == alice.pk
        tab2 = await websockets.connect(f"{cluster.servers[0].ws_url}/ws/notifications/?token={access_token(alice)}")
        await tab2.recv()
        assert await store.connection_count("user", str(alice.pk)) == 2
        await tab2.close()
        await asyncio.sleep(0.5)
        assert await store.is_present("user", str(alice.pk)), "closing one tab must not make alice offline"

        # the process holding alice's last socket dies without running disconnect
        await sync_to_async(cluster.kill)(1)
        offline = await _next_event(layer, listener, "user_offline", timeout=30)
        assert offline["data"] == {"user_id": alice.pk, "username": alice.username}
        assert not await store.is_present("user", str(alice.pk))
        assert await store.is_present("user", str(bob.pk)), "bob's live socket keeps being refreshed"
        del tab1
    finally:
        await bob_ws.close()
        await layer.group_discard(presence_group(alice.pk), listener)
