"""Moderation over real server processes: one ban closes every socket of the user on every
stream of the streamer, whichever process holds it; moderators cannot act on each other."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import websockets
from asgiref.sync import sync_to_async

from conftest import access_token
from livestream.services import moderator_add
from livestream.tests.sockets import live_stream_via_api
from realtime import closecodes
from realtime.testing import expect_close, recv_type

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]

WAIT = 15.0


async def open_live(server: Any, stream_id: int, token: str) -> Any:
    ws = await websockets.connect(f"{server.ws_url}/ws/live/{stream_id}/?token={token}", open_timeout=WAIT)
    hello = await recv_type(ws, "connection_established", timeout=WAIT)
    assert hello["data"]["stream"] == stream_id
    return ws


async def test_one_ban_closes_both_streams_and_moderators_cannot_act_on_each_other(
    live_db: None, cluster: Any, make_user: Any
) -> None:
    host, viewer, first_mod, second_mod = [await sync_to_async(make_user)() for _ in range(4)]
    for moderator in (first_mod, second_mod):
        await sync_to_async(moderator_add)(streamer=host, username=moderator.username)
    token = {u.pk: await sync_to_async(access_token)(u) for u in (host, viewer, first_mod, second_mod)}
    one = await live_stream_via_api(cluster.servers[0].http_url, token[host.pk], "one")
    two = await live_stream_via_api(cluster.servers[0].http_url, token[host.pk], "two")

    def api(user: Any) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=cluster.servers[1].http_url, headers={"Authorization": f"Bearer {token[user.pk]}"}, timeout=WAIT
        )

    # The viewer watches both streams, each socket on a different process.
    on_one = await open_live(cluster.servers[0], one, token[viewer.pk])
    on_two = await open_live(cluster.servers[1], two, token[viewer.pk])
    mod_socket = await open_live(cluster.servers[0], two, token[second_mod.pk])
    try:
        async with api(first_mod) as first, api(second_mod) as second, api(host) as streamer:
            # A moderator cannot ban or kick another moderator.
            refused = await first.post(f"/api/live/streams/{one}/ban/", json={"username": second_mod.username})
            assert refused.status_code == 403, refused.text
            assert "Only the streamer" in refused.json()["detail"]
            assert (
                await first.post(f"/api/live/streams/{two}/kick/", json={"username": second_mod.username})
            ).status_code == 403

            # The streamer can: one ban, issued on stream one, closes the moderator's socket on stream two.
            banned = await streamer.post(f"/api/live/streams/{one}/ban/", json={"username": second_mod.username})
            assert banned.status_code == 200 and banned.json()["action"] == "banned", banned.text
            assert (await recv_type(mod_socket, "kicked", timeout=WAIT))["data"]["reason"] == "banned"
            assert await expect_close(mod_socket, timeout=WAIT) == closecodes.FORBIDDEN

            # A banned moderator has no rights left.
            assert (
                await second.post(f"/api/live/streams/{one}/kick/", json={"username": viewer.username})
            ).status_code == 403
            assert (
                await second.post(f"/api/live/streams/{two}/ban/", json={"username": viewer.username})
            ).status_code == 403

            # A moderator bans the viewer on stream two: both of the viewer's sockets close, on both processes.
            assert (
                await first.post(f"/api/live/streams/{two}/ban/", json={"username": viewer.username})
            ).status_code == 200
            for ws in (on_one, on_two):
                kicked = await recv_type(ws, "kicked", timeout=WAIT)
                assert kicked["data"]["reason"] == "banned" and kicked["data"]["user"]["id"] == viewer.pk
                assert await expect_close(ws, timeout=WAIT) == closecodes.FORBIDDEN

        again = await websockets.connect(
            f"{cluster.servers[1].ws_url}/ws/live/{one}/?token={token[viewer.pk]}", open_timeout=WAIT
        )
        assert (await recv_type(again, "error", timeout=WAIT))["data"]["code"] == "banned"
        assert await expect_close(again, timeout=WAIT) == closecodes.FORBIDDEN
    finally:
        for ws in (on_one, on_two, mod_socket):
            await ws.close()
