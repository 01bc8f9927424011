"""10,000 authenticated chat sockets, then a reconnect storm with `?after=` (not a test).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_chat REDIS_URL=redis://127.0.0.1:6379/0 \\
        python -m bench.connect_storm          # 10,000 sockets, 2,000 dropped and reconnected

--sockets chat sockets (rooms of --members, JWT in the query string, each ready at its
`connection_established`) over --servers uvicorn processes (members spread round-robin, no proxy),
opened from --clients processes with --concurrency handshakes in flight each. RLIMIT_NOFILE is
raised to the hard limit for this process, its clients and the servers it starts.

Then, in every room:
1. member 0 sends message A; every member must receive it (its id is the resume point);
2. the last --drop-per-room members of every room lose their connection (TCP abort, no close frame:
   a network drop), --drop in all;
3. member 0 sends message B while they are away;
4. the dropped sockets all reconnect at once with `?after=<id of A>`: the storm. Measured: time from
   the storm's start until every one has its `connection_established` (and p50/p99 per socket),
   failed reconnects, and whether each received B from the backlog (lost = did not, duplicates =
   received A again).
Prints a table, writes bench/results/connect_storm.json.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.common import (
    RESULTS_DIR,
    create_fixtures,
    open_socket,
    percentile,
    prepare,
    raise_nofile,
    rss_kb,
    server_env,
    start_cluster,
    write_report,
)

RESULTS = RESULTS_DIR / "connect_storm.json"


@dataclass
class ShardResult:
    opened: int = 0
    failed: int = 0
    connect_ms: list[float] = field(default_factory=list)
    open_started: float = 0.0
    open_finished: float = 0.0
    missing_a: int = 0
    dropped: int = 0
    storm_started: float = 0.0
    storm_finished: float = 0.0
    storm_ms: list[float] = field(default_factory=list)
    storm_failed: int = 0
    lost: int = 0
    duplicates: int = 0


async def _opened(url: str, compression: str | None) -> tuple[Any, float]:
    t = time.monotonic()
    ws = await open_socket(url, chat=True, compression=compression, attempts=1)
    return ws, (time.monotonic() - t) * 1000


async def _next_chat_message(ws: Any, wait: float) -> dict[str, Any] | None:
    """The next chat_message frame's data (other frames skipped), None after `wait` s or on close."""
    with contextlib.suppress(Exception):
        async with asyncio.timeout(wait):
            while True:
                frame = json.loads(await ws.recv())
                if frame.get("type") == "chat_message":
                    return frame["data"]
    return None


async def _send_and_collect(rooms: list[list[Any]], text: str, wait: float) -> list[list[int | None]]:
    """Member 0 of every room sends `text`; returns the id each socket received (None if none)."""
    for room in rooms:
        if room and room[0] is not None:
            await room[0].send(json.dumps({"type": "chat_message", "data": {"text": text}}))

    async def got(ws: Any) -> int | None:
        if ws is None:
            return None
        data = await _next_chat_message(ws, wait)
        return data["id"] if data and data.get("text") == text else None

    return [list(await asyncio.gather(*(got(ws) for ws in room))) for room in rooms]


async def _storm(urls: list[list[str]], drop: int, after: list[int | None], args: Any, res: ShardResult) -> list[Any]:
    """Reconnect the last `drop` members of every room at once with ?after=; check each gets B, not A."""

    async def one(url: str, a_id: int | None) -> Any:
        t = time.monotonic()
        ws = await open_socket(f"{url}&after={a_id or 0}", chat=True, compression=args.compression, attempts=1)
        if ws is None:
            res.storm_failed += 1
            return None
        res.storm_ms.append((time.monotonic() - t) * 1000)
        res.storm_finished = max(res.storm_finished, time.time())
        data = await _next_chat_message(ws, args.wait)
        if data is None or data["id"] == a_id:
            res.lost += 1
            res.duplicates += data is not None
        return ws

    res.storm_started = time.time()
    return list(await asyncio.gather(*(one(url, after[r]) for r, room in enumerate(urls) for url in room[-drop:])))


async def _shard(urls: list[list[str]], args: Any, barrier: Any) -> ShardResult:
    res = ShardResult()
    loop = asyncio.get_running_loop()
    gate = asyncio.Semaphore(args.concurrency)

    async def gated(url: str) -> tuple[Any, float]:
        async with gate:
            return await _opened(url, args.compression)

    res.open_started = time.time()
    opened = [list(await asyncio.gather(*(gated(url) for url in room))) for room in urls]
    res.open_finished = time.time()
    rooms = [[ws for ws, _ms in room] for room in opened]
    res.connect_ms = [ms for room in opened for ws, ms in room if ws is not None]
    res.opened = len(res.connect_ms)
    res.failed = sum(ws is None for room in rooms for ws in room)
    await loop.run_in_executor(None, barrier.wait)  # all open: the parent reads RSS

    ids_a = await _send_and_collect(rooms, f"A {uuid.uuid4().hex[:8]}", args.wait)
    res.missing_a = sum(
        i is None for room, ids in zip(rooms, ids_a, strict=True) for ws, i in zip(room, ids, strict=True) if ws
    )
    after = [next((i for i in ids if i is not None), None) for ids in ids_a]
    drop = args.drop_per_room
    for room in rooms:
        for ws in room[-drop:]:
            if ws is not None:
                ws.transport.abort()  # a network drop: no close frame
                res.dropped += 1
    kept = [room[: len(room) - drop] for room in rooms]
    await asyncio.sleep(1.0)  # the servers notice the drops
    await _send_and_collect(kept, f"B {uuid.uuid4().hex[:8]}", args.wait)
    await loop.run_in_executor(None, barrier.wait)  # every shard's B is stored: storm together

    back = await _storm(urls, drop, after, args, res)
    await asyncio.gather(
        *(ws.close() for ws in [*back, *(w for room in kept for w in room)] if ws), return_exceptions=True
    )
    return res


def _shard_main(urls: list[list[str]], args: dict[str, Any], barrier: Any, out: Any) -> None:
    raise_nofile()
    out.put(asyncio.run(_shard(urls, argparse.Namespace(**args), barrier)))


def run(args: Any) -> dict[str, Any]:
    db_url, redis_url, secret = prepare()
    tag = uuid.uuid4().hex[:6]
    rooms = create_fixtures(-(-args.sockets // args.members), args.members, tag)
    env = server_env(db_url, redis_url, secret, tag, CHANNEL_LAYER=args.layer)
    cluster = start_cluster(args.servers, env)
    try:
        ws_urls = [s.ws_url for s in cluster.servers]
        pids = [s.process.pid for s in cluster.servers]
        urls = [
            [
                f"{ws_urls[(r + m) % len(ws_urls)]}/ws/chat/{room['conversation']}/?token={tok}"
                for m, (_u, tok) in enumerate(room["users"])
            ]
            for r, room in enumerate(rooms)
        ]
        rss0 = sum(rss_kb(pid) for pid in pids)
        ctx = multiprocessing.get_context("fork")
        n = max(1, min(args.clients, len(urls)))
        barrier, out = ctx.Barrier(n + 1), ctx.Queue()
        per = -(-len(urls) // n)
        from django.db import connections

        connections.close_all()
        procs = [
            ctx.Process(target=_shard_main, args=(urls[i * per : (i + 1) * per], vars(args), barrier, out), daemon=True)
            for i in range(n)
        ]
        for proc in procs:
            proc.start()
        barrier.wait(timeout=1800)
        time.sleep(2.0)
        rss1 = sum(rss_kb(pid) for pid in pids)
        barrier.wait(timeout=600)
        shards: list[ShardResult] = [out.get(timeout=600) for _ in procs]
        for proc in procs:
            proc.join(timeout=30)
    finally:
        cluster.stop()
    return summarize(shards, rss0, rss1, args)


def summarize(shards: list[ShardResult], rss0: int, rss1: int, args: Any) -> dict[str, Any]:
    connect = sorted(ms for s in shards for ms in s.connect_ms)
    storm = sorted(ms for s in shards for ms in s.storm_ms)
    opened = sum(s.opened for s in shards)
    storm_start = min(s.storm_started for s in shards)
    storm_end = max(s.storm_finished for s in shards)
    return {
        "sockets": sum(s.opened + s.failed for s in shards),
        "opened": opened,
        "failed_connects": sum(s.failed for s in shards),
        "open_all_s": round(max(s.open_finished for s in shards) - min(s.open_started for s in shards), 1),
        "connect_p50_ms": percentile(connect, 0.5),
        "connect_p99_ms": percentile(connect, 0.99),
        "rss_kb_per_socket": round((rss1 - rss0) / max(opened, 1), 1),
        "missing_first_message": sum(s.missing_a for s in shards),
        "dropped": sum(s.dropped for s in shards),
        "storm_reconnected": len(storm),
        "storm_failed": sum(s.storm_failed for s in shards),
        "storm_all_established_s": round(storm_end - storm_start, 2) if storm else None,
        "storm_p50_ms": percentile(storm, 0.5),
        "storm_p99_ms": percentile(storm, 0.99),
        "storm_max_ms": round(storm[-1], 1) if storm else None,
        "lost": sum(s.lost for s in shards),
        "duplicates": sum(s.duplicates for s in shards),
        "layer": args.layer,
        "compression": args.compression or "none",
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sockets", type=int, default=10_000)
    parser.add_argument("--members", type=int, default=10)
    parser.add_argument("--drop-per-room", type=int, default=2, help="members per room dropped (2 x 1,000 rooms)")
    parser.add_argument("--servers", type=int, default=2)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--concurrency", type=int, default=50, help="handshakes in flight per client process")
    parser.add_argument("--layer", choices=["core", "pubsub"], default="core")
    parser.add_argument("--compression", choices=["deflate", "none"], default="deflate")
    parser.add_argument("--wait", type=float, default=60.0, help="seconds to wait for an expected message")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    args.compression = None if args.compression == "none" else args.compression
    limit = raise_nofile()
    if limit < args.sockets // max(1, args.clients) + 256:
        sys.exit(f"RLIMIT_NOFILE hard limit {limit} is too low for {args.sockets} sockets")
    row = run(args)
    print()
    for key, value in row.items():
        print(f"{key:28s} {value}")
    targets = {"failed_connects": 0, "storm_p99_ms": 2000, "lost": 0}
    write_report(args.output, "bench.connect_storm", argv, targets=targets, result=row)


if __name__ == "__main__":
    main()
