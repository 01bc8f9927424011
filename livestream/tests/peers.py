"""Real WebRTC peers (aiortc) that signal through /ws/live/: used by the e2e tests and bench/signaling.py.

The streamer creates one RTCPeerConnection per viewer socket (`peer` id from
`user_joined` / `request_offer`) and sends a synthetic video track; a viewer
answers the offer and reads decoded frames. No STUN/TURN: host candidates on
loopback; aiortc puts its candidates in the SDP, so no trickle ICE is needed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

import av
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription, VideoStreamTrack
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

NO_ICE_SERVERS = RTCConfiguration(iceServers=[])


class PatternTrack(VideoStreamTrack):
    """A moving luma gradient, small enough to encode cheaply on a shared CPU."""

    def __init__(self, width: int = 160, height: int = 120) -> None:
        super().__init__()
        self.width, self.height, self.tick = width, height, 0

    async def recv(self) -> av.VideoFrame:
        pts, time_base = await self.next_timestamp()
        self.tick += 1
        frame = av.VideoFrame(self.width, self.height, "yuv420p")
        luma, cb, cr = frame.planes
        row = bytes((x * 2 + self.tick * 4) % 256 for x in range(luma.line_size))
        luma.update(row * self.height)
        cb.update(bytes([(self.tick * 3) % 256]) * cb.buffer_size)
        cr.update(bytes([128]) * cr.buffer_size)
        frame.pts, frame.time_base = pts, time_base
        return frame


class LiveSocket:
    """A /ws/live/ client: keeps every frame, lets callers wait for a type, runs per-type callbacks."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.frames: list[dict[str, Any]] = []
        self.consumed: set[int] = set()
        self.arrived = asyncio.Event()
        self.callbacks: dict[str, Callable[[dict[str, Any]], Awaitable[None]]] = {}
        self.close_code: int | None = None
        self.tasks: set[asyncio.Task] = set()
        self.reader = asyncio.ensure_future(self._read())

    @classmethod
    async def open(cls, ws_url: str, stream_id: int, token: str) -> LiveSocket:
        ws = await connect(f"{ws_url}/ws/live/{stream_id}/?token={token}", open_timeout=30, max_size=2**20)
        return cls(ws)

    async def _read(self) -> None:
        try:
            async for raw in self.ws:
                frame = json.loads(raw)
                frame["_received"] = time.perf_counter()
                self.frames.append(frame)
                callback = self.callbacks.get(frame["type"])
                if callback is not None:
                    task = asyncio.ensure_future(callback(frame))
                    self.tasks.add(task)
                    task.add_done_callback(self.tasks.discard)
                self.arrived.set()
        except ConnectionClosed:
            pass
        finally:
            rcvd = self.ws.protocol.close_rcvd
            self.close_code = rcvd.code if rcvd is not None else 1006
            self.arrived.set()

    async def send(self, event_type: str, data: dict[str, Any] | None = None) -> None:
        await self.ws.send(json.dumps({"type": event_type, "data": data or {}}))

    async def wait(
        self, event_type: str, *, timeout: float = 15.0, where: Callable[[dict[str, Any]], bool] | None = None
    ) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            for index, frame in enumerate(self.frames):
                if index not in self.consumed and frame["type"] == event_type and (where is None or where(frame)):
                    self.consumed.add(index)
                    return frame
            left = deadline - time.monotonic()
            if left <= 0 or (self.close_code is not None and self.reader.done()):
                raise AssertionError(
                    f"no {event_type!r} frame (close={self.close_code}); saw {[f['type'] for f in self.frames]}"
                )
            self.arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.arrived.wait(), timeout=min(left, 0.5))

    def types(self) -> list[str]:
        return [f["type"] for f in self.frames]

    async def closed(self, timeout: float = 15.0) -> int:
        """The close code the server sent."""
        await asyncio.wait_for(asyncio.shield(self.reader), timeout=timeout)
        assert self.close_code is not None
        return self.close_code

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self.ws.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.reader, timeout=5)
        for task in list(self.tasks):
            task.cancel()


class Streamer:
    """Offers the pattern track to every viewer socket that joins or asks for an offer."""

    def __init__(self, sock: LiveSocket) -> None:
        self.sock = sock
        self.pcs: dict[str, RTCPeerConnection] = {}
        self.counts: list[int] = []
        self.errors: list[BaseException] = []
        sock.callbacks.update(
            {
                "user_joined": lambda f: self.offer(f["data"]["peer"]),
                "request_offer": lambda f: self.offer(f["data"]["from"]),
                "webrtc_answer": self._answer,
                "viewers_update": self._count,
                "peer_left": self._peer_left,
            }
        )

    async def offer(self, peer: str) -> None:
        try:
            old = self.pcs.pop(peer, None)
            if old is not None:
                await old.close()
            pc = RTCPeerConnection(NO_ICE_SERVERS)
            self.pcs[peer] = pc
            pc.addTrack(PatternTrack())
            await pc.setLocalDescription(await pc.createOffer())
            await self.sock.send("webrtc_offer", {"target": peer, "sdp": pc.localDescription.sdp})
        except Exception as exc:  # surfaced by the test
            self.errors.append(exc)

    async def _answer(self, frame: dict[str, Any]) -> None:
        pc = self.pcs.get(frame["data"]["from"])
        if pc is not None:
            try:
                await pc.setRemoteDescription(RTCSessionDescription(sdp=frame["data"]["sdp"], type="answer"))
            except Exception as exc:
                self.errors.append(exc)

    async def _count(self, frame: dict[str, Any]) -> None:
        self.counts.append(frame["data"]["count"])

    async def _peer_left(self, frame: dict[str, Any]) -> None:
        pc = self.pcs.pop(frame["data"]["peer"], None)
        if pc is not None:
            await pc.close()

    async def wait_count(self, count: int, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while not (self.counts and self.counts[-1] == count):
            if time.monotonic() > deadline:
                raise AssertionError(f"viewer count never reached {count}: {self.counts}")
            await asyncio.sleep(0.05)

    async def close(self) -> None:
        for pc in list(self.pcs.values()):
            with contextlib.suppress(Exception):
                await pc.close()
        self.pcs.clear()


class Viewer:
    """Answers the streamer's offer and reads decoded frames."""

    def __init__(self, sock: LiveSocket) -> None:
        self.sock = sock
        self.pc: RTCPeerConnection | None = None

    async def first_frame(self, timeout: float = 45.0) -> av.VideoFrame:
        offer = await self.sock.wait("webrtc_offer", timeout=timeout)
        self.pc = pc = RTCPeerConnection(NO_ICE_SERVERS)
        track_ready: asyncio.Future = asyncio.get_running_loop().create_future()

        @pc.on("track")
        def on_track(track: Any) -> None:
            if track.kind == "video" and not track_ready.done():
                track_ready.set_result(track)

        await pc.setRemoteDescription(RTCSessionDescription(sdp=offer["data"]["sdp"], type="offer"))
        await pc.setLocalDescription(await pc.createAnswer())
        await self.sock.send("webrtc_answer", {"target": offer["data"]["from"], "sdp": pc.localDescription.sdp})
        track = await asyncio.wait_for(track_ready, timeout=timeout)
        return await asyncio.wait_for(track.recv(), timeout=timeout)

    async def close(self) -> None:
        if self.pc is not None:
            with contextlib.suppress(Exception):
                await self.pc.close()
        await self.sock.close()
