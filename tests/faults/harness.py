"""What the fault tests start and break: a private Redis, a cuttable TCP path to PostgreSQL.

The machine's Redis and PostgreSQL are shared (other test sessions use them), so a test never
stops them: it starts its own `redis-server` on a free port, or puts a TCP proxy it controls
between the servers and PostgreSQL and cuts that.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import shutil
import socket
import ssl as ssl_module
import subprocess
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidMessage, InvalidStatus

from scripts.cluster import free_port


def _wait_port(port: int, *, up: bool, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                if up:
                    return
        except OSError:
            if not up:
                return
        time.sleep(0.02)
    raise RuntimeError(f"port {port} still {'down' if up else 'up'} after {timeout}s")


@dataclass
class PrivateRedis:
    """`redis-server` on a free port without persistence: `stop()` then `start()` brings it back empty."""

    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @staticmethod
    def binary() -> str | None:
        return shutil.which("redis-server")

    def start(self) -> PrivateRedis:
        binary = self.binary()
        assert binary, "redis-server is not installed"
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        _wait_port(self.port, up=True)
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()  # as a crash or an OOM kill: nothing is saved anyway
            self.process.wait(timeout=10)
        _wait_port(self.port, up=False)


class TcpProxy:
    """127.0.0.1:<port> -> target, one pair of pump threads per connection; `cut()` drops every
    connection and refuses new ones (the database host went away), `restore()` listens again."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = free_port()
        self._listener: socket.socket | None = None
        self._conns: set[socket.socket] = set()
        self._lock = threading.Lock()

    def start(self) -> TcpProxy:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(128)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()
        return self

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._conns.update((client, upstream))
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
                with self._lock:
                    self._conns.discard(sock)

    def cut(self) -> None:
        if self._listener is not None:
            with contextlib.suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() blocked in its thread
            self._listener.close()
            self._listener = None
        with self._lock:
            conns, self._conns = list(self._conns), set()
        for sock in conns:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def restore(self) -> None:
        self.start()

    def close(self) -> None:
        self.cut()


# --- a client that reconnects and resumes, as static/js/socket.js does ------------------------


def stored_ids(frame: dict[str, Any]) -> list[int]:
    """Ids of the stored events a frame carries: the envelope `id`, or each of a `notification_batch`."""
    if frame.get("type") == "notification_batch":
        return [int(n["id"]) for n in frame["data"]["notifications"]]
    return [int(frame["id"])] if frame.get("id") is not None else []


@dataclass
class ResumingClient:
    """One socket kept open like the web client keeps it: on any close but a final one it reconnects
    (short backoff) with `?after=<highest stored id seen>`, and resends the chat messages it has not
    seen echoed, with their `client_id`. `ids` is every stored event id received, in order."""

    url: str  # with ?token=...
    ssl: ssl_module.SSLContext | None = None
    kinds: tuple[str, ...] = ("chat_message",)
    ids: list[int] = field(default_factory=list)
    seen: set[int] = field(default_factory=set)
    closes: list[int] = field(default_factory=list)
    failed_connects: int = 0
    pending: dict[str, str] = field(default_factory=dict)
    ws: Any = None
    online: asyncio.Event = field(default_factory=asyncio.Event)
    stopped: bool = False

    @property
    def after(self) -> int:
        # The highest id seen, as static/js/socket.js keeps it (`lastId` only moves forward).
        return max(self.ids, default=0)

    async def run(self) -> None:
        attempt = 0
        while not self.stopped:
            try:
                async with connect(f"{self.url}&after={self.after}", ssl=self.ssl, open_timeout=10) as ws:
                    attempt = 0
                    await self._serve(ws)
            except ConnectionClosed as exc:
                self.closes.append(exc.rcvd.code if exc.rcvd else 1006)
            except (OSError, InvalidStatus, InvalidMessage, TimeoutError):
                self.failed_connects += 1
            finally:
                self.ws = None
                self.online.clear()
            if not self.stopped:
                attempt += 1
                await asyncio.sleep(min(1.0, 0.05 * 2**attempt) * (0.5 + random.random() / 2))

    async def _serve(self, ws: Any) -> None:
        resent: set[str] = set()
        async for raw in ws:
            frame = json.loads(raw)
            kind = frame.get("type")
            if kind == "connection_established" or (kind == "unread_count" and not self.online.is_set()):
                self.ws = ws
                self.online.set()
                for client_id, text in list(self.pending.items()):
                    resent.add(client_id)
                    await ws.send(json.dumps({"type": "chat_message", "data": {"text": text, "client_id": client_id}}))
            if kind in self.kinds:
                client_id = (frame.get("data") or {}).get("client_id") or ""
                ids = stored_ids(frame)
                # A resend the server already had is confirmed to this socket alone: not a second delivery.
                if not (client_id in resent and ids and ids[0] in self.seen):
                    self.ids.extend(ids)
                    self.seen.update(ids)
                self.pending.pop(client_id, None)
            if self.stopped:
                return
        self.closes.append(ws.close_code or 1006)

    async def say(self, client_id: str, text: str) -> None:
        """Send a chat message now if online; else it goes out on the next connection."""
        self.pending[client_id] = text
        if self.ws is not None:
            with contextlib.suppress(ConnectionClosed):
                await self.ws.send(json.dumps({"type": "chat_message", "data": {"text": text, "client_id": client_id}}))

    async def stop(self) -> None:
        self.stopped = True
        if self.ws is not None:
            await self.ws.close()


def check_stream(received: list[int], expected: list[int]) -> tuple[int, int, bool]:
    """(lost, duplicated, in order) of one client's received ids against the stored ones."""
    lost = len(set(expected) - set(received))
    duplicated = len(received) - len(set(received))
    in_order = received == sorted(received)
    return lost, duplicated, in_order
