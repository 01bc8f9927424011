"""The live-stream sockets of the tests: /ws/live/<id>/ in process and a stream started over REST.

Frames are read and awaited with the project's one socket client, `realtime.testing`.
"""

from __future__ import annotations

from typing import Any

import httpx
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator

from conftest import access_token
from livestream import routing
from realtime.testing import Frame, expect_close, open_socket, receive_text, recv_all, recv_type, send, socket_app

app = socket_app(routing.websocket_urlpatterns)
SDP = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"


class Client:
    """One in-process /ws/live/ socket: `realtime.testing` bound to it."""

    def __init__(self, comm: WebsocketCommunicator) -> None:
        self.comm = comm

    async def recv(self) -> str:
        return await receive_text(self.comm, timeout=30)

    async def wait(self, event_type: str, timeout: float = 10.0, where: Any = None) -> Frame:
        return await recv_type(self.comm, event_type, timeout=timeout, where=where)

    async def send(self, event_type: str, data: dict[str, Any] | None = None) -> None:
        await send(self.comm, event_type, data)

    async def closed_with(self) -> int:
        """The close code the server sent; then the client side completes the close (as the ASGI server would)."""
        return await expect_close(self.comm, timeout=10)

    async def close(self) -> None:
        await self.comm.disconnect()


async def connect(user: Any, stream_id: int) -> Client:
    token = await sync_to_async(access_token)(user)
    return Client(await open_socket(app, f"/ws/live/{stream_id}/?token={token}", timeout=10))


async def drain(client: Client, quiet: float = 1.0) -> list[str]:
    """Types of the frames that arrive until the socket has been quiet for `quiet` seconds."""
    return [frame["type"] for frame in await recv_all(client.comm, quiet=quiet)]


async def joined(user: Any, stream_id: int) -> tuple[Client, Frame]:
    client = await connect(user, stream_id)
    return client, await client.wait("connection_established")


async def live_stream_via_api(http_url: str, streamer_token: str, title: str = "e2e") -> int:
    """Create and start a stream over REST on a real server; its id."""
    headers = {"Authorization": f"Bearer {streamer_token}"}
    async with httpx.AsyncClient(base_url=http_url, headers=headers, timeout=30) as client:
        created = await client.post("/api/live/streams/", json={"title": title})
        assert created.status_code == 201, created.text
        stream_id = created.json()["id"]
        started = await client.post(f"/api/live/streams/{stream_id}/start/")
        assert started.status_code == 200 and started.json()["status"] == "live", started.text
    return stream_id
