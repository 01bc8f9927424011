"""A scripted WebRTC peer (aiortc) that signals through `/ws/rooms/<room_id>/`.

Mesh rule without glare: of two peers, the one with the lexicographically smaller
peer id makes the offer; the other only answers. Each peer learns of the others
from `room_joined.peers` and `peer_joined` (duplicates are ignored), so joins in
any order and on any server process end in exactly one connection per pair.

aiortc puts its gathered candidates into the SDP (setLocalDescription waits for
gathering), so `ice_candidate` frames are not needed; they are tolerated.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

from aiortc import RTCConfiguration, RTCDataChannel, RTCPeerConnection, RTCSessionDescription
from websockets.asyncio.client import ClientConnection, connect


class RoomPeer:
    def __init__(
        self, name: str, ws_url: str, token: str, room_id: str, configuration: RTCConfiguration, expected: int
    ) -> None:
        self.name = name
        self.url = f"{ws_url}/ws/rooms/{room_id}/?token={token}"
        self.configuration = configuration
        self.expected = expected
        self.peer_id: str | None = None
        self.pcs: dict[str, RTCPeerConnection] = {}
        self.received: set[tuple[str, str]] = set()  # (sender name, receiver name)
        self.sent_sdps: list[str] = []
        self.errors: list[dict[str, Any]] = []
        self.done = asyncio.Event()
        self.joined = asyncio.Event()
        self.ws: ClientConnection | None = None
        self.task: asyncio.Task | None = None

    async def start(self) -> None:
        self.ws = await connect(self.url, open_timeout=20)
        self.task = asyncio.create_task(self._run())
        await asyncio.wait_for(self.joined.wait(), timeout=20)

    async def close(self) -> None:
        for pc in self.pcs.values():
            with contextlib.suppress(Exception):
                await pc.close()
        if self.ws is not None:
            await self.ws.close()
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.task

    async def _send(self, event_type: str, data: dict[str, Any]) -> None:
        assert self.ws is not None
        await self.ws.send(json.dumps({"type": event_type, "data": data}))

    async def _run(self) -> None:
        assert self.ws is not None
        async for raw in self.ws:
            frame = json.loads(raw)
            kind, data = frame["type"], frame["data"]
            if kind == "room_joined":
                self.peer_id = data["peer_id"]
                self.joined.set()
                for peer in data["peers"]:
                    await self._meet(peer["peer_id"])
            elif kind == "peer_joined":
                await self._meet(data["peer_id"])
            elif kind == "offer":
                await self._answer(data["from"], data["sdp"])
            elif kind == "answer":
                pc = self.pcs.get(data["from"])
                if pc is not None:
                    await pc.setRemoteDescription(RTCSessionDescription(sdp=data["sdp"], type="answer"))
            elif kind == "error":
                self.errors.append(data)

    def _new_pc(self, other: str) -> RTCPeerConnection:
        pc = RTCPeerConnection(configuration=self.configuration)
        self.pcs[other] = pc

        @pc.on("datachannel")
        def on_datachannel(channel: RTCDataChannel) -> None:
            self._wire(channel)

        return pc

    def _wire(self, channel: RTCDataChannel) -> None:
        @channel.on("message")
        def on_message(message: str) -> None:
            self.received.add((message, self.name))
            if len(self.received) >= self.expected:
                self.done.set()

        def greet() -> None:
            channel.send(self.name)

        if channel.readyState == "open":
            greet()
        else:
            channel.on("open", greet)

    async def _meet(self, other: str) -> None:
        if other in self.pcs or other == self.peer_id:
            return
        assert self.peer_id is not None
        if self.peer_id > other:
            return  # the other peer offers (it has the smaller id)
        pc = self._new_pc(other)
        self._wire(pc.createDataChannel("mesh"))
        await pc.setLocalDescription(await pc.createOffer())
        self.sent_sdps.append(pc.localDescription.sdp)
        await self._send("offer", {"target": other, "sdp": pc.localDescription.sdp})

    async def _answer(self, other: str, sdp: str) -> None:
        pc = self.pcs.get(other) or self._new_pc(other)
        await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
        await pc.setLocalDescription(await pc.createAnswer())
        self.sent_sdps.append(pc.localDescription.sdp)
        await self._send("answer", {"target": other, "sdp": pc.localDescription.sdp})
