"""Three real aiortc peers build a full mesh through /ws/rooms/ on two server processes."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from aiortc import RTCConfiguration

from realtime.testing import recv_type
from rtc.tests.peers import RoomPeer
from rtc.tests.rooms import room_with_members

pytestmark = [pytest.mark.e2e, pytest.mark.webrtc]


@pytest.fixture
def users(live_db, make_user):
    return [make_user() for _ in range(3)]


@pytest.fixture
def tokens(users, token_for):
    return [token_for(user) for user in users]


@pytest.fixture
def room(users):
    """A private room of all three users (rooms are rows now; the servers read the same test database)."""
    return room_with_members(users[0], *users[1:], prefix="mesh").room_id


async def test_three_peers_build_full_mesh_and_exchange_data_channel_messages(cluster, tokens, room):
    # Host candidates only: no STUN/TURN, nothing leaves the machine.
    servers = [cluster.servers[0], cluster.servers[0], cluster.servers[1]]
    names = ["p0", "p1", "p2"]
    peers = [
        RoomPeer(name, server.ws_url, token, room, RTCConfiguration(iceServers=[]), expected=2)
        for name, server, token in zip(names, servers, tokens, strict=True)
    ]
    try:
        await asyncio.gather(*(peer.start() for peer in peers))
        # Both processes see the same participants (presence is in Redis).
        for server in cluster.servers:
            async with httpx.AsyncClient(base_url=server.http_url, timeout=20) as client:
                response = await client.get(
                    f"/api/rtc/rooms/{room}/participants/", headers={"Authorization": f"Bearer {tokens[0]}"}
                )
            assert response.status_code == 200
            assert {p["peer_id"] for p in response.json()["participants"]} == {peer.peer_id for peer in peers}
        try:
            await asyncio.wait_for(asyncio.gather(*(peer.done.wait() for peer in peers)), timeout=90)
        except TimeoutError:
            pass  # reported by the assertion below with what did arrive
        received = set().union(*(peer.received for peer in peers))
        assert received == {(sender, receiver) for sender in names for receiver in names if sender != receiver}, (
            received,
            [peer.errors for peer in peers],
        )
        # One connection per pair: 2 per peer, no duplicates from glare.
        assert [len(peer.pcs) for peer in peers] == [2, 2, 2]
        assert all(not peer.errors for peer in peers)
    finally:
        await asyncio.gather(*(peer.close() for peer in peers), return_exceptions=True)


async def test_peer_on_a_crashed_process_is_announced_as_left_by_heartbeat_expiry(cluster_factory, tokens, room):
    from websockets.asyncio.client import connect

    # A dedicated pair of servers (one gets SIGKILLed) with a short presence TTL.
    # Kept well under 5 s: with redis-py 8's default socket_timeout of 5 s, channels_redis's
    # 5 s BZPOPMIN makes a socket with no inbound group message for 5 s crash (see report).
    crash = cluster_factory(2, PRESENCE_TTL_SECONDS="2")
    survivor = await connect(f"{crash.servers[0].ws_url}/ws/rooms/{room}/?token={tokens[0]}", open_timeout=20)
    victim = await connect(f"{crash.servers[1].ws_url}/ws/rooms/{room}/?token={tokens[1]}", open_timeout=20)
    try:
        victim_id = (await recv_type(victim, "room_joined", timeout=15))["data"]["peer_id"]
        assert (await recv_type(survivor, "peer_joined", timeout=15))["data"]["peer_id"] == victim_id
        crash.kill(1)  # no disconnect handler runs on the killed process
        left = (await recv_type(survivor, "peer_left", timeout=30, peer_id=victim_id))["data"]
        assert left == {"peer_id": victim_id, "reason": "expired"}
        async with httpx.AsyncClient(base_url=crash.servers[0].http_url, timeout=20) as client:
            response = await client.get(
                f"/api/rtc/rooms/{room}/participants/", headers={"Authorization": f"Bearer {tokens[0]}"}
            )
        assert victim_id not in {p["peer_id"] for p in response.json()["participants"]}
        assert response.json()["count"] == 1
    finally:
        await survivor.close()
