"""Every /ws/live/ server event, as a client receives it, has exactly the fields docs/protocol.md lists.

test_consumers.py proves the behaviour (who gets what, when); this file pins the shapes, so a
field added, renamed or dropped in a payload fails here until the protocol document follows.
"""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import sync_to_async

from livestream.models import Stream
from livestream.services import stream_create, stream_start
from livestream.tests.sockets import SDP, joined

pytestmark = [pytest.mark.django_db(transaction=True)]

STREAM_KEYS = {
    "id",
    "streamer",
    "title",
    "status",
    "started_at",
    "ended_at",
    "current_viewers",
    "peak_viewers",
    "created_at",
}
CANDIDATE = {"candidate": "candidate:1 1 udp 2130706431 127.0.0.1 5000 typ host", "sdpMid": "0", "sdpMLineIndex": 0}


def brief(user: Any) -> dict[str, Any]:
    return {"id": user.pk, "username": user.username}


def relayed(sender_peer: str, sender: Any, role: str, **payload: Any) -> dict[str, Any]:
    """A relayed signaling frame's data: the sender as the server sets it (peer, user, role), then the payload."""
    return {"from": sender_peer, "user": brief(sender), "role": role, **payload}


@pytest.fixture
def live_stream(make_user: Any) -> Stream:
    streamer = make_user()
    stream = stream_create(streamer=streamer, title="Shapes")
    return stream_start(stream_id=stream.pk, user=streamer)


async def test_presence_and_signaling_events_have_their_documented_shapes(make_user: Any, live_stream: Stream) -> None:
    viewer = await sync_to_async(make_user)()
    streamer = await sync_to_async(lambda: live_stream.streamer)()
    host, host_hello = await joined(streamer, live_stream.pk)
    assert set(host_hello["data"]) == {"stream", "status", "role", "viewers", "peer", "peers"}
    assert (host_hello["data"]["stream"], host_hello["data"]["role"], host_hello["data"]["peers"]) == (
        live_stream.pk,
        "streamer",
        [],
    )
    host_peer = host_hello["data"]["peer"]

    watcher, hello = await joined(viewer, live_stream.pk)
    peer = hello["data"]["peer"]
    assert hello["data"] == {"stream": live_stream.pk, "status": "live", "role": "viewer", "viewers": 1, "peer": peer}

    joined_frame = await host.wait("user_joined")
    assert joined_frame["data"] == {"user": brief(viewer), "peer": peer, "role": "viewer", "viewers": 1}
    assert (await host.wait("viewers_update"))["data"] == {"count": 1}

    await host.send("webrtc_offer", {"target": peer, "sdp": SDP})
    assert (await watcher.wait("webrtc_offer"))["data"] == relayed(host_peer, streamer, "streamer", sdp=SDP)
    await watcher.send("webrtc_answer", {"sdp": SDP, "target": host_peer})
    assert (await host.wait("webrtc_answer"))["data"] == relayed(peer, viewer, "viewer", sdp=SDP)
    await watcher.send("ice_candidate", {"target": host_peer, "candidate": CANDIDATE})
    assert (await host.wait("ice_candidate"))["data"] == relayed(peer, viewer, "viewer", candidate=CANDIDATE)
    await host.send("ice_candidate", {"target": peer, "candidate": None})
    assert (await watcher.wait("ice_candidate"))["data"] == relayed(host_peer, streamer, "streamer", candidate=None)
    await watcher.send("request_offer", {})
    assert (await host.wait("request_offer"))["data"] == relayed(peer, viewer, "viewer")

    await watcher.close()
    assert (await host.wait("peer_left"))["data"] == {"peer": peer, "user_id": viewer.pk}
    assert (await host.wait("user_left"))["data"] == {"user": brief(viewer), "peer": peer, "viewers": 0}
    await host.close()


async def test_comment_moderation_and_lifecycle_events_have_their_documented_shapes(make_user: Any) -> None:
    streamer, viewer = await sync_to_async(make_user)(), await sync_to_async(make_user)()
    stream = await sync_to_async(stream_create)(streamer=streamer, title="Soon")
    host, _ = await joined(streamer, stream.pk)
    watcher, _ = await joined(viewer, stream.pk)

    await host.send("start_stream")
    started = await watcher.wait("stream_started")
    assert set(started["data"]) == {"stream"} and set(started["data"]["stream"]) == STREAM_KEYS
    assert started["data"]["stream"]["streamer"] == brief(streamer) and started["data"]["stream"]["status"] == "live"

    await watcher.send("comment", {"text": "hello"})
    comment = await host.wait("comment")
    assert set(comment) == {"type", "data", "timestamp", "id"} and comment["id"] == comment["data"]["id"]
    assert set(comment["data"]) == {"id", "stream_id", "author", "text", "badge", "created_at"}
    assert (
        comment["data"]["stream_id"],
        comment["data"]["author"],
        comment["data"]["text"],
        comment["data"]["badge"],
    ) == (
        stream.pk,
        brief(viewer),
        "hello",
        "viewer",
    )
    await host.send("delete_comment", {"id": comment["data"]["id"]})
    assert (await watcher.wait("comment_deleted"))["data"] == {"id": comment["data"]["id"]}

    await host.send("kick", {"user": viewer.pk})
    assert (await watcher.wait("kicked"))["data"] == {"stream": stream.pk, "reason": "kicked", "user": brief(viewer)}

    late = await sync_to_async(make_user)()
    other, _ = await joined(late, stream.pk)
    await host.send("end_stream")
    ended = await other.wait("stream_ended")
    assert set(ended["data"]) == {"stream", "reason"} and set(ended["data"]["stream"]) == STREAM_KEYS
    assert (ended["data"]["stream"]["status"], ended["data"]["reason"]) == ("ended", "ended_by_streamer")
