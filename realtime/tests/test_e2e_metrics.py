"""Metrics and stats over two real server processes: a scripted session (connect, chat, notify,
kick, signaling errors) and what `/metrics` and `/api/stats/` say about it afterwards.

A dedicated cluster (fresh Prometheus multiprocess directory, its own presence and channel-layer
namespace), so every figure is exactly what this test did: both processes' counters are summed by
whichever process is scraped.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from typing import Any

import httpx
import pytest
import websockets
from asgiref.sync import sync_to_async

from conftest import access_token
from livestream.tests.test_e2e_webrtc import live_stream_via_api
from realtime import closecodes
from realtime.testing import metric_sample

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]

WAIT = 15.0


async def frame_of(ws: Any, event_type: str, *, types: tuple[str, ...] = ()) -> dict[str, Any]:
    while True:
        frame = json.loads(await asyncio.wait_for(ws.recv(), WAIT))
        if frame["type"] in (event_type, *types):
            return frame


async def close_code(ws: Any) -> int:
    try:
        while True:
            await asyncio.wait_for(ws.recv(), WAIT)
    except websockets.ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd else 1006


async def until(fetch: Any, check: Any, timeout: float = WAIT) -> Any:
    """Fetch until `check(value)` holds (process reports travel through Redis); the last value otherwise."""
    deadline = time.monotonic() + timeout
    while True:
        value = await fetch()
        if check(value) or time.monotonic() > deadline:
            return value
        await asyncio.sleep(0.2)


async def test_metrics_and_stats_after_a_scripted_session_on_two_processes(
    live_db: None, cluster_factory: Any, make_user: Any
) -> None:
    ns = uuid.uuid4().hex[:8]
    cluster = await sync_to_async(cluster_factory)(
        2,
        PRESENCE_PREFIX=f"metrics-{ns}-presence",
        CHANNEL_LAYER_PREFIX=f"metrics-{ns}-asgi",
        STATS_REPORT_SECONDS="0.5",
    )
    one, two = cluster.servers
    alice, bob, host, viewer = [await sync_to_async(make_user)() for _ in range(4)]
    staff = await sync_to_async(make_user)(is_staff=True)
    token = {u.pk: await sync_to_async(access_token)(u) for u in (alice, bob, host, viewer, staff)}

    def ws(server: Any, path: str, user: Any) -> Any:
        return websockets.connect(f"{server.ws_url}{path}?token={token[user.pk]}", open_timeout=WAIT)

    async with httpx.AsyncClient(
        base_url=two.http_url, headers={"Authorization": f"Bearer {token[alice.pk]}"}, timeout=WAIT
    ) as api:
        created = await api.post("/api/chat/conversations/", json={"user": bob.username})
        assert created.status_code in (200, 201), created.text
        conversation = created.json()["id"]
    stream = await live_stream_via_api(one.http_url, token[host.pk], "metrics")

    # Connect: personal sockets on both processes, a chat socket, the streamer and a viewer.
    alice_home = await ws(one, "/ws/notifications/", alice)
    bob_home = await ws(two, "/ws/notifications/", bob)
    alice_chat = await ws(one, f"/ws/chat/{conversation}/", alice)
    streamer = await ws(one, f"/ws/live/{stream}/", host)
    watcher = await ws(two, f"/ws/live/{stream}/", viewer)
    try:
        for socket in (alice_home, bob_home, alice_chat, streamer, watcher):
            await frame_of(socket, "connection_established")

        # Chat, and the notification it causes for bob (not viewing the conversation).
        await alice_chat.send(
            json.dumps({"type": "chat_message", "data": {"text": "hello metrics", "client_id": "m-1"}})
        )
        await frame_of(alice_chat, "chat_message")
        await frame_of(bob_home, "new_notification", types=("notification_batch",))

        # Signaling errors: an unknown target, an SDP above LIVE_MAX_SDP_BYTES.
        await streamer.send(json.dumps({"type": "webrtc_offer", "data": {"target": "0" * 32, "sdp": "v=0\r\n"}}))
        assert (await frame_of(streamer, "error"))["data"]["code"] == "unknown_target"
        await watcher.send(json.dumps({"type": "webrtc_answer", "data": {"sdp": "v=0\r\n" + "a" * 20000}}))
        assert (await frame_of(watcher, "error"))["data"]["code"] == "sdp_too_large"

        # Kick: the viewer's socket on the other process closes 4403.
        async with httpx.AsyncClient(
            base_url=one.http_url, headers={"Authorization": f"Bearer {token[host.pk]}"}, timeout=WAIT
        ) as api:
            kicked = await api.post(f"/api/live/streams/{stream}/kick/", json={"username": viewer.username})
            assert kicked.status_code == 200, kicked.text
        assert await close_code(watcher) == closecodes.FORBIDDEN

        async def scrape(server: Any) -> str:
            async with httpx.AsyncClient(base_url=server.http_url, timeout=WAIT) as client:
                response = await client.get("/metrics")
                assert response.status_code == 200, response.text
                return response.text

        async def stats() -> dict[str, Any]:
            async with httpx.AsyncClient(
                base_url=two.http_url, headers={"Authorization": f"Bearer {token[staff.pk]}"}, timeout=WAIT
            ) as client:
                response = await client.get("/api/stats/")
                assert response.status_code == 200, response.text
                return response.json()

        text = await until(lambda: scrape(one), lambda t: metric_sample(t, "realtime_ws_open_sockets") == 4)
        for body in (text, await scrape(two)):
            assert metric_sample(body, "realtime_ws_connects_total") == 5
            assert metric_sample(body, "realtime_ws_connects_total", route="PersonalConsumer") == 2
            assert metric_sample(body, "realtime_ws_open_sockets") == 4
            assert metric_sample(body, "realtime_ws_open_sockets", route="LiveConsumer") == 1
            assert (
                metric_sample(body, "realtime_ws_closes_total", route="LiveConsumer", code=str(closecodes.FORBIDDEN))
                == 1
            )
            assert metric_sample(body, "realtime_ws_frames_in_total", type="chat_message") == 1
            assert metric_sample(body, "chat_messages_created_total") == 1
            # a socket's message goes through the group-commit batcher: one batch of one message
            assert metric_sample(body, "chat_message_batch_seconds_count") == 1
            assert metric_sample(body, "chat_messages_batched_total") == 1
            assert metric_sample(body, "webrtc_signaling_failures_total", reason="unknown_target") == 1
            assert metric_sample(body, "webrtc_signaling_failures_total", reason="sdp_too_large") == 1
            assert metric_sample(body, "realtime_ws_errors_total", code="sdp_too_large") == 1
            assert metric_sample(body, "realtime_group_sends_total") > 0
            assert metric_sample(body, "realtime_publish_failures_total") == 0
            assert (
                metric_sample(body, "live_streams") == 1
                and metric_sample(body, "live_viewers", stream=str(stream)) == 0
            )
            assert metric_sample(body, "django_http_requests_total_by_method_total", method="POST") >= 4

        # Processes report every STATS_REPORT_SECONDS (and at once when a socket opens or closes).
        figures = await until(
            stats,
            lambda s: (
                s["sockets"] == 4
                and [p["sockets"] for p in s["processes"]] in ([3, 1], [1, 3])
                and sum(p["messages"] for p in s["processes"]) == 1
            ),
        )
        assert figures["sockets"] == 4
        assert sorted(p["sockets"] for p in figures["processes"]) == [1, 3]  # alice x2 + streamer on one, bob on two
        assert sum(p["messages"] for p in figures["processes"]) == 1, figures
        assert figures["online_users"] == 3  # alice, bob, the streamer; the kicked viewer has no socket left
        assert figures["active_conversations"] == 1 and figures["messages_last_minute"] == 1
        assert figures["live"] == {"count": 1, "viewers": 0, "streams": [{"id": stream, "viewers": 0}]}
        assert figures["rooms"] == {"count": 0, "participants": 0}
    finally:
        for socket in (alice_home, bob_home, alice_chat, streamer, watcher):
            await socket.close()
