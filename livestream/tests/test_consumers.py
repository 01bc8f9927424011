"""LiveConsumer through the real ASGI stack (auth middleware, Redis layer and presence)."""

from __future__ import annotations

import time
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.test import override_settings

from livestream.models import Ban, LiveComment, Stream, StreamStatus
from livestream.services import moderator_add, stream_create, stream_start, user_ban, user_kick
from livestream.tests.sockets import SDP, Client, connect, drain, joined
from realtime import closecodes
from realtime.errors import Forbidden
from realtime.groups import viewer_scope
from realtime.heartbeat import sweep_once
from realtime.presence import get_presence_store
from realtime.testing import Frame

pytestmark = [pytest.mark.django_db(transaction=True)]


async def streamer_then_viewer(
    make_user: Any, stream: Stream
) -> tuple[Any, tuple[Client, Frame], tuple[Client, Frame]]:
    """The streamer joins, then a new viewer: (the viewer, (host, its hello), (watcher, its hello))."""
    viewer = await sync_to_async(make_user)()
    host = await joined(stream.streamer, stream.pk)
    return viewer, host, await joined(viewer, stream.pk)


async def watcher_of_a_streamer_who_left(make_user: Any, stream: Stream) -> Client:
    """A viewer watches, the streamer joins and then closes their socket: the viewer's client."""
    watcher, _ = await joined(await sync_to_async(make_user)(), stream.pk)
    host, _ = await joined(stream.streamer, stream.pk)
    await host.close()
    return watcher


@pytest.fixture
def live_stream(make_user: Any) -> Stream:
    streamer = make_user()
    stream = stream_create(streamer=streamer, title="Live coding")
    return stream_start(stream_id=stream.pk, user=streamer)


async def test_unknown_stream_is_closed_with_4404(make_user: Any) -> None:
    viewer = await sync_to_async(make_user)()
    client = await connect(viewer, 999_999)
    frame = await client.wait("error")
    assert frame["data"]["code"] == "stream_not_found"
    assert await client.closed_with() == closecodes.NOT_FOUND


async def test_ended_stream_is_closed_with_4410(make_user: Any, live_stream: Stream) -> None:
    await sync_to_async(Stream.objects.filter(pk=live_stream.pk).update)(status=StreamStatus.ENDED)
    client = await connect(await sync_to_async(make_user)(), live_stream.pk)
    assert (await client.wait("error"))["data"]["code"] == "stream_ended"
    assert await client.closed_with() == closecodes.GONE


async def test_banned_user_is_closed_with_4403(make_user: Any, live_stream: Stream) -> None:
    viewer = await sync_to_async(make_user)()
    await sync_to_async(Ban.objects.create)(streamer_id=live_stream.streamer_id, user=viewer)
    client = await connect(viewer, live_stream.pk)
    assert (await client.wait("error"))["data"]["code"] == "banned"
    assert await client.closed_with() == closecodes.FORBIDDEN


async def test_roles_come_from_the_connection(make_user: Any, live_stream: Stream) -> None:
    moderator = await sync_to_async(make_user)()
    await sync_to_async(moderator_add)(streamer=live_stream.streamer, username=moderator.username)
    host, hello = await joined(live_stream.streamer, live_stream.pk)
    assert hello["data"]["role"] == "streamer" and hello["data"]["viewers"] == 0
    mod, hello = await joined(moderator, live_stream.pk)
    assert hello["data"] == {**hello["data"], "stream": live_stream.pk, "role": "moderator", "viewers": 1}
    await mod.close()
    await host.close()


async def test_viewer_join_and_leave_are_announced_once_per_user(make_user: Any, live_stream: Stream) -> None:
    viewer, (host, _), (tab1, _) = await streamer_then_viewer(make_user, live_stream)
    first = await host.wait("user_joined")
    assert first["data"]["user"] == {"id": viewer.pk, "username": viewer.username} and first["data"]["peer"]
    assert (await host.wait("viewers_update"))["data"] == {"count": 1}
    # A second tab of the same user neither counts nor announces.
    tab2, hello = await joined(viewer, live_stream.pk)
    assert hello["data"]["viewers"] == 1
    await tab1.close()
    peer_left = await host.wait("peer_left")
    assert peer_left["data"]["peer"] == first["data"]["peer"]
    assert await host.comm.receive_nothing(timeout=0.5)
    await tab2.close()
    left = await host.wait("user_left")
    assert left["data"]["user"]["id"] == viewer.pk
    assert (await host.wait("viewers_update"))["data"] == {"count": 0}
    stream = await sync_to_async(Stream.objects.get)(pk=live_stream.pk)
    assert (stream.current_viewers, stream.peak_viewers) == (0, 1)
    await host.close()


async def test_streamer_connecting_later_gets_the_viewers_peers(make_user: Any, live_stream: Stream) -> None:
    viewer = await sync_to_async(make_user)()
    watcher, hello = await joined(viewer, live_stream.pk)
    host, host_hello = await joined(live_stream.streamer, live_stream.pk)
    assert host_hello["data"]["peers"] == [
        {"peer": hello["data"]["peer"], "user": {"id": viewer.pk, "username": viewer.username}, "role": "viewer"}
    ]
    await watcher.close()
    await host.close()


@override_settings(LIVE_MAX_VIEWERS=1)
async def test_viewer_over_the_limit_gets_error_then_4413(make_user: Any, live_stream: Stream) -> None:
    first, second = await sync_to_async(make_user)(), await sync_to_async(make_user)()
    watcher, _ = await joined(first, live_stream.pk)
    client = await connect(second, live_stream.pk)
    error = await client.wait("error")
    assert error["data"]["code"] == "stream_full" and error["data"]["max_viewers"] == 1
    assert await client.closed_with() == closecodes.FULL
    assert await get_presence_store().count(viewer_scope(live_stream.pk)) == 1
    await watcher.close()


async def test_offer_answer_and_candidates_are_relayed_with_server_set_sender(
    make_user: Any, live_stream: Stream
) -> None:
    viewer, (host, host_hello), (watcher, hello) = await streamer_then_viewer(make_user, live_stream)
    peer = (await host.wait("user_joined"))["data"]["peer"]
    assert peer == hello["data"]["peer"]

    await host.send("webrtc_offer", {"target": peer, "sdp": SDP, "from": "forged"})
    offer = await watcher.wait("webrtc_offer")
    assert offer["data"]["sdp"] == SDP and offer["data"]["from"] == host_hello["data"]["peer"]
    assert offer["data"]["user"]["id"] == live_stream.streamer_id

    await watcher.send("webrtc_answer", {"sdp": SDP})
    answer = await host.wait("webrtc_answer")
    assert answer["data"]["from"] == peer and answer["data"]["user"]["id"] == viewer.pk

    candidate = {"candidate": "candidate:1 1 udp 2130706431 127.0.0.1 5000 typ host", "sdpMid": "0", "sdpMLineIndex": 0}
    await watcher.send("ice_candidate", {"candidate": candidate, "target": offer["data"]["from"]})
    assert (await host.wait("ice_candidate"))["data"]["candidate"] == candidate
    await host.send("ice_candidate", {"candidate": candidate, "target": peer})
    assert (await watcher.wait("ice_candidate"))["data"]["from"] == host_hello["data"]["peer"]

    await watcher.send("request_offer", {})
    assert (await host.wait("request_offer"))["data"]["from"] == peer
    await watcher.close()
    await host.close()


async def test_viewer_cannot_signal_another_viewer(make_user: Any, live_stream: Stream) -> None:
    alice, bob = await sync_to_async(make_user)(), await sync_to_async(make_user)()
    a, _ = await joined(alice, live_stream.pk)
    b, b_hello = await joined(bob, live_stream.pk)
    await a.send("webrtc_offer", {"target": b_hello["data"]["peer"], "sdp": SDP})
    assert (await a.wait("error"))["data"]["code"] == "forbidden"
    await a.send("webrtc_answer", {"target": b_hello["data"]["peer"], "sdp": SDP})
    assert (await a.wait("error"))["data"]["code"] == "forbidden"
    await a.send("ice_candidate", {"target": b_hello["data"]["peer"], "candidate": None})
    assert (await a.wait("error"))["data"]["code"] == "forbidden"
    assert not {"webrtc_offer", "webrtc_answer", "ice_candidate"} & set(await drain(b))
    await a.close()
    await b.close()


@override_settings(LIVE_MAX_SDP_BYTES=1000)
async def test_oversized_sdp_gets_an_error_and_is_not_relayed(make_user: Any, live_stream: Stream) -> None:
    _, (host, _), (watcher, hello) = await streamer_then_viewer(make_user, live_stream)
    await host.send("webrtc_offer", {"target": hello["data"]["peer"], "sdp": "a" * 1001})
    assert (await host.wait("error"))["data"]["code"] == "sdp_too_large"
    await watcher.wait("viewers_update")
    assert await watcher.comm.receive_nothing(timeout=1)
    await watcher.close()
    await host.close()


async def test_streamer_offer_to_a_socket_outside_the_stream_is_refused(make_user: Any, live_stream: Stream) -> None:
    host, _ = await joined(live_stream.streamer, live_stream.pk)
    await host.send("webrtc_offer", {"target": "0" * 32, "sdp": SDP})
    assert (await host.wait("error"))["data"]["code"] == "unknown_target"
    await host.close()


async def test_comment_is_broadcast_with_badge_and_deleted_by_moderator(make_user: Any, live_stream: Stream) -> None:
    viewer, moderator = await sync_to_async(make_user)(), await sync_to_async(make_user)()
    await sync_to_async(moderator_add)(streamer=live_stream.streamer, username=moderator.username)
    watcher, _ = await joined(viewer, live_stream.pk)
    mod, _ = await joined(moderator, live_stream.pk)
    await mod.send("comment", {"text": "  welcome  "})
    frame = await watcher.wait("comment")
    assert frame["data"]["text"] == "welcome" and frame["data"]["badge"] == "moderator"
    assert frame["data"]["author"] == {"id": moderator.pk, "username": moderator.username}
    await watcher.send("comment", {"text": "   "})
    assert (await watcher.wait("error"))["data"]["code"] == "invalid"
    await watcher.send("delete_comment", {"id": frame["data"]["id"]})
    assert (await watcher.wait("error"))["data"]["code"] == "forbidden"
    await mod.send("delete_comment", {"id": frame["data"]["id"]})
    assert (await watcher.wait("comment_deleted"))["data"] == {"id": frame["data"]["id"]}
    assert await sync_to_async(LiveComment.objects.filter(pk=frame["data"]["id"], deleted_at__isnull=False).exists)()
    await watcher.close()
    await mod.close()


async def test_kicked_viewer_is_closed_4403_and_cannot_rejoin(make_user: Any, live_stream: Stream) -> None:
    viewer, other = await sync_to_async(make_user)(), await sync_to_async(make_user)()
    host, _ = await joined(live_stream.streamer, live_stream.pk)
    watcher, _ = await joined(viewer, live_stream.pk)
    bystander, _ = await joined(other, live_stream.pk)
    await bystander.send("kick", {"user": viewer.username})
    assert (await bystander.wait("error"))["data"]["code"] == "forbidden"
    await host.send("kick", {"user": viewer.pk})
    kicked = await watcher.wait("kicked")
    assert kicked["data"]["reason"] == "kicked"
    assert await watcher.closed_with() == closecodes.FORBIDDEN
    assert (await host.wait("user_left", where=lambda f: f["data"]["user"]["id"] == viewer.pk))["data"]["viewers"] == 1
    again = await connect(viewer, live_stream.pk)
    assert await again.closed_with() == closecodes.FORBIDDEN
    await bystander.close()
    await host.close()


async def test_start_and_end_over_the_socket_reach_viewers(make_user: Any) -> None:
    streamer, viewer = await sync_to_async(make_user)(), await sync_to_async(make_user)()
    stream = await sync_to_async(stream_create)(streamer=streamer, title="Soon")
    watcher, hello = await joined(viewer, stream.pk)
    assert hello["data"]["status"] == "scheduled"
    host, _ = await joined(streamer, stream.pk)
    await watcher.send("start_stream")
    assert (await watcher.wait("error"))["data"]["code"] == "forbidden"
    await host.send("start_stream")
    started = await watcher.wait("stream_started")
    assert started["data"]["stream"]["status"] == "live"
    await host.send("end_stream")
    ended = await watcher.wait("stream_ended")
    assert ended["data"]["reason"] == "ended_by_streamer"
    assert await watcher.closed_with() == closecodes.GONE
    assert await host.closed_with() == closecodes.GONE


@override_settings(LIVE_STREAMER_GRACE_SECONDS=0.5)
async def test_streamer_away_past_grace_ends_the_stream(make_user: Any, live_stream: Stream) -> None:
    watcher = await watcher_of_a_streamer_who_left(make_user, live_stream)
    ended = await watcher.wait("stream_ended", timeout=15)
    assert ended["data"]["reason"] == "streamer_left"
    assert await watcher.closed_with() == closecodes.GONE


@override_settings(LIVE_STREAMER_GRACE_SECONDS=1.5)
async def test_streamer_back_within_grace_keeps_the_stream(make_user: Any, live_stream: Stream) -> None:
    watcher = await watcher_of_a_streamer_who_left(make_user, live_stream)
    host, _ = await joined(live_stream.streamer, live_stream.pk)
    assert "stream_ended" not in await drain(watcher, quiet=2.5)
    stream = await sync_to_async(Stream.objects.get)(pk=live_stream.pk)
    assert stream.status == StreamStatus.LIVE and stream.streamer_left_at is None
    await watcher.close()
    await host.close()


async def test_viewer_of_a_crashed_process_is_announced_as_left(make_user: Any, live_stream: Stream) -> None:
    ghost = await sync_to_async(make_user)()
    host, _ = await joined(live_stream.streamer, live_stream.pk)
    store = get_presence_store()
    # A connection nobody refreshes, as if its process died right after joining.
    await store.join(viewer_scope(live_stream.pk), str(ghost.pk), "dead" * 8, ttl=0.2)
    deadline = time.monotonic() + 15
    # is_present() is already False once the TTL lapses; the sweep is what announces it.
    while time.monotonic() < deadline and await host.comm.receive_nothing(timeout=0.3):
        await sweep_once()
    left = await host.wait("user_left")
    assert left["data"]["user"] == {"id": ghost.pk, "username": ghost.username}
    assert (await host.wait("viewers_update"))["data"]["count"] == 0
    await host.close()


async def test_one_ban_closes_the_users_sockets_on_every_stream_of_the_streamer(
    make_user: Any, live_stream: Stream
) -> None:
    viewer, other_streamer = await sync_to_async(make_user)(), await sync_to_async(make_user)()
    streamer = live_stream.streamer

    def second_streams() -> tuple[int, int]:
        same = stream_start(stream_id=stream_create(streamer=streamer, title="Second").pk, user=streamer)
        other = stream_start(
            stream_id=stream_create(streamer=other_streamer, title="Elsewhere").pk, user=other_streamer
        )
        return same.pk, other.pk

    same_id, other_id = await sync_to_async(second_streams)()
    host, _ = await joined(streamer, live_stream.pk)
    on_first, _ = await joined(viewer, live_stream.pk)
    on_second, _ = await joined(viewer, same_id)
    on_other, _ = await joined(viewer, other_id)  # another streamer's stream: not affected
    await sync_to_async(user_ban)(stream_id=live_stream.pk, actor=streamer, target=viewer)
    for client in (on_first, on_second):
        assert (await client.wait("kicked"))["data"]["reason"] == "banned"
        assert await client.closed_with() == closecodes.FORBIDDEN
    await on_other.send("ping", {"ts": 1})
    assert (await on_other.wait("pong"))["type"] == "pong"
    again = await connect(viewer, same_id)
    assert (await again.wait("error"))["data"]["code"] == "banned"
    assert await again.closed_with() == closecodes.FORBIDDEN
    await on_other.close()
    await host.close()


async def test_moderators_cannot_kick_each_other_and_a_banned_moderator_cannot_kick(
    make_user: Any, live_stream: Stream
) -> None:
    first, second, viewer = [await sync_to_async(make_user)() for _ in range(3)]
    for moderator in (first, second):
        await sync_to_async(moderator_add)(streamer=live_stream.streamer, username=moderator.username)
    mod_one, hello = await joined(first, live_stream.pk)
    assert hello["data"]["role"] == "moderator"
    mod_two, _ = await joined(second, live_stream.pk)
    watcher, _ = await joined(viewer, live_stream.pk)
    await mod_one.send("kick", {"user": second.pk})
    error = await mod_one.wait("error")
    assert error["data"]["code"] == "forbidden" and "moderator" in error["data"]["message"]
    # The streamer bans the second moderator (as over REST): their socket closes.
    await sync_to_async(user_ban)(stream_id=live_stream.pk, actor=live_stream.streamer, target=second)
    assert (await mod_two.wait("kicked"))["data"]["reason"] == "banned"
    assert await mod_two.closed_with() == closecodes.FORBIDDEN
    # A banned moderator's role is gone even through a socket that would still be open.
    with pytest.raises(Forbidden):
        await sync_to_async(user_kick)(stream_id=live_stream.pk, actor=second, target=viewer)
    await watcher.send("ping", {})
    assert (await watcher.wait("pong"))["type"] == "pong"
    await watcher.close()
    await mod_one.close()


async def test_a_viewers_quality_report_reaches_the_streamer_and_the_metrics(
    make_user: Any, live_stream: Stream
) -> None:
    from realtime.metrics import QUALITY_REPORTS

    viewer, (host, _), (watcher, hello) = await streamer_then_viewer(make_user, live_stream)
    before = QUALITY_REPORTS.labels("LiveConsumer")._value.get()
    report = {"rtt_ms": 42.5, "packet_loss_pct": 0.4, "bitrate_kbps": 900, "fps": None}
    await watcher.send("quality_report", report)
    quality = (await host.wait("viewer_quality"))["data"]
    assert quality == {
        "from": hello["data"]["peer"],
        "user": {"id": viewer.pk, "username": viewer.username},
        "role": "viewer",
        **report,
    }
    assert QUALITY_REPORTS.labels("LiveConsumer")._value.get() == before + 1
    # figures are JSON numbers in range, else `invalid` and nothing reaches the streamer
    for bad in ({**report, "rtt_ms": "42"}, {**report, "packet_loss_pct": 101}, {**report, "fps": True}):
        await watcher.send("quality_report", bad)
        assert (await watcher.wait("error"))["data"]["code"] == "invalid"
    assert "viewer_quality" not in await drain(host)
    await watcher.close()
    await host.close()
