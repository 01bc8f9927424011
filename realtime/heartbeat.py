"""The process-wide timers: the presence sweeper, and the heartbeat of every socket of the process.

Heartbeat: ONE task per server process (event loop), not one per socket. Every interval it closes
the sockets that sent nothing for WS_IDLE_TIMEOUT_SECONDS (4408), refreshes the presence entries of
all the others in one Redis pipeline, and runs the `on_heartbeat` hook of the consumers that
define one (live streams). Sockets register when their connect succeeded and leave when released.

Presence sweeper: removes connections whose process died, and tells apps.

Every server process runs one sweeper task (started by the first socket). With
Redis, a short lock makes one process sweep per interval. For each member that
went absent, the handler registered for its scope's prefix runs (e.g. the
realtime core announces `user_offline`; live streams send `user_left` and a
new `viewers_update`).
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import logging
import time
import weakref
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, cast

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


class Beating(Protocol):
    """What the heartbeat needs from a socket (realtime.consumer_presence.PresenceMixin provides it)."""

    connection_id: str
    closed: bool
    last_client_frame: float
    presence_entries: list[tuple[str, str]]

    async def idle_close(self) -> None: ...
    async def presence_lost(self, reason: str) -> None: ...
    async def on_heartbeat(self) -> None: ...


class _Heartbeat:
    def __init__(self) -> None:
        self.sockets: weakref.WeakSet[Any] = weakref.WeakSet()
        self.task: asyncio.Task[None] | None = None


_heartbeats: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Heartbeat] = weakref.WeakKeyDictionary()


def heartbeat_interval() -> float:
    return max(0.5, min(settings.PRESENCE_TTL_SECONDS / 3, settings.WS_IDLE_TIMEOUT_SECONDS / 2))


def beat_for(socket: Any) -> None:
    """Keep `socket` alive (presence) and watched (idle timeout) by this process's heartbeat."""
    beat = _heartbeats.get(asyncio.get_running_loop())
    if beat is None:
        beat = _heartbeats[asyncio.get_running_loop()] = _Heartbeat()
    beat.sockets.add(socket)
    if beat.task is None or beat.task.done():
        beat.task = asyncio.get_running_loop().create_task(_beat_forever(beat))


def beating() -> list[Any]:
    """The sockets this process's heartbeat keeps (for tests and stats)."""
    beat = _heartbeats.get(asyncio.get_running_loop())
    return [] if beat is None else [s for s in beat.sockets if not s.closed]


def heartbeat_tasks() -> int:
    """How many heartbeat tasks run on this event loop: one, whatever the number of sockets."""
    return len([task for task in asyncio.all_tasks() if getattr(task.get_coro(), "__name__", "") == "_beat_forever"])


def stop_beat_for(socket: Any) -> None:
    try:
        beat = _heartbeats.get(asyncio.get_running_loop())
    except RuntimeError:  # no running loop: nothing was registered from here
        return
    if beat is not None:
        beat.sockets.discard(socket)


async def _beat_forever(beat: _Heartbeat) -> None:
    while True:
        await asyncio.sleep(heartbeat_interval())
        try:
            await beat_once(list(beat.sockets))
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("ws_heartbeat_failed")


async def beat_once(sockets: list[Beating]) -> None:
    """One heartbeat of these sockets: idle ones closed, the others' presence refreshed in one round trip.

    A socket whose presence entries Redis no longer has (restarted empty, flushed, swept after a stall),
    or every socket when Redis is unreachable, is closed with RESYNC (`presence_lost`): its group
    memberships went with them, so it reconnects and resumes with `?after=` instead of missing events.
    """
    now = time.monotonic()
    sockets = [s for s in sockets if not s.closed]
    idle = [s for s in sockets if now - s.last_client_frame > settings.WS_IDLE_TIMEOUT_SECONDS]
    alive = [s for s in sockets if now - s.last_client_frame <= settings.WS_IDLE_TIMEOUT_SECONDS]
    owners = [s for s in alive for _ in list(s.presence_entries)]
    entries = [(scope, member, s.connection_id) for s in alive for scope, member in list(s.presence_entries)]
    hooks = [s for s in alive if type(s).on_heartbeat is not _no_hook(s)]
    refreshed, *outcomes = await asyncio.gather(
        get_presence_store().refresh_many(entries),
        *(s.idle_close() for s in idle),
        *(s.on_heartbeat() for s in hooks),
        return_exceptions=True,
    )
    if isinstance(refreshed, LAYER_UNAVAILABLE):
        logger.warning("ws_presence_unavailable", extra={"error": type(refreshed).__name__})
        lost = {id(s): s for s in owners}
    elif isinstance(refreshed, BaseException):
        outcomes.append(refreshed)
        lost = {}
    else:
        lost = {id(s): s for s, found in zip(owners, cast(list[bool], refreshed), strict=True) if not found}
    if lost:
        reason = "presence unavailable" if isinstance(refreshed, BaseException) else "presence lost"
        outcomes += await asyncio.gather(*(s.presence_lost(reason) for s in lost.values()), return_exceptions=True)
    for outcome in outcomes:
        if isinstance(outcome, Exception):
            logger.error("ws_heartbeat_failed", exc_info=outcome)


def _no_hook(socket: Any) -> Any:
    from realtime.consumer_presence import PresenceMixin

    return PresenceMixin.on_heartbeat


# --- token expiry: one timer per process ---------------------------------------------


class Expiring(Protocol):
    """A JWT socket (realtime.consumer_auth.AuthMixin): closed 4401 by `expire_now` once `auth_exp` passed."""

    closed: bool
    auth_exp: float | None

    async def expire_now(self) -> None: ...


class _Deadlines:
    def __init__(self) -> None:
        self.heap: list[tuple[float, int, weakref.ref[Any]]] = []
        self.order = itertools.count()
        self.wake = asyncio.Event()
        self.task: asyncio.Task[None] | None = None


_deadlines: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Deadlines] = weakref.WeakKeyDictionary()


def expire_at(socket: Any, when: float) -> None:
    """Call `socket.expire_now()` once its `auth_exp` (epoch seconds, `when` now) has passed: one timer task
    for all the sockets of the process, not a task per socket. A later `auth_exp` (re-authentication) is
    seen when the old deadline comes, and the socket waits for the new one."""
    loop = asyncio.get_running_loop()
    deadlines = _deadlines.get(loop)
    if deadlines is None:
        deadlines = _deadlines[loop] = _Deadlines()
    earliest = deadlines.heap[0][0] if deadlines.heap else None
    heapq.heappush(deadlines.heap, (when, next(deadlines.order), weakref.ref(socket)))
    if deadlines.task is None or deadlines.task.done():
        deadlines.task = loop.create_task(_expire_forever(deadlines))
    elif earliest is None or when < earliest:
        deadlines.wake.set()


def _due(deadlines: _Deadlines, now: float) -> list[Expiring]:
    due: list[Expiring] = []
    while deadlines.heap and deadlines.heap[0][0] <= now:
        _, _, ref = heapq.heappop(deadlines.heap)
        socket = ref()
        if socket is None or socket.closed or socket.auth_exp is None:
            continue
        if socket.auth_exp > now:  # re-authenticated since: wait for the new expiry
            heapq.heappush(deadlines.heap, (socket.auth_exp, next(deadlines.order), ref))
            continue
        due.append(socket)
    return due


async def _expire_forever(deadlines: _Deadlines) -> None:
    while True:
        due = _due(deadlines, time.time())
        if due:
            outcomes = await asyncio.gather(*(s.expire_now() for s in due), return_exceptions=True)
            for outcome in outcomes:
                if isinstance(outcome, Exception):
                    logger.error("ws_expiry_failed", exc_info=outcome)
        deadlines.wake.clear()
        timeout = min(deadlines.heap[0][0] - time.time(), 60.0) if deadlines.heap else 60.0
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(deadlines.wake.wait(), max(timeout, 0.0))


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
