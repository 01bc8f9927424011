"""Presence sweeper: removes connections whose process died, and tells apps.

Every server process runs one sweeper task (started by the first socket). With
Redis, a short lock makes one process sweep per interval. For each member that
went absent, the handler registered for its scope's prefix runs (e.g. the
realtime core announces `user_offline`; live streams send `user_left` and a
new `viewers_update`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from django.conf import settings

from realtime import metrics
from realtime.layers import LAYER_UNAVAILABLE
from realtime.presence import get_presence_store

logger = logging.getLogger(__name__)

ExpiryHandler = Callable[[str, str, int], Awaitable[None]]
_handlers: dict[str, ExpiryHandler] = {}
_tasks: dict[int, asyncio.Task] = {}


def on_presence_expired(prefix: str) -> Callable[[ExpiryHandler], ExpiryHandler]:
    """Register `handler(scope, member, remaining_members)` for scopes named `prefix` or `prefix:*`."""

    def decorator(handler: ExpiryHandler) -> ExpiryHandler:
        _handlers[prefix] = handler
        return handler

    return decorator


async def sweep_once() -> int:
    store = get_presence_store()
    interval_ms = int(max(0.5, settings.PRESENCE_TTL_SECONDS / 3) * 1000)
    try_lock = getattr(store, "try_lock", None)
    if try_lock is not None and not await try_lock("sweep", interval_ms - 50):
        return 0
    gone = await store.sweep()
    metrics.presence_swept(len(gone))
    for scope, member, remaining in gone:
        handler = _handlers.get(scope.split(":", 1)[0])
        if handler is None:
            continue
        try:
            await handler(scope, member, remaining)
        except Exception:
            logger.exception("presence_expiry_handler_failed", extra={"scope": scope})
    if gone:
        logger.info("presence_swept", extra={"expired": len(gone)})
    return len(gone)


async def _run() -> None:
    interval = max(0.5, settings.PRESENCE_TTL_SECONDS / 3)
    while True:
        await asyncio.sleep(interval)
        try:
            await sweep_once()
        except asyncio.CancelledError:
            raise
        except LAYER_UNAVAILABLE as exc:  # Redis down: /ready/ says so; sweeping resumes when it is back
            logger.warning("presence_sweep_unavailable", extra={"error": type(exc).__name__})
        except Exception:
            logger.exception("presence_sweep_failed")


def ensure_sweeper() -> None:
    loop = asyncio.get_running_loop()
    task = _tasks.get(id(loop))
    if task is None or task.done():
        _tasks.clear()
        _tasks[id(loop)] = loop.create_task(_run())


@on_presence_expired("user")
async def _user_went_offline(scope: str, member: str, remaining: int) -> None:
    from channels.db import database_sync_to_async
    from django.contrib.auth import get_user_model

    from realtime.events import UserOffline
    from realtime.groups import presence_group
    from realtime.publish import apublish

    user_id = int(member)
    username = await database_sync_to_async(
        lambda: get_user_model().objects.filter(pk=user_id).values_list("username", flat=True).first()
    )()
    await apublish(presence_group(user_id), UserOffline(user_id=user_id, username=username))
