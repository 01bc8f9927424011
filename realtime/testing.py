"""The one socket test client of the project: every app's consumer and e2e tests use these helpers.

A socket is either Channels' in-process `WebsocketCommunicator` (consumer tests) or a
`websockets` client connection to a real server (e2e tests); every helper takes both.
Frames are the protocol's envelope, `{"type": ..., "data": {...}}` (docs/protocol.md).

Waiting helpers take a deadline for the whole wait, not per frame, and skip frames of other
types (presence noise), so a test names the event it proves and nothing else.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Protocol, TypeAlias

from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from websockets.exceptions import ConnectionClosed

from realtime.auth import websocket_stack

Frame = dict[str, Any]


class _RemoteSocket(Protocol):
    """What the helpers use of `websockets.asyncio.client.ClientConnection`."""

    @property
    def close_code(self) -> int | None: ...

    async def recv(self) -> str | bytes: ...
    async def send(self, message: str) -> None: ...
    async def wait_closed(self) -> None: ...


Socket: TypeAlias = "WebsocketCommunicator | _RemoteSocket"

DEFAULT_TIMEOUT = 5.0
BOMB_LEVELS = 30_000  # ~60 KB of brackets: under WS_MAX_FRAME_BYTES, far over the parser's recursion limit


class NoFrame(AssertionError, TimeoutError):
    """The awaited frame did not arrive in time (an assertion failure that is also a timeout)."""


def socket_app(websocket_urlpatterns: Sequence[Any]) -> Any:
    """An app's routes behind the production WebSocket stack (origin check, auth, limits)."""
    return websocket_stack(URLRouter(list(websocket_urlpatterns)))


async def open_socket(
    app: Any,
    path: str,
    *,
    headers: Iterable[tuple[bytes, bytes]] | None = None,
    subprotocols: list[str] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> WebsocketCommunicator:
    """Connect an in-process socket to `path` (query string included) and assert the handshake succeeds.

    The server may still refuse the socket afterwards with an error frame and a close code:
    handshakes are accepted so that every client can read why (see `expect_close`).
    """
    comm = WebsocketCommunicator(app, path, headers=list(headers or []), subprotocols=subprotocols)
    connected, _ = await comm.connect(timeout=timeout)
    assert connected, f"handshake to {path.split('?')[0]} refused"
    return comm


async def receive_text(sock: Socket, timeout: float = DEFAULT_TIMEOUT) -> str:
    """The next text frame as sent (no decoding)."""
    if isinstance(sock, WebsocketCommunicator):
        return await sock.receive_from(timeout=timeout)
    raw = await asyncio.wait_for(sock.recv(), timeout)
    return raw.decode() if isinstance(raw, bytes) else raw


async def recv(sock: Socket, timeout: float = DEFAULT_TIMEOUT) -> Frame:
    """The next frame, whatever its type."""
    return json.loads(await receive_text(sock, timeout))


def _matches(
    frame: Frame, types: tuple[str, ...], where: Callable[[Frame], bool] | None, match: dict[str, Any]
) -> bool:
    if frame.get("type") not in types:
        return False
    data = frame.get("data") or {}
    return all(data.get(key) == value for key, value in match.items()) and (where is None or where(frame))


async def recv_type(
    sock: Socket,
    event_type: str | tuple[str, ...],
    *,
    timeout: float = DEFAULT_TIMEOUT,
    where: Callable[[Frame], bool] | None = None,
    **match: Any,
) -> Frame:
    """The next frame of `event_type` (one type or a tuple), skipping every other frame.

    `where(frame)` and `match` (data fields equal to the given values) narrow the frame awaited.
    Raises `NoFrame`, naming the types seen meanwhile, when none arrives within `timeout`.
    """
    return (await recv_until(sock, event_type, timeout=timeout, where=where, **match))[-1]


async def recv_until(
    sock: Socket,
    event_type: str | tuple[str, ...],
    *,
    timeout: float = DEFAULT_TIMEOUT,
    where: Callable[[Frame], bool] | None = None,
    **match: Any,
) -> list[Frame]:
    """Every frame up to and including the first of `event_type` (narrowed as in `recv_type`): for
    tests about order or what came before. Raises `NoFrame`, naming the types seen, on timeout."""
    types = (event_type,) if isinstance(event_type, str) else tuple(event_type)
    deadline = time.monotonic() + timeout
    frames: list[Frame] = []
    while True:
        left = deadline - time.monotonic()
        try:
            if left <= 0:
                raise TimeoutError
            frame = await recv(sock, left)
        except TimeoutError:
            seen = [f.get("type", "?") for f in frames]
            raise NoFrame(f"no {'/'.join(types)} frame {match or ''} within {timeout}s; saw {seen}") from None
        frames.append(frame)
        if _matches(frame, types, where, match):
            return frames


async def recv_all(comm: WebsocketCommunicator, quiet: float = 0.6) -> list[Frame]:
    """Every frame until the in-process socket stays quiet for `quiet` seconds."""
    frames = []
    # receive_nothing, not a receive timeout: a timeout cancels the application under test.
    while not await comm.receive_nothing(timeout=quiet):
        frames.append(await recv(comm))
    return frames


async def nothing_of(sock: Socket, event_type: str, *, within: float = 1.0) -> None:
    """Assert that no frame of `event_type` arrives within `within` seconds (other frames are skipped)."""
    try:
        frame = await recv_type(sock, event_type, timeout=within)
    except NoFrame:
        return
    raise AssertionError(f"unexpected {event_type}: {frame}")


async def send(sock: Socket, event_type: str, data: dict[str, Any] | None = None) -> None:
    """Send one client frame."""
    text = json.dumps({"type": event_type, "data": data if data is not None else {}})
    if isinstance(sock, WebsocketCommunicator):
        await sock.send_to(text_data=text)
    else:
        await sock.send(text)


async def frames_until_close(sock: Socket, timeout: float = DEFAULT_TIMEOUT) -> tuple[int, list[Frame]]:
    """Read until the server closes the socket: (the close code it sent, the frames before it).

    In process, the client side then completes the close as an ASGI server would, so the
    consumer's `disconnect` runs before the test goes on.
    """
    frames: list[Frame] = []
    if isinstance(sock, WebsocketCommunicator):
        while True:
            output = await sock.receive_output(timeout=timeout)
            if output["type"] == "websocket.close":
                code = output.get("code", 1000)
                await sock.send_input({"type": "websocket.disconnect", "code": code})
                await sock.wait(timeout=timeout)
                return code, frames
            if output.get("text") is not None:
                frames.append(json.loads(output["text"]))
    deadline = time.monotonic() + timeout
    while True:
        try:
            raw = await asyncio.wait_for(sock.recv(), max(0.0, deadline - time.monotonic()))
        except TimeoutError:
            raise NoFrame(
                f"the socket was not closed within {timeout}s; saw {[f.get('type') for f in frames]}"
            ) from None
        except ConnectionClosed:
            await sock.wait_closed()
            assert sock.close_code is not None
            return sock.close_code, frames
        frames.append(json.loads(raw))


async def expect_close(sock: Socket, timeout: float = DEFAULT_TIMEOUT) -> int:
    """The close code the server sent, skipping any frame still queued before it (see `frames_until_close`)."""
    code, _frames = await frames_until_close(sock, timeout)
    return code


# --- hostile JSON, for the tests of every socket and of REST bodies ----------------


def metric_sample(text: str, name: str, **labels: str) -> float:
    """The sum of the samples called `name` with these labels in a Prometheus text page (`/metrics`)."""
    from prometheus_client.parser import text_string_to_metric_families

    total = 0.0
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                total += sample.value
    return total


def nested(levels: int, leaf: Any = 1) -> Any:
    """`leaf` inside `levels` arrays: nested(2) == [[1]]."""
    value = leaf
    for _ in range(levels):
        value = [value]
    return value


def recursion_bomb(prefix: str = '{"type": "ping", "data": {"x": ', suffix: str = "}}") -> str:
    """A JSON text whose value at `prefix` is BOMB_LEVELS nested arrays (json.loads raises RecursionError)."""
    return prefix + "[" * BOMB_LEVELS + "]" * BOMB_LEVELS + suffix
