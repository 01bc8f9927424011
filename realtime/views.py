"""Liveness and readiness probes, and the Prometheus scrape endpoint."""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import logging
import os
import time
import uuid
from collections.abc import Iterator
from typing import Any

from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse

from realtime import metrics as realtime_metrics
from realtime.stats import cluster_stats, task_queue_figures

logger = logging.getLogger(__name__)


async def health(request) -> JsonResponse:
    """The process is up and serving (no dependency checked)."""
    return JsonResponse({"status": "ok"})


def _db_check() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


async def ready(request) -> JsonResponse:
    """Ready to serve: one database query and a channel-layer round trip."""
    checks: dict[str, dict] = {}
    ok = True
    started = time.monotonic()
    try:
        await sync_to_async(_db_check)()
        checks["database"] = {"ok": True, "ms": round((time.monotonic() - started) * 1000, 1)}
    except Exception as exc:
        ok = False
        checks["database"] = {"ok": False, "error": type(exc).__name__}
        logger.warning("ready_database_failed", extra={"error": type(exc).__name__})
    started = time.monotonic()
    try:
        layer = get_channel_layer()
        channel = await layer.new_channel("ready.")
        token = uuid.uuid4().hex
        await layer.send(channel, {"type": "ready.ping", "token": token})
        message = await asyncio.wait_for(layer.receive(channel), timeout=2)
        if message.get("token") != token:
            raise RuntimeError("channel layer returned a different message")
        checks["channel_layer"] = {
            "ok": True,
            "backend": type(layer).__name__,
            "ms": round((time.monotonic() - started) * 1000, 1),
        }
    except Exception as exc:
        ok = False
        checks["channel_layer"] = {"ok": False, "error": type(exc).__name__}
        logger.warning("ready_channel_layer_failed", extra={"error": type(exc).__name__})
    try:
        tasks = await sync_to_async(task_queue_figures)()
        limit = float(settings.READY_MAX_TASK_AGE_SECONDS)
        # The worker is behind (or down) when the oldest queued task waited longer than the limit.
        tasks_ok = limit <= 0 or tasks["oldest_age_seconds"] <= limit
        checks["tasks"] = {
            "ok": tasks_ok,
            "queued": tasks["queued"],
            "oldest_age_seconds": tasks["oldest_age_seconds"],
            "max_age_seconds": limit,
        }
        if not tasks_ok:
            ok = False
            logger.warning(
                "ready_task_queue_stale",
                extra={"oldest_age_seconds": tasks["oldest_age_seconds"], "queued": tasks["queued"]},
            )
    except Exception as exc:
        ok = False
        checks["tasks"] = {"ok": False, "error": type(exc).__name__}
        logger.warning("ready_tasks_failed", extra={"error": type(exc).__name__})
    return JsonResponse({"status": "ok" if ok else "unavailable", "checks": checks}, status=200 if ok else 503)


def metrics_allowed(request: HttpRequest) -> bool:
    """From an allowed network (METRICS_ALLOWED_NETWORKS), or with `Authorization: Bearer <METRICS_TOKEN>`."""
    token = settings.METRICS_TOKEN
    header = request.headers.get("Authorization", "")
    if token and header.startswith("Bearer ") and hmac.compare_digest(header[7:].strip().encode(), token.encode()):
        return True
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(net, strict=False) for net in settings.METRICS_ALLOWED_NETWORKS)


class _Scrape:
    """What one scrape exports: every process's metrics (or this one's) and the cluster-wide gauges."""

    def __init__(self, figures: dict[str, Any]) -> None:
        self.figures = figures

    def collect(self) -> Iterator[Any]:
        from prometheus_client import REGISTRY, multiprocess

        directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
        if directory:
            _forget_dead_processes(directory)
            yield from multiprocess.MultiProcessCollector(None, path=directory).collect()
        else:
            yield from REGISTRY.collect()
        yield from realtime_metrics.ClusterCollector(self.figures).collect()


def _forget_dead_processes(directory: str) -> None:
    """A process killed without warning leaves its live gauges (open sockets) behind: drop them."""
    from prometheus_client import multiprocess

    for name in os.listdir(directory):
        if not name.startswith("gauge_live"):
            continue
        try:
            pid = int(name.rsplit("_", 1)[1].split(".", 1)[0])
            os.kill(pid, 0)
        except ProcessLookupError:
            multiprocess.mark_process_dead(pid, directory)
        except (ValueError, IndexError, PermissionError):
            continue


async def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus text format; restricted by network or token (README "Operations", docs/operations.md)."""
    if not metrics_allowed(request):
        return JsonResponse(
            {
                "detail": "Metrics are restricted to the monitoring network or METRICS_TOKEN.",
                "code": "permission_denied",
            },
            status=403,
        )
    from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

    figures = await cluster_stats()
    body = await sync_to_async(generate_latest, thread_sensitive=False)(_Scrape(figures))
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)
