"""permessage-deflate on the chat path: bandwidth and CPU with and without (not a test).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_chat REDIS_URL=redis://127.0.0.1:6379/0 \\
        python -m bench.deflate                # 50 x 10 chat sockets, 1 msg/s per sender, read receipts

The same uvicorn servers (production command: permessage-deflate negotiated when a client offers it,
window 2^12, memLevel 5) and the same conversations, measured twice at one fixed rate: once with
clients that do not offer the extension, once with clients that do (as browsers do). Per mode:
bytes on the wire received by the clients (TCP payload, frame headers included) against the frames'
uncompressed text, KB/s per socket, latency, and the servers' CPU. The memory side (KB per idle
socket with and without) is `bench.idle_memory --compression-modes none deflate`.
Prints a table, writes bench/results/deflate.json.
"""

from __future__ import annotations

import argparse
import uuid
from pathlib import Path
from typing import Any

from bench.chat_fanout import PathRunner, path_urls
from bench.common import (
    RESULTS_DIR,
    create_fixtures,
    prepare,
    print_table,
    raise_nofile,
    server_env,
    start_cluster,
    write_report,
)

RESULTS = RESULTS_DIR / "deflate.json"


def run(args: Any) -> list[dict[str, Any]]:
    db_url, redis_url, secret = prepare()
    tag = uuid.uuid4().hex[:6]
    rooms = create_fixtures(args.rooms, args.members, tag)
    cluster = start_cluster(args.servers, {**server_env(db_url, redis_url, secret, tag), "CHANNEL_LAYER": args.layer})
    rows: list[dict[str, Any]] = []
    try:
        ws_urls = [s.ws_url for s in cluster.servers]
        pids = [s.process.pid for s in cluster.servers]
        for mode in args.modes:
            args.compression = None if mode == "none" else mode
            runner = PathRunner(args.path, args.layer, path_urls(args.path, ws_urls, rooms, tag), pids, args)
            try:
                point = runner.point(args.rate, f"{tag}{mode}")
            finally:
                runner.close()
            rows.append(
                {
                    "compression": mode,
                    "path": args.path,
                    "offered_msg_s": point["offered_msg_s"],
                    "delivery_ratio": point["delivery_ratio"],
                    "frames_in": point["frames_in"],
                    "payload_kb": round(point["payload_bytes_in"] / 1024, 1),
                    "wire_kb": round(point["wire_bytes_in"] / 1024, 1),
                    "wire_over_payload": round(point["wire_bytes_in"] / max(point["payload_bytes_in"], 1), 3),
                    "wire_bytes_per_frame": round(point["wire_bytes_in"] / max(point["frames_in"], 1), 1),
                    "wire_kb_s_per_socket": point["wire_kb_s_per_socket"],
                    "p50_ms": point["p50_ms"],
                    "p99_ms": point["p99_ms"],
                    "server_cpu_pct": point["server_cpu_pct"],
                    "client_cpu_pct": point["client_cpu_pct"],
                }
            )
    finally:
        cluster.stop()
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rooms", type=int, default=50)
    parser.add_argument("--members", type=int, default=10)
    parser.add_argument("--rate", type=float, default=1.0, help="messages/s per sender")
    parser.add_argument("--path", choices=["chat", "chat-read"], default="chat-read")
    parser.add_argument("--layer", choices=["core", "pubsub"], default="core")
    parser.add_argument("--modes", nargs="+", choices=["none", "deflate"], default=["none", "deflate"])
    parser.add_argument("--duration", type=float, default=8.0)
    parser.add_argument("--drain", type=float, default=4.0)
    parser.add_argument("--servers", type=int, default=2)
    parser.add_argument("--clients", type=int, default=2)
    parser.add_argument("--p99-ms", type=float, default=100.0)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    raise_nofile()
    rows = run(args)
    print_table(rows, rule=False)
    write_report(args.output, "bench.deflate", argv, results=rows)


if __name__ == "__main__":
    main()
