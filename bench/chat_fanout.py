"""Chat fan-out benchmark with its baselines, one sweep per path (not a test).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_chat REDIS_URL=redis://127.0.0.1:6379/0 \\
        python -m bench.chat_fanout            # every path, both channel layers, 8 s per point

R conversations (rooms) x C members (default 50 x 10 = 500 sockets per path), one sender per room
at a fixed rate; every message should reach all C members (the sender too: every path echoes).
Paths, each on --servers processes (default 2) with no proxy in front (clients pick the process):

- raw:        bench/raw_server.py, asyncio `websockets` broadcast, a room's members all on process
              r mod N (no cross-process hop: the machine's limit, not a like-for-like design);
- tutorial:   the Channels tutorial consumer (bench/baseline.py) on uvicorn + the given channel
              layer (--tutorial-layers, default pubsub); members spread round-robin (r + m) mod N;
- chat:       the project's chat socket (JWT auth, membership, persistence, idempotency, unread
              counts, chat_update to every member) on uvicorn + each layer of --layers;
- chat-read:  the same with read receipts as the web client sends them: every member but the
              sender answers each chat_message with `mark_read` {message_id} (static/js/chat.js
              does so for each new message while the conversation is visible).

The sweep, per path: start at --start messages/s per sender, double while the point passes
(delivery ratio 1.00 and p99 <= --p99-ms), halve while it fails, then bisect --refine times
between the best pass and the first fail. A point: --duration s of sending (default 8), then up
to --drain s for stragglers. Measured: deliveries/s, delivery ratio (received / sent x members),
p50/p99 latency (receive time - send time, both clocks of this machine), per-server CPU.
The sockets of a path are opened once (from --clients processes, rooms split between them) and
reused by its points; a point's frames carry its own tag, so late frames of a point never count
for the next. Prints the points and a summary table, writes bench/results/chat_fanout.json.
`--profile DIR` samples the uvicorn servers' stacks (bench/sampler.py).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import os
import random
import statistics
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.common import (
    RESULTS_DIR,
    RETRIES,
    RawServers,
    create_fixtures,
    open_socket,
    percentile,
    prepare,
    process_cpu_seconds,
    raise_nofile,
    server_env,
    start_cluster,
    write_report,
)

RESULTS = RESULTS_DIR / "chat_fanout.json"
PATHS = ("raw", "tutorial", "chat", "chat-read")


@dataclass
class Point:
    """One offered rate on one path, summed over the client processes."""

    path: str
    layer: str
    rate: float  # per sender
    rooms: int
    connections: int = 0
    connect_failures: int = 0
    sent: int = 0
    expected: int = 0
    received: int = 0
    errors: int = 0
    receipts_sent: int = 0
    receipt_frames: int = 0
    frames_in: int = 0  # every frame the clients received in the point (any type)
    payload_bytes_in: int = 0  # their text, uncompressed
    wire_bytes_in: int = 0  # what arrived on the TCP sockets (compressed when negotiated, frame headers included)
    send_seconds: float = 0.0
    window_seconds: float = 0.0
    client_cpu_seconds: float = 0.0
    server_cpu_seconds: list[float] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list, repr=False)

    def merge(self, other: Point) -> None:
        for name in ("connections", "connect_failures", "sent", "expected", "received", "errors"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for name in ("receipts_sent", "receipt_frames", "frames_in", "payload_bytes_in", "wire_bytes_in"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.client_cpu_seconds += other.client_cpu_seconds
        self.send_seconds = max(self.send_seconds, other.send_seconds)
        self.window_seconds = max(self.window_seconds, other.window_seconds)
        self.latencies_ms.extend(other.latencies_ms)

    def summary(self) -> dict[str, Any]:
        lat = sorted(self.latencies_ms)
        window = self.window_seconds or 1.0
        return {
            "path": self.path,
            "layer": self.layer,
            "rate_per_sender": self.rate,
            "offered_msg_s": round(self.rate * self.rooms, 1),
            "connections": self.connections,
            "connect_failures": self.connect_failures,
            "sent": self.sent,
            "expected": self.expected,
            "received": self.received,
            "delivery_ratio": round(self.received / self.expected, 4) if self.expected else None,
            "deliveries_per_s": round(self.received / self.send_seconds, 1) if self.send_seconds else None,
            "p50_ms": percentile(lat, 0.50),
            "p99_ms": percentile(lat, 0.99),
            "max_ms": round(lat[-1], 1) if lat else None,
            "mean_ms": round(statistics.fmean(lat), 1) if lat else None,
            "errors": self.errors,
            "receipts_sent": self.receipts_sent,
            "receipt_frames": self.receipt_frames,
            "frames_in": self.frames_in,
            "payload_bytes_in": self.payload_bytes_in,
            "wire_bytes_in": self.wire_bytes_in,
            "wire_kb_s_per_socket": round(self.wire_bytes_in / 1024 / window / max(self.connections, 1), 2),
            "client_cpu_pct": round(100 * self.client_cpu_seconds / window, 1),
            "server_cpu_pct": [round(100 * c / window, 1) for c in self.server_cpu_seconds],
        }


def passes(summary: dict[str, Any], p99_limit: float) -> bool:
    return bool(
        summary["expected"]
        and summary["received"] == summary["expected"]
        and summary["errors"] == 0
        and summary["p99_ms"] is not None
        and summary["p99_ms"] <= p99_limit
    )


# --- one client process --------------------------------------------------------------------------


@dataclass
class Shard:
    """One client process's rooms of one path; `urls[r][m]` is member m of room r's socket URL."""

    path: str
    layer: str
    urls: list[list[str]]
    compression: str | None
    sockets: list[list[Any]] = field(default_factory=list)
    readers: list[asyncio.Future] = field(default_factory=list)
    current: Point | None = None
    tag: str = ""

    @property
    def chat(self) -> bool:
        return self.path.startswith("chat")

    async def connect(self) -> tuple[int, int]:
        gate = asyncio.Semaphore(25)
        failures = 0

        async def one(r: int, m: int, url: str) -> None:
            nonlocal failures
            async with gate:
                ws = await open_socket(url, chat=self.chat, compression=self.compression)
            if ws is None:
                failures += 1
            else:
                opened[r].append((m, ws))

        opened: list[list[tuple[int, Any]]] = [[] for _ in self.urls]
        await asyncio.gather(*(one(r, m, url) for r, room in enumerate(self.urls) for m, url in enumerate(room)))
        # The room's lowest member that connected (member 0 unless it failed) sends.
        self.sockets = [[ws for _m, ws in sorted(room, key=lambda pair: pair[0])] for room in opened]
        self.readers = [
            asyncio.ensure_future(self.read(ws, is_sender=i == 0)) for room in self.sockets for i, ws in enumerate(room)
        ]
        return sum(len(room) for room in self.sockets), failures

    def _stamp(self, frame: dict[str, Any], point: Point) -> str | None:
        if not self.chat:
            return frame.get("message")
        kind = frame.get("type")
        if kind == "error":
            point.errors += 1
        elif kind in ("messages_read", "message_delivered"):
            point.receipt_frames += 1
        elif kind == "chat_message":
            return frame["data"].get("client_id") or ""
        return None

    async def read(self, ws: Any, *, is_sender: bool) -> None:
        receipts = self.path == "chat-read" and not is_sender
        with contextlib.suppress(Exception):
            async for raw in ws:
                now = time.time()
                point = self.current
                if point is None:
                    continue
                point.frames_in += 1
                point.payload_bytes_in += len(raw)
                frame = json.loads(raw)
                stamp = self._stamp(frame, point)
                if not stamp:
                    continue
                parts = stamp.split("|")
                if len(parts) != 3 or parts[0] != self.tag:
                    continue
                point.received += 1
                point.latencies_ms.append((now - float(parts[2])) * 1000)
                if receipts:
                    await ws.send(json.dumps({"type": "mark_read", "data": {"message_id": frame["data"]["id"]}}))
                    point.receipts_sent += 1

    async def send_room(self, r: int, rate: float, duration: float, t0: float, point: Point) -> None:
        room = self.sockets[r]
        if not room:
            return
        ws, members = room[0], len(room)
        interval = 1.0 / rate
        start = time.monotonic() + random.uniform(0, interval)  # spread the rooms' phases
        seq = 0
        while start + seq * interval - t0 <= duration:
            await asyncio.sleep(max(0.0, start + seq * interval - time.monotonic()))
            stamp = f"{self.tag}|{r}.{seq}|{time.time():.6f}"
            frame: dict[str, Any] = (
                {"type": "chat_message", "data": {"text": f"bench message {seq}", "client_id": stamp}}
                if self.chat
                else {"message": stamp}
            )
            try:
                await ws.send(json.dumps(frame))
            except Exception:
                return
            point.sent += 1
            point.expected += members
            seq += 1

    async def run_point(self, rate: float, duration: float, drain: float, tag: str, barrier: Any) -> Point:
        point = Point(path=self.path, layer=self.layer, rate=rate, rooms=len(self.urls))
        point.connections = sum(len(room) for room in self.sockets)
        self.current, self.tag = point, tag
        await asyncio.get_running_loop().run_in_executor(None, barrier.wait)
        await asyncio.sleep(0.5)
        cpu0, t0 = time.process_time(), time.monotonic()
        wire0 = sum(ws.bytes_in for room in self.sockets for ws in room)
        await asyncio.gather(*(self.send_room(r, rate, duration, t0, point) for r in range(len(self.sockets))))
        point.send_seconds = time.monotonic() - t0
        deadline = time.monotonic() + drain
        while point.received < point.expected and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        point.client_cpu_seconds = time.process_time() - cpu0
        point.wire_bytes_in = sum(ws.bytes_in for room in self.sockets for ws in room) - wire0
        point.window_seconds = time.monotonic() - t0
        self.current = None
        return point

    async def close(self) -> None:
        for task in self.readers:
            task.cancel()
        await asyncio.gather(*(ws.close() for room in self.sockets for ws in room), return_exceptions=True)


def _shard_main(shard: Shard, args: dict[str, Any], barrier: Any, commands: Any, out: Any) -> None:
    async def main() -> None:
        connected, failures = await shard.connect()
        out.put(("connected", connected, failures, RETRIES["count"]))
        loop = asyncio.get_running_loop()
        while True:
            command = await loop.run_in_executor(None, commands.get)
            if command is None:
                break
            rate, tag = command
            out.put(await shard.run_point(rate, args["duration"], args["drain"], tag, barrier))
        await shard.close()

    asyncio.run(main())


# --- one path: client processes and the sweep ----------------------------------------------------------


def path_urls(path: str, ws_urls: list[str], rooms: list[dict[str, Any]], tag: str) -> list[list[str]]:
    """Every room's member URLs; member 0 sends."""
    n = len(ws_urls)
    out = []
    for r, room in enumerate(rooms):
        if path == "raw":
            out.append([f"{ws_urls[r % n]}/ws/raw/{tag}-{r}/" for _ in room["users"]])
        elif path == "tutorial":
            out.append([f"{ws_urls[(r + m) % n]}/ws/baseline/{tag}-{r}/" for m in range(len(room["users"]))])
        else:
            out.append(
                [
                    f"{ws_urls[(r + m) % n]}/ws/chat/{room['conversation']}/?token={token}"
                    for m, (_uid, token) in enumerate(room["users"])
                ]
            )
    return out


class PathRunner:
    """The client processes of one path, kept connected across the points of its sweep."""

    def __init__(self, path: str, layer: str, urls: list[list[str]], server_pids: list[int], args: Any) -> None:
        ctx = multiprocessing.get_context("fork")
        self.path, self.layer, self.args, self.server_pids = path, layer, args, server_pids
        n = max(1, min(args.clients, len(urls)))
        self.barrier = ctx.Barrier(n + 1)
        self.out = ctx.Queue()
        self.commands = [ctx.Queue() for _ in range(n)]
        per = -(-len(urls) // n)
        from django.db import connections

        connections.close_all()  # the children must not share the parent's database socket
        self.procs = []
        for i in range(n):
            shard = Shard(path=path, layer=layer, urls=urls[i * per : (i + 1) * per], compression=args.compression)
            proc = ctx.Process(
                target=_shard_main, args=(shard, vars(args), self.barrier, self.commands[i], self.out), daemon=True
            )
            proc.start()
            self.procs.append(proc)
        self.connected = self.connect_failures = self.connect_retries = 0
        for _ in self.procs:
            _kind, connected, failures, retries = self.out.get(timeout=600)
            self.connected += connected
            self.connect_failures += failures
            self.connect_retries += retries
        if self.connect_failures or self.connect_retries:
            print(f"  {self.connect_failures} sockets failed to connect, {self.connect_retries} attempts retried")
        self.rooms = len(urls)

    def cool_down(self, limit_pct: float = 10.0, longest: float = 30.0) -> float:
        """Wait until the servers are idle (summed CPU under `limit_pct` of a core over 1 s): a point that
        overloaded them leaves queued work (receipts, frames) that must not count against the next one."""
        start = time.monotonic()
        while time.monotonic() - start < longest:
            cpu0 = sum(process_cpu_seconds(pid) for pid in self.server_pids)
            time.sleep(1.0)
            if 100 * (sum(process_cpu_seconds(pid) for pid in self.server_pids) - cpu0) < limit_pct:
                break
        return time.monotonic() - start

    def point(self, rate: float, tag: str) -> dict[str, Any]:
        self.cool_down()
        load0 = os.getloadavg()[0]
        for commands in self.commands:
            commands.put((rate, tag))
        self.barrier.wait(timeout=120)
        time.sleep(0.5)
        cpu0 = [process_cpu_seconds(pid) for pid in self.server_pids]
        total = Point(path=self.path, layer=self.layer, rate=rate, rooms=self.rooms)
        for _ in self.procs:
            total.merge(self.out.get(timeout=self.args.duration + self.args.drain + 120))
        total.server_cpu_seconds = [process_cpu_seconds(pid) - c for pid, c in zip(self.server_pids, cpu0, strict=True)]
        total.connect_failures = self.connect_failures
        summary_retries = self.connect_retries
        summary = total.summary()
        summary["connect_retries"] = summary_retries
        summary["passes"] = passes(summary, self.args.p99_ms) and not self.connect_failures
        summary["loadavg_1m"] = [round(load0, 2), round(os.getloadavg()[0], 2)]
        print(
            f"  {self.path:9s} {self.layer:6s} {rate:6.3g}/s per sender ({summary['offered_msg_s']} msg/s): "
            f"ratio {summary['delivery_ratio']} p50 {summary['p50_ms']} p99 {summary['p99_ms']} ms "
            f"cpu {summary['server_cpu_pct']} load {summary['loadavg_1m']} -> "
            f"{'pass' if summary['passes'] else 'FAIL'}",
            flush=True,
        )
        return summary

    def close(self) -> None:
        for commands in self.commands:
            commands.put(None)
        for proc in self.procs:
            proc.join(timeout=30)
            if proc.is_alive():
                proc.kill()


def sweep(runner: PathRunner, args: Any, tag: str) -> list[dict[str, Any]]:
    """Double from --start while points pass, halve while they fail, then bisect --refine times."""
    points: list[dict[str, Any]] = []
    best: float | None = None
    worst: float | None = None

    def run(rate: float) -> bool:
        summary = runner.point(rate, f"{tag}p{len(points)}")
        points.append(summary)
        return summary["passes"]

    rate = args.start
    for _ in range(args.max_points):
        if run(rate):
            best = rate
            if worst is not None or rate * 2 > args.max_rate:
                break
            rate *= 2
        else:
            worst = rate
            if best is not None or rate / 2 < args.min_rate:
                break
            rate /= 2
    for _ in range(args.refine):
        if best is None or worst is None:
            break
        rate = round((best + worst) / 2, 4)
        if run(rate):
            best = rate
        else:
            worst = rate
    return points


# --- the run -------------------------------------------------------------------------------------------


def best_point(points: list[dict[str, Any]]) -> dict[str, Any] | None:
    ok = [p for p in points if p["passes"]]
    return max(ok, key=lambda p: p["rate_per_sender"]) if ok else None


def print_points(points: list[dict[str, Any]]) -> None:
    cols = ["path", "layer", "offered_msg_s", "delivery_ratio", "deliveries_per_s", "p50_ms", "p99_ms", "max_ms",
            "errors", "receipt_frames", "server_cpu_pct", "client_cpu_pct", "loadavg_1m", "passes"]  # fmt: skip
    widths = {c: max(len(c), *(len(str(p[c])) for p in points)) for c in cols}
    print(" | ".join(c.ljust(widths[c]) for c in cols))
    print("-+-".join("-" * widths[c] for c in cols))
    for p in points:
        print(" | ".join(str(p[c]).ljust(widths[c]) for c in cols))


def summarize(sweeps: dict[str, list[dict[str, Any]]], args: Any) -> list[dict[str, Any]]:
    """The best passing point of every path, and its ratio to the tutorial's best (same run)."""
    rows = []
    tutorial = [best_point(points) for key, points in sweeps.items() if key.startswith("tutorial")]
    reference = max((p["offered_msg_s"] for p in tutorial if p), default=None)
    for key, points in sweeps.items():
        best = best_point(points)
        rows.append(
            {
                "path": key,
                "best_offered_msg_s": best["offered_msg_s"] if best else 0,
                "deliveries_per_s": best["deliveries_per_s"] if best else None,
                "p50_ms": best["p50_ms"] if best else None,
                "p99_ms": best["p99_ms"] if best else None,
                "server_cpu_pct": best["server_cpu_pct"] if best else None,
                "vs_tutorial": round(best["offered_msg_s"] / reference, 2) if best and reference else None,
                "first_fail_msg_s": min((p["offered_msg_s"] for p in points if not p["passes"]), default=None),
            }
        )
    print(f"\nbest rate with delivery ratio 1.00 and p99 <= {args.p99_ms} ms ({args.rooms} x {args.members}):")
    cols = list(rows[0])
    widths = {c: max(len(c), *(len(str(r[c])) for r in rows)) for c in cols}
    print(" | ".join(c.ljust(widths[c]) for c in cols))
    print("-+-".join("-" * widths[c] for c in cols))
    for r in rows:
        print(" | ".join(str(r[c]).ljust(widths[c]) for c in cols))
    return rows


def run_sweeps(args: Any, rooms: list[dict[str, Any]], env: dict[str, str], tag: str) -> dict[str, list[Any]]:
    sweeps: dict[str, list[dict[str, Any]]] = {}

    def measure(path: str, layer: str, ws_urls: list[str], pids: list[int]) -> None:
        key = path if path == "raw" else f"{path}/{layer}"
        print(f"{key}: connecting {args.rooms} x {args.members} sockets ...", flush=True)
        runner = PathRunner(path, layer, path_urls(path, ws_urls, rooms, f"{tag}{len(sweeps)}"), pids, args)
        try:
            sweeps[key] = sweep(runner, args, f"{tag}{len(sweeps)}")
        finally:
            runner.close()

    if "raw" in args.paths:
        raw = RawServers(args.servers).start()
        try:
            measure("raw", "-", raw.ws_urls, raw.pids)
        finally:
            raw.stop()
    for layer in dict.fromkeys([*args.tutorial_layers, *args.layers]):
        wanted = [
            p
            for p in args.paths
            if (p == "tutorial" and layer in args.tutorial_layers) or (p.startswith("chat") and layer in args.layers)
        ]
        if not wanted:
            continue
        cluster = start_cluster(args.servers, {**env, "CHANNEL_LAYER": layer})
        try:
            pids = [s.process.pid for s in cluster.servers]
            for path in wanted:
                measure(path, layer, [s.ws_url for s in cluster.servers], pids)
        finally:
            cluster.stop()
    return sweeps


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rooms", type=int, default=50)
    parser.add_argument("--members", type=int, default=10)
    parser.add_argument("--paths", nargs="+", choices=PATHS, default=list(PATHS))
    parser.add_argument("--layers", nargs="+", choices=["core", "pubsub"], default=["core", "pubsub"],
                        help="channel layers the chat paths run on")  # fmt: skip
    parser.add_argument("--tutorial-layers", nargs="+", choices=["core", "pubsub"], default=["pubsub"])
    parser.add_argument("--start", type=float, default=1.0, help="first rate tried, messages/s per sender")
    parser.add_argument("--min-rate", type=float, default=0.05)
    parser.add_argument("--max-rate", type=float, default=64.0)
    parser.add_argument("--max-points", type=int, default=8, help="points of the doubling/halving phase")
    parser.add_argument("--refine", type=int, default=1, help="bisection steps after the first pass/fail pair")
    parser.add_argument("--p99-ms", type=float, default=100.0)
    parser.add_argument("--duration", type=float, default=8.0, help="seconds of sending per point")
    parser.add_argument("--drain", type=float, default=4.0, help="seconds to wait for stragglers after sending")
    parser.add_argument("--servers", type=int, default=2, help="server processes per path")
    parser.add_argument("--clients", type=int, default=2, help="client processes (rooms split between them)")
    parser.add_argument("--compression", choices=["deflate", "none"], default="deflate",
                        help="whether clients offer permessage-deflate (browsers do)")  # fmt: skip
    parser.add_argument("--profile", metavar="DIR", help="sample the uvicorn servers' stacks into DIR/<pid>.txt")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    args.compression = None if args.compression == "none" else args.compression
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    raise_nofile()
    db_url, redis_url, secret = prepare()
    tag = uuid.uuid4().hex[:6]
    rooms = create_fixtures(args.rooms, args.members, tag)
    env = server_env(db_url, redis_url, secret, tag)
    if args.profile:
        env["BENCH_PROFILE"] = str(Path(args.profile).resolve())
    load0 = os.getloadavg()
    sweeps = run_sweeps(args, rooms, env, tag)
    points = [p for key in sweeps for p in sweeps[key]]
    print()
    print_points(points)
    rows = summarize(sweeps, args)
    write_report(
        args.output,
        "bench.chat_fanout",
        argv,
        machine={"loadavg_start": load0, "loadavg_end": os.getloadavg()},
        params={k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        summary=rows,
        points=points,
    )


if __name__ == "__main__":
    main()
