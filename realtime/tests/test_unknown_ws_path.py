"""A WebSocket handshake on a path nobody routes: 404 (or close 4404), never a 500 and "No route found"."""

from __future__ import annotations

import json
from typing import Any

import pytest
import websockets
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator

from config.routing import websocket_urlpatterns
from realtime import closecodes
from realtime.auth import websocket_stack

UNKNOWN = "/ws/no/such/socket/"


async def test_in_process_server_without_the_extension_closes_4404() -> None:
    app = websocket_stack(URLRouter(websocket_urlpatterns))
    comm = WebsocketCommunicator(app, UNKNOWN)
    connected, _ = await comm.connect(timeout=5)
    assert connected
    closed = await comm.receive_output(timeout=5)
    assert closed == {"type": "websocket.close", "code": closecodes.NOT_FOUND, "reason": "no such path"}


@pytest.mark.e2e
@pytest.mark.parametrize("path", [UNKNOWN, "/ws/rooms/a/b/c", "/nope", "/ws/notifications/extra/"])
async def test_uvicorn_answers_http_404_at_the_handshake(live_db: None, cluster: Any, path: str) -> None:
    server = cluster.servers[0]
    with pytest.raises(websockets.InvalidStatus) as refused:
        await websockets.connect(f"{server.ws_url}{path}", open_timeout=20)
    assert refused.value.response.status_code == 404
    assert json.loads(refused.value.response.body) == {
        "detail": "No WebSocket endpoint at this path.",
        "code": "not_found",
    }
    log = server.log()
    assert "No route found" not in log
    assert "ws_unknown_path" in log
