"""Live figures of the whole cluster: `GET /api/stats/`, the staff stats page, `/metrics` gauges.

Per process: every server process that has had a socket reports itself (open sockets,
chat messages stored, when it started) every STATS_REPORT_SECONDS, and at once when a
socket opens or closes, into one Redis hash (in memory without Redis: one process). A
report older than three intervals belongs to a dead process and is left out.

Cluster-wide: users online and presence entries from the presence store, streams and
rooms from their presence scopes, conversations, messages and the task queue from the
database.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.utils import timezone

from realtime.presence import get_presence_store

logger = logging.getLogger(__name__)

ACTIVE_CONVERSATION_WINDOW = timedelta(minutes=5)
MESSAGE_RATE_WINDOW_SECONDS = 60


@dataclass
class LocalStats:
    """This process's own counters (changed by realtime.metrics hooks)."""

    process: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}")
    started: float = field(default_factory=time.time)
    sockets: int = 0
    messages: int = 0

    def report(self) -> dict[str, Any]:
        return {
            "process": self.process,
            "pid": os.getpid(),
            "sockets": self.sockets,
            "messages": self.messages,
            "started": self.started,
            "ts": time.time(),
        }


local = LocalStats()
_reporters: dict[int, asyncio.Task] = {}
_pending: set[asyncio.Task] = set()


def _interval() -> float:
    return max(0.2, float(getattr(settings, "STATS_REPORT_SECONDS", 2.0)))


def _hash_key() -> str:
    return f"{settings.PRESENCE_PREFIX}:processes"


def _redis() -> Any:
    return getattr(get_presence_store(), "redis", None)


async def report_now() -> None:
    client = _redis()
    if client is None:
        return
    try:
        await client.hset(_hash_key(), local.process, json.dumps(local.report()))
    except Exception:
        logger.warning("stats_report_failed", exc_info=True)


async def _report_forever() -> None:
    while True:
        await report_now()
        await asyncio.sleep(_interval())


def ensure_reporter() -> None:
    """Start this process's reporter (once per event loop) and report now."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return
    if _redis() is None:
        return  # one process, in memory: `process_reports` reads `local` directly
    task = _reporters.get(id(loop))
    if task is None or task.done():
        _reporters.clear()
        _reporters[id(loop)] = loop.create_task(_report_forever())
    else:
        task = loop.create_task(report_now())
        _pending.add(task)
        task.add_done_callback(_pending.discard)


async def process_reports() -> list[dict[str, Any]]:
    client = _redis()
    if client is None:
        return [local.report()]
    raw = await client.hgetall(_hash_key())
    fresh_after = time.time() - 3 * _interval() - 1
    reports, stale = [], []
    for name, value in raw.items():
        try:
            report = json.loads(value)
        except ValueError:
            stale.append(name)
            continue
        if report.get("ts", 0) >= fresh_after:
            reports.append(report)
        else:
            stale.append(name)
    if stale:
        await client.hdel(_hash_key(), *stale)
    if not any(r["process"] == local.process for r in reports):
        reports.append(local.report())  # the process answering is alive, sockets or not
    return sorted(reports, key=lambda r: r["process"])


def _database_figures() -> dict[str, Any]:
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    from chat.models import Message
    from livestream.models import Stream, StreamStatus

    now = timezone.now()
    active = (
        Message.objects.filter(created_at__gte=now - ACTIVE_CONVERSATION_WINDOW)
        .values("conversation_id")
        .distinct()
        .count()
    )
    recent = Message.objects.filter(created_at__gte=now - timedelta(seconds=MESSAGE_RATE_WINDOW_SECONDS)).count()
    live_ids = list(Stream.objects.filter(status=StreamStatus.LIVE).order_by("pk").values_list("pk", flat=True))
    queued = DBTaskResult.objects.filter(status=TaskResultStatus.READY)
    oldest = queued.order_by("enqueued_at").values_list("enqueued_at", flat=True).first()
    return {
        "active_conversations": active,
        "messages_last_minute": recent,
        "live_ids": live_ids,
        "tasks": {
            "queued": queued.count(),
            "oldest_age_seconds": round((now - oldest).total_seconds(), 3) if oldest else 0.0,
            "failed": DBTaskResult.objects.filter(status=TaskResultStatus.FAILED).count(),
        },
    }


def task_queue_figures() -> dict[str, Any]:
    """Depth and oldest age of the task queue (also used by /ready/)."""
    return _database_figures()["tasks"]


async def cluster_stats() -> dict[str, Any]:
    """Everything the stats page shows, for the whole cluster, plus one row per process."""
    store = get_presence_store()
    # On the sync thread, like /ready/'s database check: a few counts, asked for every few seconds at most.
    db = await sync_to_async(_database_figures)()
    processes = await process_reports()
    scopes = await store.scopes("")
    viewers = {name.split(":", 1)[1]: count for name, count in scopes.items() if name.startswith("stream:")}
    rooms = {name: count for name, count in scopes.items() if name.startswith("room:")}
    streams = [{"id": stream_id, "viewers": viewers.get(str(stream_id), 0)} for stream_id in db["live_ids"]]
    return {
        "ts": timezone.now().isoformat().replace("+00:00", "Z"),
        "sockets": sum(p["sockets"] for p in processes),
        "online_users": await store.count("user"),
        "presence_entries": sum(scopes.values()),
        "active_conversations": db["active_conversations"],
        "messages_last_minute": db["messages_last_minute"],
        "messages_per_second": round(db["messages_last_minute"] / MESSAGE_RATE_WINDOW_SECONDS, 3),
        "live": {"count": len(streams), "viewers": sum(s["viewers"] for s in streams), "streams": streams},
        "rooms": {"count": len(rooms), "participants": sum(rooms.values())},
        "tasks": db["tasks"],
        "processes": processes,
    }
