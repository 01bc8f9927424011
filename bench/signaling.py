"""Live-stream signaling benchmark (not a test).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_live REDIS_URL=redis://127.0.0.1:6379/6 \
        python -m bench.signaling --viewers 1 20 --pings 20

Creates the database if missing and migrates it, starts 2 uvicorn servers
(scripts.cluster.Cluster) on it and Redis, and for each viewer count N (in `--rounds` fresh streams, samples pooled):

- a streamer (aiortc, synthetic VP8 video, on server 0) goes live over REST and
  opens /ws/live/<id>/; N viewers (alternating servers 0 and 1) join at the same
  time; each viewer's *join -> first decoded frame* is measured from opening its
  socket to `await track.recv()` returning (user_joined -> offer -> answer -> ICE
  -> DTLS -> first RTP -> decode);
- *signaling relay*: every viewer sends `ice_candidate` pings to the streamer,
  which echoes each one back to the viewer's peer id; a round trip is two relays
  through the server(s) and Redis, so one relay ~ RTT/2.

Prints a table (p50/p95) and writes bench/results/signaling.json. The socket rate
limit of the bench servers is raised: the streamer echoes every viewer's pings.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import json
import os
import platform
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

BASE_DIR = Path(__file__).resolve().parent.parent
RESULTS = BASE_DIR / "bench" / "results" / "signaling.json"
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/bench_live"


def _is_candidate(tag: str, frame: dict[str, Any]) -> bool:
    """The relayed `ice_candidate` that carries `tag` (the bench's ping)."""
    return (frame["data"].get("candidate") or {}).get("candidate") == tag


def ensure_database(url: str) -> None:
    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def make_users(n: int) -> list[tuple[Any, str]]:
    from django.contrib.auth import get_user_model
    from rest_framework_simplejwt.tokens import AccessToken

    tag = uuid.uuid4().hex[:6]
    users = [
        get_user_model().objects.create_user(username=f"bench_{tag}_{i}", password=uuid.uuid4().hex) for i in range(n)
    ]
    return [(u, str(AccessToken.for_user(u))) for u in users]


async def run_round(cluster: Any, n_viewers: int, pings: int) -> tuple[list[float], list[float], int]:
    import httpx
    from asgiref.sync import sync_to_async

    from livestream.tests.peers import LiveSocket, Streamer, Viewer

    (_host, host_token), *viewer_users = await sync_to_async(make_users)(n_viewers + 1)
    async with httpx.AsyncClient(
        base_url=cluster.servers[0].http_url, headers={"Authorization": f"Bearer {host_token}"}, timeout=60
    ) as http:
        stream_id = (await http.post("/api/live/streams/", json={"title": f"bench {n_viewers}"})).json()["id"]
        assert (await http.post(f"/api/live/streams/{stream_id}/start/")).status_code == 200

    streamer = Streamer(await LiveSocket.open(cluster.servers[0].ws_url, stream_id, host_token))
    host_peer = (await streamer.sock.wait("connection_established"))["data"]["peer"]

    async def echo(frame: dict[str, Any]) -> None:
        await streamer.sock.send(
            "ice_candidate", {"target": frame["data"]["from"], "candidate": frame["data"]["candidate"]}
        )

    streamer.sock.callbacks["ice_candidate"] = echo
    viewers: list[Viewer] = []
    join_to_frame: list[float] = []
    relay_rtt: list[float] = []
    failures = 0

    async def one_viewer(index: int, token: str) -> None:
        nonlocal failures
        server = cluster.servers[index % len(cluster.servers)]
        started = time.perf_counter()
        viewer = Viewer(await LiveSocket.open(server.ws_url, stream_id, token))
        viewers.append(viewer)
        try:
            frame = await viewer.first_frame(timeout=120)
            assert frame.width > 0
            join_to_frame.append(time.perf_counter() - started)
        except Exception:
            failures += 1

    async def pinger(viewer: Viewer, index: int) -> None:
        for seq in range(pings):
            tag = f"ping-{index}-{seq}"
            sent = time.perf_counter()
            await viewer.sock.send(
                "ice_candidate",
                {"target": host_peer, "candidate": {"candidate": tag, "sdpMid": "0", "sdpMLineIndex": 0}},
            )
            reply = await viewer.sock.wait("ice_candidate", timeout=30, where=functools.partial(_is_candidate, tag))
            relay_rtt.append(reply["_received"] - sent)
            await asyncio.sleep(0.05)

    try:
        await asyncio.gather(*(one_viewer(i, token) for i, (_, token) in enumerate(viewer_users)))
        await asyncio.gather(*(pinger(v, i) for i, v in enumerate(viewers)))
    finally:
        for viewer in viewers:
            await viewer.close()
        await streamer.close()
        await streamer.sock.close()
    return join_to_frame, relay_rtt, failures


async def run_scenario(cluster: Any, n_viewers: int, pings: int, rounds: int) -> dict[str, Any]:
    """`rounds` fresh streams with `n_viewers` each; samples are pooled."""
    join_to_frame: list[float] = []
    relay_rtt: list[float] = []
    failures = 0
    for _ in range(rounds):
        joins, rtts, failed = await run_round(cluster, n_viewers, pings)
        join_to_frame += joins
        relay_rtt += rtts
        failures += failed
    return {
        "viewers": n_viewers,
        "rounds": rounds,
        "first_frame_failures": failures,
        "join_to_first_frame_s": {
            "p50": percentile(join_to_frame, 50),
            "p95": percentile(join_to_frame, 95),
            "n": len(join_to_frame),
        },
        "relay_round_trip_ms": {
            "p50": percentile(relay_rtt, 50) * 1000,
            "p95": percentile(relay_rtt, 95) * 1000,
            "n": len(relay_rtt),
        },
        "relay_one_way_ms_est": {"p50": percentile(relay_rtt, 50) * 500, "p95": percentile(relay_rtt, 95) * 500},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--viewers", type=int, nargs="+", default=[1, 20])
    parser.add_argument("--pings", type=int, default=20, help="ice_candidate round trips per viewer")
    parser.add_argument("--rounds", type=int, default=5, help="fresh streams per viewer count (samples are pooled)")
    args = parser.parse_args()

    database_url = os.environ.get("DATABASE_URL") or DEFAULT_DB
    redis_url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/6"
    os.environ.update(
        {"DATABASE_URL": database_url, "REDIS_URL": redis_url, "DJANGO_SETTINGS_MODULE": "config.settings"}
    )
    ensure_database(database_url)
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=BASE_DIR, check=True)

    sys.path.insert(0, str(BASE_DIR))
    import django

    django.setup()
    from scripts.cluster import Cluster

    ns = f"bench{uuid.uuid4().hex[:8]}"
    env = {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "CHANNEL_LAYER_PREFIX": f"{ns}-asgi",
        "PRESENCE_PREFIX": f"{ns}-presence",
        "LOG_LEVEL": "WARNING",
        "DEBUG": "true",
        "LIVE_MAX_VIEWERS": "100",
        "WS_RATE_LIMIT_PER_SECOND": "1000",
        "WS_RATE_LIMIT_BURST": "2000",
    }
    results: list[dict[str, Any]] = []
    cluster = Cluster(size=2, env=env, worker=False)
    try:
        cluster.start(timeout=90)
        for n in args.viewers:
            results.append(asyncio.run(run_scenario(cluster, n, args.pings, args.rounds)))
    finally:
        with contextlib.suppress(Exception):
            cluster.stop()

    header = (
        f"{'viewers':>7} | {'join->1st frame p50':>19} | {'p95':>7} | {'relay RTT p50':>13} | {'p95':>8} | "
        f"{'1-way p50':>9} | {'fails':>5}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        jf, rt, ow = r["join_to_first_frame_s"], r["relay_round_trip_ms"], r["relay_one_way_ms_est"]
        print(
            f"{r['viewers']:>7} | {jf['p50']:>17.2f} s | {jf['p95']:>5.2f} s | "
            f"{rt['p50']:>10.1f} ms | {rt['p95']:>5.1f} ms |"
            f" {ow['p50']:>6.1f} ms | {r['first_frame_failures']:>5}"
        )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "benchmark": "signaling",
                "servers": 2,
                "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
                "pings_per_viewer": args.pings,
                "results": results,
            },
            indent=2,
        )
        + "\n"
    )
    print(f"wrote {RESULTS.relative_to(BASE_DIR)}")


if __name__ == "__main__":
    main()
