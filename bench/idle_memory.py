"""Server memory per idle socket (not a test).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_chat REDIS_URL=redis://127.0.0.1:6379/0 \\
        python -m bench.idle_memory            # 3,000 sockets per path, with and without permessage-deflate

For each path (raw `websockets` server, Channels tutorial consumer on uvicorn + pub/sub, the chat
socket on uvicorn + each --layers channel layer) and each --compression (whether the clients offer
permessage-deflate, as browsers do): start --servers processes, open --warm sockets (imports, pools
and caches warm up), read the servers' summed RSS, open --sockets more (chat: authenticated by JWT,
each waits for its `connection_established`; members of a room of --members spread over the
processes), wait --settle s, read RSS again: "idle KB/socket" = the difference / --sockets. Then one
message in every room, so every socket has received (and a compressing server has compressed) a
frame, --settle s, RSS again: "after 1 msg KB/socket" (zlib touches its window and hash tables on
first use, so compression's cost shows only here). Prints a table, writes bench/results/idle_memory.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
import uuid
from pathlib import Path
from typing import Any

from bench.common import (
    RESULTS_DIR,
    RawServers,
    create_fixtures,
    open_socket,
    prepare,
    print_table,
    raise_nofile,
    rss_kb,
    server_env,
    start_cluster,
    write_report,
)

RESULTS = RESULTS_DIR / "idle_memory.json"


def urls_for(path: str, ws_urls: list[str], rooms: list[dict[str, Any]], tag: str) -> list[list[str]]:
    n = len(ws_urls)
    if path == "raw":
        return [[f"{ws_urls[r % n]}/ws/raw/{tag}-{r}/" for _ in room["users"]] for r, room in enumerate(rooms)]
    if path == "tutorial":
        return [
            [f"{ws_urls[(r + m) % n]}/ws/baseline/{tag}-{r}/" for m in range(len(room["users"]))]
            for r, room in enumerate(rooms)
        ]
    return [
        [f"{ws_urls[(r + m) % n]}/ws/chat/{room['conversation']}/?token={token}" for m, (_u, token) in enumerate(users)]
        for r, room in enumerate(rooms)
        for users in [room["users"]]
    ]


async def open_rooms(
    urls: list[list[str]], *, chat: bool, compression: str | None, concurrency: int
) -> list[list[Any]]:
    gate = asyncio.Semaphore(concurrency)

    async def one(url: str) -> Any:
        async with gate:
            return await open_socket(url, chat=chat, compression=compression)

    opened = await asyncio.gather(*(asyncio.gather(*(one(url) for url in room)) for room in urls))
    return [list(room) for room in opened]


async def one_message_per_room(rooms: list[list[Any]], *, chat: bool, wait_seconds: float = 60.0) -> int:
    """Member 0 of every room sends one message; returns how many sockets received it within `wait_seconds`."""
    received = 0

    async def wait_for_it(ws: Any) -> None:
        nonlocal received
        while True:
            frame = json.loads(await ws.recv())
            if not chat or frame.get("type") == "chat_message":
                received += 1
                return

    waits = [asyncio.ensure_future(wait_for_it(ws)) for room in rooms for ws in room if ws is not None]
    for room in rooms:
        sender = room[0]
        if sender is not None:
            text = "x" * 40
            await sender.send(
                json.dumps({"type": "chat_message", "data": {"text": text}} if chat else {"message": text})
            )
    await asyncio.wait(waits, timeout=wait_seconds)
    for task in waits:
        task.cancel()
    return received


async def measure(path: str, urls: list[list[str]], warm_rooms: int, pids: list[int], args: Any) -> dict[str, Any]:
    chat = path.startswith("chat")
    warm = await open_rooms(urls[:warm_rooms], chat=chat, compression=args.compression, concurrency=args.concurrency)
    await asyncio.sleep(args.settle)
    rss0 = sum(rss_kb(pid) for pid in pids)
    t0 = time.monotonic()
    rooms = await open_rooms(urls[warm_rooms:], chat=chat, compression=args.compression, concurrency=args.concurrency)
    connect_seconds = time.monotonic() - t0
    opened = sum(ws is not None for room in rooms for ws in room)
    await asyncio.sleep(args.settle)
    rss1 = sum(rss_kb(pid) for pid in pids)
    received = await one_message_per_room(rooms, chat=chat)
    await asyncio.sleep(args.settle)
    rss2 = sum(rss_kb(pid) for pid in pids)
    await asyncio.gather(
        *(ws.close() for room in [*warm, *rooms] for ws in room if ws is not None), return_exceptions=True
    )
    return {
        "path": path,
        "compression": args.compression or "none",
        "sockets": opened,
        "failed": sum(len(room) for room in rooms) - opened,
        "connect_s": round(connect_seconds, 1),
        "rss_before_mb": round(rss0 / 1024, 1),
        "rss_idle_mb": round(rss1 / 1024, 1),
        "rss_after_msg_mb": round(rss2 / 1024, 1),
        "idle_kb_per_socket": round((rss1 - rss0) / max(opened, 1), 1),
        "after_msg_kb_per_socket": round((rss2 - rss0) / max(opened, 1), 1),
        "received_first_msg": received,
    }


def run(args: Any) -> list[dict[str, Any]]:
    db_url, redis_url, secret = prepare()
    tag = uuid.uuid4().hex[:6]
    warm_rooms = max(1, args.warm // args.members)
    total_rooms = warm_rooms + -(-args.sockets // args.members)
    fixtures = create_fixtures(total_rooms, args.members, tag)
    env = server_env(db_url, redis_url, secret, tag)
    rows: list[dict[str, Any]] = []
    for compression in args.compression_modes:
        args.compression = None if compression == "none" else compression
        for path, layer in [("raw", ""), *(("tutorial", x) for x in args.tutorial_layers),
                            *(("chat", x) for x in args.layers)]:  # fmt: skip
            if path not in args.paths:
                continue
            name = f"{path}/{layer}" if layer else path
            print(f"{name}, compression {compression}: {args.sockets} sockets ...", flush=True)
            if path == "raw":
                servers: Any = RawServers(args.servers).start()
                ws_urls, pids = servers.ws_urls, servers.pids
            else:
                servers = start_cluster(args.servers, {**env, "CHANNEL_LAYER": layer})
                ws_urls, pids = [s.ws_url for s in servers.servers], [s.process.pid for s in servers.servers]
            try:
                urls = urls_for(path, ws_urls, fixtures, f"{tag}{len(rows)}")
                row = asyncio.run(measure(path, urls, warm_rooms, pids, args))
            finally:
                servers.stop()
            row["path"] = name
            print(f"  {row}", flush=True)
            rows.append(row)
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sockets", type=int, default=3000)
    parser.add_argument("--warm", type=int, default=100)
    parser.add_argument("--members", type=int, default=10)
    parser.add_argument("--servers", type=int, default=2)
    parser.add_argument("--paths", nargs="+", choices=["raw", "tutorial", "chat"], default=["raw", "tutorial", "chat"])
    parser.add_argument("--layers", nargs="+", choices=["core", "pubsub"], default=["core", "pubsub"])
    parser.add_argument("--tutorial-layers", nargs="+", choices=["core", "pubsub"], default=["pubsub"])
    parser.add_argument("--compression-modes", nargs="+", choices=["deflate", "none"], default=["none", "deflate"])
    parser.add_argument("--concurrency", type=int, default=50, help="handshakes in flight")
    parser.add_argument("--settle", type=float, default=3.0)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    raise_nofile()
    rows = run(args)
    print()
    print_table(rows)
    write_report(args.output, "bench.idle_memory", argv, target_kb_per_socket=20, results=rows)


if __name__ == "__main__":
    main()
