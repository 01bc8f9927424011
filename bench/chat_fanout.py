"""Chat fan-out benchmark (not a test).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_chat REDIS_URL=redis://127.0.0.1:6379/0 \
        python -m bench.chat_fanout --rooms 50 --members 10 --rate 1 --duration 20

Starts its own uvicorn servers (the app of `bench/asgi_baseline.py`: the project's
routes plus the tutorial consumer at /ws/baseline/<room>/) on the given PostgreSQL
and Redis, creates R conversations of C users, connects R x C WebSockets
(members spread over the servers), and in each conversation one member sends at
a fixed rate. Every message should reach all C members (the sender included:
both paths echo). Measured per path:

- deliveries/s: chat_message frames received in the send window + drain, per second of sending;
- delivery ratio: received / (sent x C);
- p50/p99/max latency: receive time - send time (the sender puts its send time in client_id).

Receipts (`--receipts`, default `none`: messages alone). `--receipts read`: every member other
than the sender answers each message the way the web client does while the conversation is
open, with `mark_read` {message_id} (read implies delivered). Each one is a transaction on the
server and a `messages_read` to the whole conversation, so with 10 members a message costs 9
receipt transactions and 90 receipt frames on top of its 10 deliveries. `--receipts delivered`:
`message_delivered` instead (a hidden tab): 9 transactions, and 9 frames, since only the sender
gets them. Receipts only exist on the chat path; the baseline has none.

Runs the BASELINE (tutorial consumer: group_send of what it receives) and then the
FULL CHAT PATH (JWT auth, membership check, persistence, idempotency, unread counts,
chat_update to every member, presence lookup) on the same servers and layer.
The sockets are driven from --clients processes (default 2; rooms split between them,
started together at a barrier) so one asyncio client is not the bottleneck; the table
also shows client and per-server CPU (% of one core over the send+drain window) and the
1-minute load average at the start and end of each path (the box may be shared).
`--profile DIR` samples the servers' stacks (bench/sampler.py).
Prints a table and writes bench/results/chat_fanout.json.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

BASE_DIR = Path(__file__).resolve().parent.parent
RESULTS = BASE_DIR / "bench" / "results" / "chat_fanout.json"
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/bench_chat"


# --- servers ----------------------------------------------------------------------


def make_cluster(size: int, env: dict[str, str], app: str):
    """scripts.cluster.Cluster (uvicorn, as in production) serving `app`."""
    from scripts.cluster import Cluster

    return Cluster(size=size, env=env, app=app, worker=False, log_prefix="bench")


def ensure_database(url: str) -> None:
    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is None:
            conn.execute(f'CREATE DATABASE "{name}"')
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=BASE_DIR,
        env={**os.environ, "DATABASE_URL": url},
        check=True,
    )


def setup_django(url: str, redis_url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ["REDIS_URL"] = redis_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()


def create_fixtures(rooms: int, members: int, tag: str) -> list[dict[str, Any]]:
    """R group conversations of C fresh users; returns [{conversation, users: [(id, token)]}]."""
    from django.contrib.auth import get_user_model
    from rest_framework_simplejwt.tokens import AccessToken

    from chat.models import Conversation, Membership

    user_model = get_user_model()
    users = user_model.objects.bulk_create(
        [user_model(username=f"b{tag}_{r}_{m}", password="!unusable") for r in range(rooms) for m in range(members)]
    )
    conversations = Conversation.objects.bulk_create(
        [Conversation(kind=Conversation.Kind.GROUP, title=f"bench {tag} {r}") for r in range(rooms)]
    )
    Membership.objects.bulk_create(
        [
            Membership(conversation=conversations[r], user=users[r * members + m])
            for r in range(rooms)
            for m in range(members)
        ]
    )
    return [
        {
            "conversation": conversations[r].pk,
            "users": [(u.pk, str(AccessToken.for_user(u))) for u in users[r * members : (r + 1) * members]],
        }
        for r in range(rooms)
    ]


# --- load -----------------------------------------------------------------------------


@dataclass
class PathResult:
    path: str
    connections: int = 0
    connect_failures: int = 0
    sent: int = 0
    expected: int = 0
    received: int = 0
    errors: int = 0
    receipts_sent: int = 0
    receipt_frames: int = 0  # messages_read / message_delivered frames received
    send_seconds: float = 0.0
    window_seconds: float = 0.0  # send + drain
    client_cpu_seconds: float = 0.0  # summed over client processes
    client_processes: int = 1
    server_cpu_seconds: list[float] = field(default_factory=list)  # per server process, same window (approx.)
    loadavg: tuple[float, float] = (0.0, 0.0)  # 1-min load average at start and end of the path
    latencies_ms: list[float] = field(default_factory=list, repr=False)

    def merge(self, other: PathResult) -> None:
        self.connections += other.connections
        self.connect_failures += other.connect_failures
        self.sent += other.sent
        self.expected += other.expected
        self.received += other.received
        self.errors += other.errors
        self.receipts_sent += other.receipts_sent
        self.receipt_frames += other.receipt_frames
        self.send_seconds = max(self.send_seconds, other.send_seconds)
        self.window_seconds = max(self.window_seconds, other.window_seconds)
        self.client_cpu_seconds += other.client_cpu_seconds
        self.latencies_ms.extend(other.latencies_ms)

    def summary(self) -> dict[str, Any]:
        lat = sorted(self.latencies_ms)

        def pct(p: float) -> float | None:
            return round(lat[min(len(lat) - 1, int(p * len(lat)))], 1) if lat else None

        return {
            "path": self.path,
            "connections": self.connections,
            "connect_failures": self.connect_failures,
            "sent": self.sent,
            "expected_deliveries": self.expected,
            "received": self.received,
            "errors": self.errors,
            "receipts_sent": self.receipts_sent,
            "receipt_frames": self.receipt_frames,
            "delivery_ratio": round(self.received / self.expected, 4) if self.expected else None,
            "deliveries_per_s": round(self.received / self.send_seconds, 1) if self.send_seconds else None,
            "p50_ms": pct(0.50),
            "p99_ms": pct(0.99),
            "max_ms": round(lat[-1], 1) if lat else None,
            "mean_ms": round(statistics.fmean(lat), 1) if lat else None,
            # CPU as % of one core over the send+drain window (the machine has os.cpu_count() cores).
            "client_processes": self.client_processes,
            "client_cpu_pct": round(100 * self.client_cpu_seconds / self.window_seconds, 1)
            if self.window_seconds
            else None,
            "server_cpu_pct": [round(100 * c / self.window_seconds, 1) for c in self.server_cpu_seconds]
            if self.window_seconds
            else None,
            "loadavg_1m": list(self.loadavg),
        }


async def _open_with_retries(url: str, *, chat: bool) -> Any | None:
    """One bench socket, three attempts; a chat socket is ready at its `connection_established`. None if all failed."""
    from websockets.asyncio.client import connect

    for _attempt in range(3):
        try:
            ws = await connect(url, open_timeout=30, max_queue=None, ping_interval=None)
            if chat:
                while json.loads(await asyncio.wait_for(ws.recv(), 30))["type"] != "connection_established":
                    pass
            return ws
        except Exception:
            await asyncio.sleep(0.5)
    return None


def _chat_stamp(frame: dict[str, Any], result: PathResult) -> str | None:
    """The bench stamp of a chat `chat_message` frame; None (counted in `result`) for every other frame."""
    kind = frame.get("type")
    if kind == "error":
        result.errors += 1
        return None
    if kind in ("messages_read", "message_delivered"):
        result.receipt_frames += 1
        return None
    if kind != "chat_message":
        return None
    return frame["data"].get("client_id") or ""


async def _read_frames(
    ws: Any, *, is_sender: bool, chat: bool, run_tag: str, receipt_type: str | None, result: PathResult
) -> None:
    """Count this run's frames on one socket and their latency; members acknowledge with `receipt_type`."""
    with contextlib.suppress(Exception):
        async for raw in ws:
            now = time.time()
            frame = json.loads(raw)
            stamp = _chat_stamp(frame, result) if chat else frame.get("message", "")
            if stamp is None:
                continue
            parts = stamp.split("|")
            if len(parts) == 3 and parts[0] == run_tag:
                result.received += 1
                result.latencies_ms.append((now - float(parts[2])) * 1000)
                if receipt_type and not is_sender:
                    await ws.send(json.dumps({"type": receipt_type, "data": {"message_id": frame["data"]["id"]}}))
                    result.receipts_sent += 1


async def _send_frames(
    ws: Any,
    *,
    r: int,
    members_here: int,
    rate: float,
    duration: float,
    t0: float,
    run_tag: str,
    chat: bool,
    result: PathResult,
) -> None:
    """Room `r`'s sender: `rate` stamped messages per second until `duration` after `t0`."""
    interval = 1.0 / rate
    start = time.monotonic() + random.uniform(0, interval)  # spread the rooms' phases
    seq = 0
    while True:
        at = start + seq * interval
        if at - t0 > duration:
            return
        await asyncio.sleep(max(0.0, at - time.monotonic()))
        stamp = f"{run_tag}|{r}.{seq}|{time.time():.6f}"
        frame = (
            {"type": "chat_message", "data": {"text": f"bench message {seq}", "client_id": stamp}}
            if chat
            else {"message": stamp}
        )
        try:
            await ws.send(json.dumps(frame))
        except Exception:
            return
        result.sent += 1
        result.expected += members_here
        seq += 1


async def run_path(
    name: str,
    ws_urls: list[str],
    rooms: list[dict[str, Any]],
    rate: float,
    duration: float,
    drain: float,
    run_tag: str,
    ready: Any = None,
    room_offset: int = 0,
    receipts: str = "none",
) -> PathResult:
    """One client process's share of the load: `rooms` (global index = room_offset + i).

    `ready()` (blocking) is called once every socket is open: with several client
    processes it is a barrier, so all of them start sending together.
    """
    result = PathResult(path=name)
    chat = name == "chat"
    receipt_type = {"read": "mark_read", "delivered": "message_delivered"}.get(receipts) if chat else None
    sockets: list[list[Any]] = [[] for _ in rooms]
    senders: dict[int, Any] = {}  # room -> member 0's socket: the sender, on server (room_offset + r) % servers
    gate = asyncio.Semaphore(25)

    async def open_one(r: int, m: int, token: str) -> None:
        ws_url = ws_urls[(room_offset + r + m) % len(ws_urls)]
        if chat:
            url = f"{ws_url}/ws/chat/{rooms[r]['conversation']}/?token={token}"
        else:
            url = f"{ws_url}/ws/baseline/{run_tag}-{room_offset + r}/"
        async with gate:
            ws = await _open_with_retries(url, chat=chat)
        if ws is None:
            result.connect_failures += 1
            return
        sockets[r].append(ws)
        if m == 0:
            senders[r] = ws

    await asyncio.gather(
        *(open_one(r, m, token) for r, room in enumerate(rooms) for m, (_uid, token) in enumerate(room["users"]))
    )
    result.connections = sum(len(s) for s in sockets)

    readers = [
        asyncio.ensure_future(
            _read_frames(
                ws, is_sender=ws is senders.get(r), chat=chat, run_tag=run_tag, receipt_type=receipt_type, result=result
            )
        )
        for r, room in enumerate(sockets)
        for ws in room
    ]

    if ready is not None:
        await asyncio.get_running_loop().run_in_executor(None, ready)
    await asyncio.sleep(1.0)  # let joins settle
    cpu0 = time.process_time()
    t0 = time.monotonic()
    await asyncio.gather(
        *(
            _send_frames(
                senders[r],
                r=r,
                members_here=len(sockets[r]),
                rate=rate,
                duration=duration,
                t0=t0,
                run_tag=run_tag,
                chat=chat,
                result=result,
            )
            for r in range(len(rooms))
            if r in senders
        )
    )
    result.send_seconds = time.monotonic() - t0
    deadline = time.monotonic() + drain
    while result.received < result.expected and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    result.client_cpu_seconds = time.process_time() - cpu0
    result.window_seconds = time.monotonic() - t0
    for task in readers:
        task.cancel()
    await asyncio.gather(*(ws.close() for room in sockets for ws in room), return_exceptions=True)
    return result


def _process_cpu_seconds(pid: int) -> float:
    """utime + stime of a process (Linux /proc), 0 if unavailable."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def _client_shard(
    name: str,
    ws_urls: list[str],
    rooms: list[dict[str, Any]],
    room_offset: int,
    args: dict[str, Any],
    run_tag: str,
    barrier: Any,
    out: Any,
) -> None:
    result = asyncio.run(
        run_path(
            name,
            ws_urls,
            rooms,
            args["rate"],
            args["duration"],
            args["drain"],
            run_tag,
            ready=barrier.wait,
            room_offset=room_offset,
            receipts=args["receipts"],
        )
    )
    out.put(result)


def run_path_sharded(
    name: str, servers: list[Any], rooms: list[dict[str, Any]], args: argparse.Namespace, run_tag: str
) -> PathResult:
    """Run the path from `args.clients` client processes (rooms split between them).

    One asyncio process driving 500 sockets competes for the same 2 cores as the servers and
    becomes the bottleneck it is supposed to measure; separate processes spread that work.
    Server CPU is read from /proc around the common send window.
    """
    import multiprocessing

    ctx = multiprocessing.get_context("fork")
    n = max(1, min(args.clients, len(rooms)))
    barrier = ctx.Barrier(n + 1)
    out = ctx.Queue()
    ws_urls = [server.ws_url for server in servers]
    per = -(-len(rooms) // n)
    from django.db import connections

    connections.close_all()  # the children must not share the parent's database socket
    procs = []
    for i in range(n):
        shard = rooms[i * per : (i + 1) * per]
        proc = ctx.Process(
            target=_client_shard, args=(name, ws_urls, shard, i * per, vars(args), run_tag, barrier, out), daemon=True
        )
        proc.start()
        procs.append(proc)
    load0 = os.getloadavg()[0]
    barrier.wait(timeout=600)
    time.sleep(1.0)  # the clients sleep 1 s after the barrier before sending
    cpu0 = [_process_cpu_seconds(server.process.pid) for server in servers]
    total = PathResult(path=name, client_processes=n)
    for _ in procs:
        total.merge(out.get(timeout=args.duration + args.drain + 600))
    cpu1 = [_process_cpu_seconds(server.process.pid) for server in servers]
    for proc in procs:
        proc.join(timeout=30)
    total.server_cpu_seconds = [b - a for a, b in zip(cpu0, cpu1, strict=True)]
    total.loadavg = (round(load0, 2), round(os.getloadavg()[0], 2))
    return total


def print_table(rows: list[dict[str, Any]]) -> None:
    cols = [
        "path", "connections", "connect_failures", "sent", "expected_deliveries", "received", "delivery_ratio",
        "deliveries_per_s",
        "p50_ms", "p99_ms", "max_ms", "errors", "receipts_sent", "receipt_frames", "client_cpu_pct", "server_cpu_pct",
        "loadavg_1m",
    ]  # fmt: skip
    widths = {c: max(len(c), *(len(str(r[c])) for r in rows)) for c in cols}
    print(" | ".join(c.ljust(widths[c]) for c in cols))
    print("-+-".join("-" * widths[c] for c in cols))
    for r in rows:
        print(" | ".join(str(r[c]).ljust(widths[c]) for c in cols))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rooms", type=int, default=50)
    parser.add_argument("--members", type=int, default=10)
    parser.add_argument("--rate", type=float, default=1.0, help="messages per second per sender (one sender per room)")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds of sending per path")
    parser.add_argument("--drain", type=float, default=5.0, help="seconds to wait for stragglers after sending")
    parser.add_argument("--servers", type=int, default=2, help="uvicorn processes (members are spread over them)")
    parser.add_argument(
        "--clients", type=int, default=2, help="client processes driving the sockets (rooms are split between them)"
    )
    parser.add_argument(
        "--receipts", choices=["none", "read", "delivered"], default="none",
        help="what every non-sending member answers to each message (chat path only): nothing, "
        "mark_read (an open web client) or message_delivered",
    )  # fmt: skip
    parser.add_argument("--only", choices=["baseline", "chat"], help="run one path only")
    parser.add_argument(
        "--profile", metavar="DIR", help="sample the servers' stacks (bench/sampler.py) into DIR/<pid>.txt"
    )
    args = parser.parse_args()

    db_url = os.environ.get("DATABASE_URL") or DEFAULT_DB
    redis_url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    if not db_url.startswith("postgres"):
        sys.exit("DATABASE_URL must point at PostgreSQL (the bench creates the database if missing)")
    ensure_database(db_url)
    # Tokens are minted here and checked by the servers: one signing key for both.
    secret = os.environ.get("DJANGO_SECRET_KEY") or "bench-only-" + uuid.uuid4().hex
    os.environ["DJANGO_SECRET_KEY"] = secret
    setup_django(db_url, redis_url)
    tag = uuid.uuid4().hex[:6]
    rooms = create_fixtures(args.rooms, args.members, tag)
    env = {
        "DATABASE_URL": db_url,
        "REDIS_URL": redis_url,
        "CHANNEL_LAYER_PREFIX": f"bench{tag}-asgi",
        "PRESENCE_PREFIX": f"bench{tag}-presence",
        "DEBUG": "false",
        "DJANGO_SECRET_KEY": secret,
        "ALLOWED_HOSTS": "localhost,127.0.0.1",
        "LOG_LEVEL": "WARNING",
        # PostgreSQL: each server keeps a psycopg pool (settings DB_POOL, on by default), as in
        # production; this only matters with DB_POOL=false (persistent connections instead).
        "DB_CONN_MAX_AGE": "60",
        "WS_MAX_CONNECTIONS_PER_USER": "20",
    }
    if args.profile:
        env["BENCH_PROFILE"] = str(Path(args.profile).resolve())
    cluster = make_cluster(args.servers, env, "bench.asgi_baseline:application").start(timeout=90.0)
    results: list[PathResult] = []
    try:
        for name in ["baseline", "chat"]:
            if args.only and args.only != name:
                continue
            receipts = f", receipts: {args.receipts}" if name == "chat" else ""
            print(
                f"running {name}: {args.rooms} rooms x {args.members} members, {args.rate}/s per sender, "
                f"{args.duration}s{receipts} ...",
                flush=True,
            )
            results.append(run_path_sharded(name, cluster.servers, rooms, args, f"{name}{tag}"))
    finally:
        cluster.stop()
    rows = [r.summary() for r in results]
    from chat.models import Message

    stored = Message.objects.filter(conversation_id__in=[room["conversation"] for room in rooms]).count()
    print()
    print_table(rows)
    by_path = {r["path"]: r for r in rows}
    ratio = None
    if "baseline" in by_path and "chat" in by_path and by_path["baseline"]["deliveries_per_s"]:
        ratio = round(by_path["chat"]["deliveries_per_s"] / by_path["baseline"]["deliveries_per_s"], 3)
        print(f"\nchat / baseline deliveries/s: {ratio}   chat messages stored: {stored}")
    report = {
        "params": vars(args),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "results": rows,
        "chat_over_baseline": ratio,
        "chat_messages_stored": stored,
        "target": "chat deliveries/s >= baseline at p99 <= 100 ms with 500 connections (chat path with receipts)",
        "target_met": bool(ratio is not None and ratio >= 0.99 and (by_path["chat"]["p99_ms"] or 1e9) <= 100),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2))
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
