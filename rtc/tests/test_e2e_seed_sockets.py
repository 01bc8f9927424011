"""The seeds' signaling sockets against real server processes, driven by clients written from the seed texts.

The gRTC client follows seed 001 ("WebSocket" and "Rooms" in "API REST Endpoints"): connect to
`/ws/<room>?peer_id=…`, find the others with `GET /rooms/<room>/peers`, send
`{type: "offer", target_peer_id, offer}`, `answer`, ICE candidates and a `broadcast` whose `data` is
a string. The seed 004 client follows its "API Endpoints" and "Message Flow": connect to
`/webrtc/ws/<room>?token=<jwt>`, get the room state first, then offer / answer / ICE; auth failures
close 1008. The only additions are the token, and a room created first (rooms are owned here).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from asgiref.sync import sync_to_async
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from conftest import access_token
from realtime.testing import recv_type
from rtc.tests.rooms import aroom_with_members

pytestmark = [pytest.mark.e2e]

WAIT = 15.0
SDP = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
CANDIDATE = {"candidate": "candidate:1 1 udp 2122260223 10.0.0.1 50000 typ host", "sdpMid": "0", "sdpMLineIndex": 0}


async def next_of(ws: ClientConnection, kind: str) -> dict[str, Any]:
    """The next frame of type `kind` (frames of other types before it are skipped)."""
    while True:
        message = await asyncio.wait_for(ws.recv(), WAIT)
        assert isinstance(message, str)
        frame = json.loads(message)
        if frame.get("type") == kind:
            return frame


async def closed_with(ws: ClientConnection) -> int:
    try:
        while True:
            await asyncio.wait_for(ws.recv(), WAIT)
    except ConnectionClosed as closed:
        assert closed.rcvd is not None
        return closed.rcvd.code


@pytest.fixture
async def people(live_db: None, make_user: Any) -> list[tuple[Any, str]]:
    users = [await sync_to_async(make_user)() for _ in range(3)]
    return [(user, await sync_to_async(access_token)(user)) for user in users]


async def test_grtc_client_signals_and_broadcasts(cluster: Any, people: list[tuple[Any, str]]) -> None:
    (owner, owner_token), (member, member_token), (_, stranger_token) = people
    room = (await aroom_with_members(owner, member, prefix="grtc")).room_id
    a, b = cluster.servers[0], cluster.servers[1]
    # const ws = new WebSocket('ws://localhost:8000/ws/room1?peer_id=peer-123');  (+ the token)
    # Each socket joins before the next one connects: the joins run after the handshakes, on two
    # processes, so sockets opened back to back could join (and be announced) in either order.
    peer_a = await connect(f"{a.ws_url}/ws/{room}?peer_id=peer-123&token={owner_token}", open_timeout=20)
    assert (await next_of(peer_a, "room_joined"))["peer_id"] == "peer-123"
    peer_b = await connect(f"{b.ws_url}/ws/{room}?peer_id=peer-456&token={member_token}", open_timeout=20)
    assert (await next_of(peer_b, "room_joined"))["peer_id"] == "peer-456"
    assert (await next_of(peer_a, "peer_joined"))["peer_id"] == "peer-456"
    native = await connect(f"{a.ws_url}/ws/rooms/{room}/?token={member_token}", open_timeout=20)
    try:
        native_id = (await recv_type(native, "room_joined", timeout=WAIT))["data"]["peer_id"]
        assert (await next_of(peer_a, "peer_joined"))["peer_id"] == native_id

        # GET /rooms/{room_id}/peers
        async with httpx.AsyncClient(base_url=b.http_url, timeout=20) as http:
            peers = (await http.get(f"/rooms/{room}/peers", headers={"Authorization": f"Bearer {member_token}"})).json()
        assert sorted(peers["peers"]) == sorted(["peer-123", "peer-456", native_id])

        # ws.send(JSON.stringify({type: 'offer', target_peer_id: 'peer-456', offer: rtcOffer}))
        await peer_a.send(
            json.dumps({"type": "offer", "target_peer_id": "peer-456", "offer": {"type": "offer", "sdp": SDP}})
        )
        offer = await next_of(peer_b, "offer")
        assert offer == {
            "type": "offer",
            "from_peer_id": "peer-123",
            "target_peer_id": "peer-456",
            "offer": {"type": "offer", "sdp": SDP},
        }
        await peer_b.send(
            json.dumps({"type": "answer", "target_peer_id": "peer-123", "answer": {"type": "answer", "sdp": SDP}})
        )
        assert (await next_of(peer_a, "answer"))["answer"] == {"type": "answer", "sdp": SDP}
        # both spellings of the candidate type
        for spelling in ("ice-candidate", "ice_candidate"):
            await peer_b.send(json.dumps({"type": spelling, "target_peer_id": "peer-123", "candidate": CANDIDATE}))
            candidate = await next_of(peer_a, "ice-candidate")
            assert (candidate["from_peer_id"], candidate["candidate"]) == ("peer-456", CANDIDATE)

        # ws.send(JSON.stringify({type: 'broadcast', data: 'Mensaje para todos'}))
        await peer_b.send(json.dumps({"type": "broadcast", "data": "Mensaje para todos"}))
        assert await next_of(peer_a, "broadcast") == {
            "type": "broadcast",
            "from_peer_id": "peer-456",
            "data": "Mensaje para todos",
        }
        # A native peer of the same room hears it too, and a gRTC peer can signal it by its id.
        heard = (await recv_type(native, "broadcast", timeout=WAIT))["data"]
        assert heard["data"] == "Mensaje para todos"
        await peer_a.send(
            json.dumps({"type": "offer", "target_peer_id": native_id, "offer": {"type": "offer", "sdp": SDP}})
        )
        assert (await recv_type(native, "offer", timeout=WAIT))["data"]["sdp"] == SDP

        # Signaling stays inside the room: an unknown peer is an error, nothing relayed.
        await peer_a.send(
            json.dumps({"type": "offer", "target_peer_id": "peer-999", "offer": {"type": "offer", "sdp": SDP}})
        )
        error = await next_of(peer_a, "error")
        assert (error["code"], error["message_type"]) == ("unknown_peer", "offer")

        # A name already in the room is refused.
        twin = await connect(f"{b.ws_url}/ws/{room}?peer_id=peer-456&token={owner_token}", open_timeout=20)
        assert (await next_of(twin, "error"))["code"] == "peer_id_taken"
        assert await closed_with(twin) == 4403

        await peer_b.close()
        assert (await next_of(peer_a, "peer_left"))["peer_id"] == "peer-456"

        # The rtc access rules apply: no token 4401, a stranger in a private room 4404.
        anonymous = await connect(f"{a.ws_url}/ws/{room}?peer_id=x", open_timeout=20)
        assert await closed_with(anonymous) == 4401
        stranger = await connect(f"{a.ws_url}/ws/{room}?peer_id=y&token={stranger_token}", open_timeout=20)
        assert (await next_of(stranger, "error"))["code"] == "room_not_found"
        assert await closed_with(stranger) == 4404
    finally:
        for ws in (peer_a, peer_b, native):
            await ws.close()


async def test_seed004_client_gets_room_state_and_relays_signals(cluster: Any, people: list[tuple[Any, str]]) -> None:
    (owner, owner_token), (member, member_token), (_, stranger_token) = people
    room = (await aroom_with_members(owner, member, prefix="s004")).room_id
    a, b = cluster.servers[0], cluster.servers[1]
    # ws://localhost:8000/webrtc/ws/{room_id}?token=<jwt>
    client_a = await connect(f"{a.ws_url}/webrtc/ws/{room}?token={owner_token}", open_timeout=20)
    state_a = await next_of(client_a, "room-state")
    client_b = await connect(f"{b.ws_url}/webrtc/ws/{room}?token={member_token}", open_timeout=20)
    try:
        assert state_a["room_id"] == room and state_a["payload"]["participants"] == []
        me_a = state_a["payload"]["peer_id"]
        state_b = await next_of(client_b, "room-state")
        me_b = state_b["payload"]["peer_id"]
        assert [p["peer_id"] for p in state_b["payload"]["participants"]] == [me_a]
        joined = await next_of(client_a, "user-joined")
        assert joined["payload"] == {"peer_id": me_b, "user_id": member.pk, "username": member.username}

        # Offer -> forwarded to the target, answer back, ICE.
        await client_a.send(json.dumps({"type": "offer", "target_id": me_b, "payload": {"type": "offer", "sdp": SDP}}))
        offer = await next_of(client_b, "offer")
        assert (offer["sender_id"], offer["target_id"], offer["payload"]) == (me_a, me_b, {"type": "offer", "sdp": SDP})
        await client_b.send(
            json.dumps({"type": "answer", "target_id": me_a, "payload": {"type": "answer", "sdp": SDP}})
        )
        assert (await next_of(client_a, "answer"))["payload"]["sdp"] == SDP
        await client_b.send(json.dumps({"type": "ice-candidate", "target_id": me_a, "payload": CANDIDATE}))
        assert (await next_of(client_a, "ice-candidate"))["payload"] == CANDIDATE

        # GET /webrtc/rooms/{room_id}/participants and /webrtc/config
        async with httpx.AsyncClient(base_url=a.http_url, timeout=20) as http:
            auth = {"Authorization": f"Bearer {owner_token}"}
            participants = (await http.get(f"/webrtc/rooms/{room}/participants", headers=auth)).json()
            assert sorted(p["peer_id"] for p in participants["participants"]) == sorted([me_a, me_b])
            config = (await http.get("/webrtc/config", headers=auth)).json()
            assert config["iceServers"] and config["iceTransportPolicy"] in ("all", "relay")
            assert (await http.get("/webrtc/health")).json()["status"] == "healthy"
            stats = (await http.get("/webrtc/stats", headers=auth)).json()
            assert stats["rooms"][room] == 2
            metrics = (await http.get("/webrtc/webrtc-metrics", headers=auth)).json()
            assert metrics["active_rooms"] >= 1 and metrics["active_participants"] >= 2
            assert (
                await http.get(
                    f"/webrtc/rooms/{room}/participants", headers={"Authorization": f"Bearer {stranger_token}"}
                )
            ).status_code == 404

        await client_b.close()
        assert (await next_of(client_a, "user-left"))["sender_id"] == me_b

        # Auth failures close 1008: no token, a bad token, a stranger in a private room.
        for query in ("", "?token=not-a-jwt", f"?token={stranger_token}"):
            refused = await connect(f"{a.ws_url}/webrtc/ws/{room}{query}", open_timeout=20)
            assert await closed_with(refused) == 1008
    finally:
        for ws in (client_a, client_b):
            await ws.close()


async def test_bad_seed_frames_get_error_frames_and_the_sockets_stay_open(
    cluster: Any, people: list[tuple[Any, str]]
) -> None:
    (owner, owner_token), (member, member_token), _ = people
    room = (await aroom_with_members(owner, member, prefix="seedbad")).room_id
    server = cluster.servers[0]
    grtc = await connect(f"{server.ws_url}/ws/{room}?peer_id=p1&token={owner_token}", open_timeout=20)
    seed004 = await connect(f"{server.ws_url}/webrtc/ws/{room}?token={member_token}", open_timeout=20)
    try:
        await next_of(grtc, "room_joined")
        state = await next_of(seed004, "room-state")
        (grtc_peer,) = [peer["peer_id"] for peer in state["payload"]["participants"]]
        bad_grtc = [
            ("not json", "invalid_json"),
            (json.dumps({"type": "offer", "offer": {"type": "offer", "sdp": SDP}}), "invalid"),  # no target
            (json.dumps({"type": "ice-candidate", "target_peer_id": "p2", "candidate": "x"}), "invalid"),
            (json.dumps({"type": "broadcast", "data": "x" * 20_000}), "data_too_large"),
            (json.dumps({"type": "nope"}), "unknown_type"),
        ]
        for frame, code in bad_grtc:
            await grtc.send(frame)
            assert (await next_of(grtc, "error"))["code"] == code, frame[:60]
        await seed004.send(json.dumps({"type": "offer", "target_id": "x", "payload": 5}))
        assert (await next_of(seed004, "error"))["payload"]["code"] == "invalid"
        # both still work
        await grtc.send(json.dumps({"type": "broadcast", "data": "still here"}))
        heard = await next_of(seed004, "broadcast")
        assert (heard["payload"], heard["sender_id"]) == ("still here", grtc_peer)
    finally:
        for ws in (grtc, seed004):
            await ws.close()
