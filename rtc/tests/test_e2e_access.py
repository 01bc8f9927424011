"""Room access over two real server processes (Redis channel layer and presence).

The owner's REST kick is handled by process A; the kicked user's socket lives on
process B and must still get `removed` and close 4403.
"""

from __future__ import annotations

import httpx
import pytest
from websockets.asyncio.client import connect

from realtime.testing import expect_close, recv_type
from rtc.tests.rooms import aroom_with_members

pytestmark = [pytest.mark.e2e]


@pytest.fixture
def people(live_db, make_user, token_for):
    users = [make_user() for _ in range(3)]
    return [(user, token_for(user)) for user in users]


WAIT = 15.0


async def test_owner_on_one_process_kicks_a_user_connected_to_the_other(cluster, people):
    (owner, owner_token), (member, member_token), (_, stranger_token) = people
    room = (await aroom_with_members(owner, member, prefix="kick")).room_id
    a, b = cluster.servers[0], cluster.servers[1]
    host = await connect(f"{a.ws_url}/ws/rooms/{room}/?token={owner_token}", open_timeout=20)
    target = await connect(f"{b.ws_url}/ws/rooms/{room}/?token={member_token}", open_timeout=20)
    outsider = await connect(f"{b.ws_url}/ws/rooms/{room}/?token={stranger_token}", open_timeout=20)
    try:
        await recv_type(host, "room_joined", timeout=WAIT)
        target_peer = (await recv_type(target, "room_joined", timeout=WAIT))["data"]["peer_id"]
        assert (await recv_type(host, "peer_joined", timeout=WAIT))["data"]["peer_id"] == target_peer
        # A stranger (private room, no lobby, no invite) is told the room does not exist.
        assert (await recv_type(outsider, "error", timeout=WAIT))["data"]["code"] == "room_not_found"
        assert await expect_close(outsider, timeout=WAIT) == 4404

        async with httpx.AsyncClient(base_url=a.http_url, timeout=20) as client:
            response = await client.post(
                f"/api/rtc/rooms/{room}/kick/",
                json={"user_id": member.pk},
                headers={"Authorization": f"Bearer {owner_token}"},
            )
        assert response.status_code == 204, response.text
        assert (await recv_type(target, "removed", timeout=WAIT))["data"] == {"room_id": room, "reason": "kicked"}
        assert await expect_close(target, timeout=WAIT) == 4403
        left = (await recv_type(host, "peer_left", timeout=WAIT))["data"]
        assert left == {"peer_id": target_peer, "reason": "left"}

        # No longer a member: process B now refuses them like an unknown room.
        again = await connect(f"{b.ws_url}/ws/rooms/{room}/?token={member_token}", open_timeout=20)
        assert (await recv_type(again, "error", timeout=WAIT))["data"]["code"] == "room_not_found"
        assert await expect_close(again, timeout=WAIT) == 4404
    finally:
        for ws in (host, target, outsider):
            await ws.close()
