"""Liveness and readiness probes."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid

from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.db import connection
from django.http import JsonResponse

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
        checks["channel_layer"] = {"ok": True, "backend": type(layer).__name__, "ms": round((time.monotonic() - started) * 1000, 1)}
    except Exception as exc:
        ok = False
        checks["channel_layer"] = {"ok": False, "error": type(exc).__name__}
        logger.warning("ready_channel_layer_failed", extra={"error": type(exc).__name__})
    return JsonResponse({"status": "ok" if ok else "unavailable", "checks": checks}, status=200 if ok else 503)
