"""Soak run (not a test): mixed traffic over 2 server processes for a long time, then silence.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_soak REDIS_URL=redis://127.0.0.1:6379/0 \
        python -m bench.soak --minutes 30 --clients 40

Migrates the database, creates users in conversations of 4, starts 2 uvicorn processes and the
task worker (scripts/cluster.py) on a Redis namespace of its own, and runs: chat messages with
read receipts and typing, comments that notify post authors, and every client dropping its
socket now and then and resuming with `?after=` (tests/faults/harness.py:ResumingClient, the
same client the fault tests use). Samples every minute: RSS of each server process, Redis
`used_memory`, and the Redis keys of the run's presence and channel-layer namespaces. At the end
it checks the stored events every client received (0 lost, 0 duplicated), stops the traffic,
closes every socket, waits two presence TTLs and counts the keys again: presence and group keys
must be gone. Prints the figures (RSS and Redis memory at 5 minutes and at the end: within 10%)
and writes bench/results/soak.json. The verdict waits (up to a minute) until every client has
caught up, and splits the losses: chat, notifications, and chat messages never echoed.

The servers run with production settings (DEBUG off, unless DEBUG is set): with DEBUG on Django
keeps the last 9,000 queries of every database connection, which looks like growth for minutes.

Diagnosing growth: `--tracemalloc DIR` (bench/tracemalloc_hook/sitecustomize.py) makes every server
process trace its allocations and, at SOAK_SNAPSHOT_AT seconds after its start (default 120,300),
dump a snapshot and a census (live WebSocket protocol objects, open or closed; where asyncio tasks
wait) into DIR; the end of the run prints the allocation sites that grew most between the first
and last snapshot of each process (SOAK_TRACE=0: the census only, no tracing overhead).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import secrets
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

BASE_DIR = Path(__file__).resolve().parent.parent
RESULTS = BASE_DIR / "bench" / "results" / "soak.json"


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:")) / 1024


async def sample(cluster: Any, redis: Any, prefixes: dict[str, str], started: float) -> dict[str, Any]:
    keys = {
        name: sum([1 async for _ in redis.scan_iter(match=f"{prefix}*", count=1000)])
        for name, prefix in prefixes.items()
    }
    info = await redis.info("memory")
    return {
        "minute": round((time.monotonic() - started) / 60, 1),
        "rss_mb": [round(rss_mb(s.process.pid), 1) for s in cluster.servers],
        "redis_used_mb": round(info["used_memory"] / 2**20, 2),
        "keys": keys,
    }


def stored_ids(conversation_ids: list[int], user_ids: list[int]) -> tuple[dict[int, list[int]], dict[int, list[int]]]:
    from chat.models import Message
    from notifications.models import Notification

    messages = {
        c: list(Message.objects.filter(conversation_id=c).order_by("pk").values_list("pk", flat=True))
        for c in conversation_ids
    }
    notes = {
        u: list(Notification.objects.filter(recipient_id=u).order_by("pk").values_list("pk", flat=True))
        for u in user_ids
    }
    return messages, notes


def verdict(streams: list[tuple[int, Any]], expected: dict[int, list[int]]) -> tuple[int, int]:
    from tests.faults.harness import check_stream

    lost = duplicated = 0
    for key, client in streams:
        lo, du, _ = check_stream(client.ids, expected[key])
        lost, duplicated = lost + lo, duplicated + du
    return lost, duplicated


def setup_rows(clients: int) -> tuple[list[Any], list[Any], list[Any]]:
    from django.contrib.auth import get_user_model

    from chat.services import conversation_create_group
    from social.services import post_create

    tag = uuid.uuid4().hex[:6]
    users = [
        get_user_model().objects.create_user(username=f"soak{tag}{i}", password="soak-pass-123") for i in range(clients)
    ]
    conversations = [
        conversation_create_group(creator=users[i], title=f"soak {i}", members=users[i + 1 : i + 4])
        for i in range(0, clients - 3, 4)
    ]
    posts = [post_create(author=u, text="soak") for u in users[: max(1, clients // 4)]]
    return users, conversations, posts


async def talk(index: int, client: Any, end: float) -> None:
    """One chat member: a message every 1-3 s with typing and a read receipt; drops its socket now and then."""
    counter = 0
    while time.monotonic() < end:
        await asyncio.sleep(random.uniform(1.0, 3.0))
        counter += 1
        await client.say(f"soak-{index}-{counter}", f"soak message {counter}")
        if client.ws is None:
            continue
        with contextlib.suppress(Exception):
            await client.ws.send(json.dumps({"type": "typing", "data": {"is_typing": True}}))
            if client.ids:
                await client.ws.send(json.dumps({"type": "mark_read", "data": {"message_id": client.ids[-1]}}))
            if random.random() < 1 / 30:  # drop the socket: the client resumes with ?after=
                await client.ws.close()


def notify(users: list[Any], posts: list[Any], end: float) -> None:
    from social.services import comment_create

    while time.monotonic() < end:
        comment_create(author=random.choice(users), post=random.choice(posts), text="soak comment")
        time.sleep(0.5)


async def traffic(args: argparse.Namespace, cluster: Any, bases: list[str]) -> dict[str, Any]:
    import redis.asyncio as aioredis
    from asgiref.sync import sync_to_async

    from conftest import access_token
    from tests.faults.harness import ResumingClient

    users, conversations, posts = await sync_to_async(setup_rows)(args.clients)
    chat: list[tuple[int, Any]] = []
    members = await sync_to_async(
        lambda: [(c.pk, list(c.memberships.values_list("user_id", flat=True))) for c in conversations]
    )()
    by_id = {u.pk: u for u in users}
    for cid, uids in members:
        for uid in uids:
            base = bases[len(chat) % len(bases)]
            chat.append((cid, ResumingClient(f"{base}/ws/chat/{cid}/?token={access_token(by_id[uid])}")))
    notified = [
        (
            p.author_id,
            ResumingClient(
                f"{bases[i % len(bases)]}/ws/notifications/?token={access_token(p.author)}",
                kinds=("new_notification", "notification_batch"),
            ),
        )
        for i, p in enumerate(posts)
    ]
    clients = [c for _, c in chat] + [c for _, c in notified]
    tasks = [asyncio.ensure_future(c.run()) for c in clients]
    redis = aioredis.Redis.from_url(os.environ["REDIS_URL"])
    prefixes = {"presence": os.environ["PRESENCE_PREFIX"], "channel_layer": os.environ["CHANNEL_LAYER_PREFIX"]}
    started = time.monotonic()
    end = started + args.minutes * 60
    samples = [await sample(cluster, redis, prefixes, started)]
    talkers = [asyncio.ensure_future(talk(i, c, end)) for i, (_, c) in enumerate(chat)]
    notifier = asyncio.ensure_future(sync_to_async(notify, thread_sensitive=False)(users, posts, end))
    while time.monotonic() < end:
        await asyncio.sleep(min(60, max(0.1, end - time.monotonic())))
        samples.append(await sample(cluster, redis, prefixes, started))
        print(json.dumps(samples[-1]), flush=True)
    await asyncio.gather(*talkers, notifier)
    # The last echoes and resumes: until every client holds every stored event of its stream (at most a minute).
    settle_until = time.monotonic() + 60
    while True:
        msgs, notes = await sync_to_async(stored_ids)([cid for cid, _ in members], [uid for uid, _ in notified])
        caught_up = all(set(msgs[cid]) <= c.seen for cid, c in chat) and all(
            set(notes[uid]) <= c.seen for uid, c in notified
        )
        if caught_up or time.monotonic() > settle_until:
            break
        await asyncio.sleep(1)
    (chat_lost, chat_duplicated), (notes_lost, notes_duplicated) = verdict(chat, msgs), verdict(notified, notes)
    lost, duplicated = chat_lost + notes_lost, chat_duplicated + notes_duplicated
    unsent = sum(len(c.pending) for _, c in chat)  # said but never echoed: not stored yet, or refused
    for client in clients:
        await client.stop()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await asyncio.sleep(2 * float(os.environ.get("PRESENCE_TTL_SECONDS", "30")) + 5)
    after = await sample(cluster, redis, prefixes, started)
    await redis.aclose()
    five = next((s for s in samples if s["minute"] >= 5), samples[-1])
    return {
        "clients": len(clients),
        "messages": sum(len(v) for v in msgs.values()),
        "notifications": sum(len(v) for v in notes.values()),
        "reconnects": sum(len(c.closes) for c in clients),
        "lost": lost,
        "lost_chat": chat_lost,
        "lost_notifications": notes_lost,
        "chat_unsent": unsent,
        "duplicated": duplicated,
        "at_5_min": five,
        "at_end": samples[-1],
        "after_silence": after,
        "samples": samples,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--clients", type=int, default=40)
    parser.add_argument(
        "--tracemalloc",
        metavar="DIR",
        help="trace the server processes' allocations; snapshots at 2 and 5 minutes (SOAK_SNAPSHOT_AT) go to DIR "
        "and the top growth between them is printed at the end (slows the servers down: a diagnosis, not a figure)",
    )
    args = parser.parse_args()
    ns = f"soak{uuid.uuid4().hex[:6]}"
    # Production settings by default: with DEBUG on, Django keeps the last 9,000 queries of every
    # database connection (one per pool thread), which grows RSS for the first minutes of a run.
    os.environ.setdefault("DEBUG", "false")
    os.environ.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(50))
    os.environ.setdefault("ALLOWED_HOSTS", "localhost,127.0.0.1")
    os.environ.update(
        PRESENCE_PREFIX=f"{ns}-presence", CHANNEL_LAYER_PREFIX=f"{ns}-asgi",
        CACHE_KEY_PREFIX=f"{ns}-cache", PRESENCE_TTL_SECONDS=os.environ.get("PRESENCE_TTL_SECONDS", "10"),
        WS_MAX_CONNECTIONS_PER_USER="50", WS_RATE_LIMIT_PER_SECOND="50",
    )  # fmt: skip
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(BASE_DIR))
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=BASE_DIR, check=True)
    import django

    django.setup()
    from scripts.cluster import Cluster

    keys: tuple[str, ...] = ("DATABASE_URL", "REDIS_URL", "PRESENCE_PREFIX", "CHANNEL_LAYER_PREFIX")
    keys += ("CACHE_KEY_PREFIX", "DEBUG", "DJANGO_SECRET_KEY", "ALLOWED_HOSTS")
    env = {k: os.environ[k] for k in keys} | {"PRESENCE_TTL_SECONDS": os.environ["PRESENCE_TTL_SECONDS"]}
    if args.tracemalloc:
        Path(args.tracemalloc).mkdir(parents=True, exist_ok=True)
        hook = str(BASE_DIR / "bench" / "tracemalloc_hook")
        env |= {
            "SOAK_SNAPSHOT_DIR": args.tracemalloc,
            "SOAK_SNAPSHOT_AT": os.environ.get("SOAK_SNAPSHOT_AT", "120,300"),
            "SOAK_TRACE": os.environ.get("SOAK_TRACE", "1"),
            "PYTHONPATH": os.pathsep.join(filter(None, [hook, os.environ.get("PYTHONPATH", "")])),
        }
    with Cluster(size=2, env=env, worker=True) as cluster:
        # Clients spread over both processes directly (no nginx: one less moving part over 30 minutes).
        result = asyncio.run(traffic(args, cluster, [s.ws_url for s in cluster.servers]))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2))
    five, end, silent = result["at_5_min"], result["at_end"], result["after_silence"]
    print(
        f"clients {result['clients']}, messages {result['messages']}, notifications {result['notifications']}, "
        f"reconnects {result['reconnects']}, lost {result['lost']} (chat {result['lost_chat']}, notifications "
        f"{result['lost_notifications']}; chat messages never echoed {result['chat_unsent']}), "
        f"duplicated {result['duplicated']}\n"
        f"RSS MB at 5 min {five['rss_mb']} -> end {end['rss_mb']}; "
        f"Redis MB {five['redis_used_mb']} -> {end['redis_used_mb']}\n"
        f"keys at 5 min {five['keys']}, at end {end['keys']}, after silence {silent['keys']}"
    )
    if args.tracemalloc:
        print_growth(Path(args.tracemalloc))


def print_growth(directory: Path, top: int = 15) -> None:
    """For each server process: the allocation sites that grew most between its first and last snapshot."""
    import tracemalloc

    by_pid: dict[str, list[Path]] = {}
    for path in sorted(directory.glob("*.snap"), key=lambda p: int(p.stem.split("-")[1])):
        by_pid.setdefault(path.stem.split("-")[0], []).append(path)
    for pid, paths in sorted(by_pid.items()):
        if len(paths) < 2:
            continue
        first, last = (tracemalloc.Snapshot.load(str(p)) for p in (paths[0], paths[-1]))
        diff = last.compare_to(first, "traceback")
        total = sum(d.size_diff for d in diff)
        print(f"\npid {pid}: {paths[0].stem} -> {paths[-1].stem}: traced {total / 2**20:+.2f} MB")
        for stat in diff[:top]:
            print(f"  {stat.size_diff / 1024:+9.1f} KiB {stat.count_diff:+7d} blocks")
            for line in stat.traceback.format(limit=4, most_recent_first=True):
                print(f"      {line}")


if __name__ == "__main__":
    main()
