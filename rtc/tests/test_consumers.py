"""RoomConsumer with the real stack (JWT auth, Redis channel layer and presence when configured)."""

from __future__ import annotations

from typing import Any

import pytest
from channels.testing import WebsocketCommunicator
from django.test import override_settings

from realtime import closecodes
from realtime.heartbeat import sweep_once
from realtime.presence import get_presence_store
from realtime.testing import open_socket, recv, recv_type, send, socket_app
from rtc.routing import websocket_urlpatterns
from rtc.services import room_scope
from rtc.tests.rooms import new_room_for

pytestmark = [pytest.mark.django_db(transaction=True)]

app = socket_app(websocket_urlpatterns)


async def room_socket(token: str, room_id: str) -> WebsocketCommunicator:
    return await open_socket(app, f"/ws/rooms/{room_id}/?token={token}")


async def join(token: str, room_id: str) -> tuple[WebsocketCommunicator, dict]:
    comm = await room_socket(token, room_id)
    frame = await recv(comm)
    assert frame["type"] == "room_joined", frame
    return comm, frame["data"]


async def room_joined_by(people: list[tuple[Any, str]], count: int) -> list[tuple[WebsocketCommunicator, dict]]:
    """A room for all `people`, joined in turn by the first `count` of them: (socket, `room_joined` data) each."""
    room = await new_room_for(people)
    return [await join(token, room) for _, token in people[:count]]


@pytest.fixture
def people(make_user, token_for):
    users = [make_user() for _ in range(3)]
    return [(user, token_for(user)) for user in users]


async def test_join_gets_peer_id_and_peers_and_others_see_joins_and_leaves(people):
    (alice, alice_token), (bob, bob_token), _ = people
    room = await new_room_for(people)
    a, a_joined = await join(alice_token, room)
    assert a_joined["room_id"] == room and a_joined["peers"] == [] and a_joined["peer_id"]
    b, b_joined = await join(bob_token, room)
    assert b_joined["peers"] == [{"peer_id": a_joined["peer_id"], "user": {"id": alice.pk, "username": alice.username}}]
    assert b_joined["peer_id"] != a_joined["peer_id"]

    joined = await recv_type(a, "peer_joined")
    assert joined["data"] == {"peer_id": b_joined["peer_id"], "user": {"id": bob.pk, "username": bob.username}}
    assert await b.receive_nothing(timeout=0.3)  # no echo of its own join

    await b.disconnect()
    left = await recv_type(a, "peer_left")
    assert left["data"] == {"peer_id": b_joined["peer_id"], "reason": "left"}
    assert await get_presence_store().members(room_scope(room)) == [a_joined["peer_id"]]
    await a.disconnect()


async def test_offer_answer_candidate_reach_only_the_target_with_server_set_from(people):
    (a, a_info), (b, b_info), (c, c_info) = await room_joined_by(people, 3)
    await recv_type(a, "peer_joined")
    await recv_type(a, "peer_joined")
    await recv_type(b, "peer_joined")

    await send(a, "offer", {"target": b_info["peer_id"], "sdp": "v=0 offer", "from": c_info["peer_id"]})
    offer = await recv_type(b, "offer")
    assert offer["data"] == {"from": a_info["peer_id"], "sdp": "v=0 offer"}

    await send(b, "answer", {"target": a_info["peer_id"], "sdp": "v=0 answer"})
    assert (await recv_type(a, "answer"))["data"] == {"from": b_info["peer_id"], "sdp": "v=0 answer"}

    candidate = {"candidate": "candidate:1 1 udp 2130706431 10.0.0.1 5000 typ host", "sdpMid": "0", "sdpMLineIndex": 0}
    await send(a, "ice_candidate", {"target": b_info["peer_id"], "candidate": candidate})
    assert (await recv_type(b, "ice_candidate"))["data"] == {"from": a_info["peer_id"], "candidate": candidate}
    await send(a, "ice_candidate", {"target": b_info["peer_id"], "candidate": None})
    assert (await recv_type(b, "ice_candidate"))["data"] == {"from": a_info["peer_id"], "candidate": None}

    assert await c.receive_nothing(timeout=0.5)  # the third peer saw none of it
    for comm in (a, b, c):
        await comm.disconnect()


async def test_broadcast_reaches_every_other_peer_but_not_the_sender(people):
    (a, a_info), (b, _), (c, _) = await room_joined_by(people, 3)
    await send(a, "broadcast", {"data": {"mute": True}})
    for other in (b, c):
        assert (await recv_type(other, "broadcast"))["data"] == {"from": a_info["peer_id"], "data": {"mute": True}}
    frames = []
    while not await a.receive_nothing(timeout=0.5):
        frames.append((await recv(a))["type"])
    assert "broadcast" not in frames
    for comm in (a, b, c):
        await comm.disconnect()


async def test_unknown_target_gets_error_and_nothing_is_relayed(people):
    (a, a_info), (b, _) = await room_joined_by(people, 2)
    await recv_type(a, "peer_joined")
    await send(a, "offer", {"target": "no-such-peer", "sdp": "v=0"})
    error = await recv_type(a, "error")
    assert error["data"]["code"] == "unknown_peer"
    await send(a, "offer", {"target": a_info["peer_id"], "sdp": "v=0"})  # itself
    assert (await recv_type(a, "error"))["data"]["code"] == "unknown_peer"
    assert await b.receive_nothing(timeout=0.5)
    await a.disconnect()
    await b.disconnect()


async def test_target_in_another_room_gets_error_and_nothing_is_relayed(people):
    (_, t1), (_, t2), _ = people
    a, _ = await join(t1, await new_room_for(people))
    other, other_info = await join(t2, await new_room_for(people))
    cases: list[tuple[str, dict[str, Any]]] = [
        ("offer", {"sdp": "v=0"}),
        ("answer", {"sdp": "v=0"}),
        ("ice_candidate", {"candidate": None}),
    ]
    for event_type, data in cases:
        await send(a, event_type, {"target": other_info["peer_id"], **data})
        error = await recv_type(a, "error")
        assert error["data"]["code"] == "unknown_peer" and error["data"]["type"] == event_type
    assert await other.receive_nothing(timeout=0.5)
    await a.disconnect()
    await other.disconnect()


@override_settings(LIVE_MAX_SDP_BYTES=100)
async def test_oversized_sdp_gets_error_and_nothing_is_relayed(people):
    (a, _), (b, b_info) = await room_joined_by(people, 2)
    await recv_type(a, "peer_joined")
    await send(a, "offer", {"target": b_info["peer_id"], "sdp": "v=0\r\n" + "a" * 200})
    error = await recv_type(a, "error")
    assert error["data"]["code"] == "sdp_too_large"
    assert await b.receive_nothing(timeout=0.5)
    await a.disconnect()
    await b.disconnect()


async def test_invalid_frames_get_validation_errors(people):
    (_, t1), _, _ = people
    a, _ = await join(t1, await new_room_for(people))
    await send(a, "offer", {"sdp": "v=0"})
    error = await recv_type(a, "error")
    assert error["data"]["code"] == "invalid" and "target" in error["data"]["errors"]
    await send(a, "ice_candidate", {"target": "x", "candidate": "not-an-object"})
    assert (await recv_type(a, "error"))["data"]["errors"]["candidate"]
    await send(a, "broadcast", {})
    assert (await recv_type(a, "error"))["data"]["errors"]["data"]
    await a.disconnect()


@pytest.mark.parametrize("room_id", ["a.b", "x" * 65, "%C3%A4", ""])
async def test_invalid_room_id_gets_error_frame_and_close_4404(people, room_id):
    (_, t1), _, _ = people
    comm = await room_socket(t1, room_id)
    frame = await recv(comm)
    assert frame["type"] == "error" and frame["data"]["code"] == "invalid_room"
    assert (await comm.receive_output(timeout=5))["code"] == closecodes.NOT_FOUND


@override_settings(RTC_MAX_PARTICIPANTS=2)
async def test_room_refuses_participant_beyond_maximum_with_4413(people):
    (_, t1), (_, t2), (_, t3) = people
    room = await new_room_for(people)
    a, _ = await join(t1, room)
    b, _ = await join(t2, room)
    c = await room_socket(t3, room)
    frame = await recv(c)
    assert frame["type"] == "error" and frame["data"]["code"] == "room_full" and frame["data"]["max_participants"] == 2
    assert (await c.receive_output(timeout=5))["code"] == closecodes.FULL
    assert await get_presence_store().count(room_scope(room)) == 2
    # The refused peer was never announced.
    await recv_type(a, "peer_joined")
    assert await a.receive_nothing(timeout=0.5)
    await b.disconnect()
    d, d_info = await join(t3, room)  # a seat is free again
    assert len(d_info["peers"]) == 1
    await a.disconnect()
    await d.disconnect()


async def test_expired_peer_of_a_crashed_process_is_announced_as_left(people):
    (_, t1), _, _ = people
    room = await new_room_for(people)
    a, _ = await join(t1, room)
    store = get_presence_store()
    # A peer registered by a process that then died: its entry is never refreshed.
    await store.join(room_scope(room), "ghostpeer", "ghostconn", ttl=0.2, info={"user_id": 999, "username": "ghost"})
    import asyncio

    await asyncio.sleep(0.4)  # let the ghost's TTL pass (setup, not an assertion)
    gone = []
    for _ in range(20):  # the sweep lock may be held by another sweeper for a moment
        gone.append(await sweep_once())
        if any(gone):
            break
        await asyncio.sleep(0.5)
    left = await recv_type(a, "peer_left")
    assert left["data"] == {"peer_id": "ghostpeer", "reason": "expired"}
    assert "ghostpeer" not in await store.members(room_scope(room))
    await a.disconnect()


async def test_quality_report_feeds_the_metrics_and_is_not_relayed(people):
    from realtime.metrics import QUALITY_RTT

    (a, _), (b, b_info) = await room_joined_by(people, 2)
    before = QUALITY_RTT.labels("RoomConsumer")._sum.get()
    report = {"peer": b_info["peer_id"], "rtt_ms": 30, "packet_loss_pct": 0, "bitrate_kbps": 1200, "fps": 30}
    await send(a, "quality_report", report)
    await send(a, "quality_report", {**report, "bitrate_kbps": -1})
    assert (await recv_type(a, "error"))["data"]["code"] == "invalid"
    assert QUALITY_RTT.labels("RoomConsumer")._sum.get() == pytest.approx(before + 0.03)
    assert await b.receive_nothing(timeout=0.3)  # nothing relayed
    for comm in (a, b):
        await comm.disconnect()
