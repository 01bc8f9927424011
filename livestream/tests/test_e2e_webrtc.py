"""Real WebRTC peers (aiortc) signaling through /ws/live/ on two server processes sharing Redis."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from asgiref.sync import sync_to_async

from conftest import access_token
from livestream.tests.peers import LiveSocket, Streamer, Viewer
from livestream.tests.sockets import live_stream_via_api
from realtime import closecodes

pytestmark = [pytest.mark.e2e, pytest.mark.webrtc, pytest.mark.timeout(300)]


async def users(make_user: Any, n: int) -> list[Any]:
    return [await sync_to_async(make_user)() for _ in range(n)]


async def test_three_viewers_on_two_servers_receive_decoded_video(live_db: None, cluster: Any, make_user: Any) -> None:
    host_user, *viewer_users = await users(make_user, 4)
    token = sync_to_async(access_token)
    stream_id = await live_stream_via_api(cluster.servers[0].http_url, await token(host_user))
    streamer: Streamer | None = None
    viewers: list[Viewer] = []
    try:
        streamer = Streamer(await LiveSocket.open(cluster.servers[0].ws_url, stream_id, await token(host_user)))
        hello = await streamer.sock.wait("connection_established")
        assert hello["data"]["role"] == "streamer"
        # The first viewer goes through the second process: signaling crosses processes via Redis.
        for index, user in enumerate(viewer_users):
            server = cluster.servers[1 if index == 0 else 0]
            viewer = Viewer(await LiveSocket.open(server.ws_url, stream_id, await token(user)))
            viewers.append(viewer)
            frame = await viewer.first_frame()
            assert frame.width > 0 and frame.height > 0
            await streamer.wait_count(index + 1)
        assert not streamer.errors, streamer.errors
        assert streamer.counts == [1, 2, 3]
        joined = [f["data"]["user"]["id"] for f in streamer.sock.frames if f["type"] == "user_joined"]
        assert joined == [u.pk for u in viewer_users]

        for expected in (2, 1, 0):
            await viewers.pop(0).close()
            await streamer.wait_count(expected)
        assert streamer.counts == [1, 2, 3, 2, 1, 0]
        left = [f["data"]["user"]["id"] for f in streamer.sock.frames if f["type"] == "user_left"]
        assert left == [u.pk for u in viewer_users]
    finally:
        for viewer in viewers:
            await viewer.close()
        if streamer is not None:
            await streamer.close()
            await streamer.sock.close()


async def test_viewer_cannot_offer_to_another_viewer_and_oversized_sdp_is_refused(
    live_db: None, cluster: Any, make_user: Any
) -> None:
    host_user, alice, bob = await users(make_user, 3)
    token = sync_to_async(access_token)
    stream_id = await live_stream_via_api(cluster.servers[0].http_url, await token(host_user))
    sockets: list[LiveSocket] = []
    try:
        host = await LiveSocket.open(cluster.servers[0].ws_url, stream_id, await token(host_user))
        a = await LiveSocket.open(cluster.servers[0].ws_url, stream_id, await token(alice))
        b = await LiveSocket.open(cluster.servers[1].ws_url, stream_id, await token(bob))
        sockets += [host, a, b]
        await a.wait("connection_established")
        b_peer = (await b.wait("connection_established"))["data"]["peer"]
        a_peer = (await host.wait("user_joined", where=lambda f: f["data"]["user"]["id"] == alice.pk))["data"]["peer"]

        await a.send("webrtc_offer", {"target": b_peer, "sdp": "v=0\r\n"})
        assert (await a.wait("error"))["data"]["code"] == "forbidden"
        await a.send("webrtc_answer", {"target": b_peer, "sdp": "v=0\r\n"})
        assert (await a.wait("error"))["data"]["code"] == "forbidden"

        await host.send("webrtc_offer", {"target": a_peer, "sdp": "v=0\r\n" + "a=x\r\n" * 4000})  # ~20 KB > 16 KB
        assert (await host.wait("error"))["data"]["code"] == "sdp_too_large"

        # A valid relay afterwards proves the pipes work, so "nothing arrived" above means refused.
        await host.send("webrtc_offer", {"target": a_peer, "sdp": "v=0\r\n"})
        assert (await a.wait("webrtc_offer"))["data"]["sdp"] == "v=0\r\n"
        await asyncio.sleep(1)
        assert "webrtc_offer" not in b.types() and "webrtc_answer" not in b.types()
        assert a.types().count("webrtc_offer") == 1  # the oversized one never arrived
    finally:
        for sock in sockets:
            await sock.close()


async def test_kicked_viewer_is_disconnected_and_cannot_rejoin(live_db: None, cluster: Any, make_user: Any) -> None:
    host_user, viewer_user = await users(make_user, 2)
    token = sync_to_async(access_token)
    stream_id = await live_stream_via_api(cluster.servers[0].http_url, await token(host_user))
    sockets: list[LiveSocket] = []
    try:
        viewer = await LiveSocket.open(cluster.servers[1].ws_url, stream_id, await token(viewer_user))
        sockets.append(viewer)
        await viewer.wait("connection_established")
        async with httpx.AsyncClient(base_url=cluster.servers[0].http_url, timeout=30) as client:
            denied = await client.post(
                f"/api/live/streams/{stream_id}/kick/",
                json={"username": host_user.username},
                headers={"Authorization": f"Bearer {await token(viewer_user)}"},
            )
            assert denied.status_code == 403
            kicked = await client.post(
                f"/api/live/streams/{stream_id}/kick/",
                json={"username": viewer_user.username},
                headers={"Authorization": f"Bearer {await token(host_user)}"},
            )
            assert kicked.status_code == 200, kicked.text
        assert (await viewer.wait("kicked"))["data"]["reason"] == "kicked"
        assert await viewer.closed() == closecodes.FORBIDDEN
        again = await LiveSocket.open(cluster.servers[0].ws_url, stream_id, await token(viewer_user))
        sockets.append(again)
        assert await again.closed() == closecodes.FORBIDDEN
    finally:
        for sock in sockets:
            await sock.close()
