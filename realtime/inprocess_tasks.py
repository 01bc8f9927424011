"""`make run`'s task backend: tasks run inside the server process, so their events reach the browser.

Under `make run` (SQLite, in-memory channel layer) a worker in another process cannot reach the
server's sockets: the in-memory layer lives in one process. This backend runs each task in the
server itself, in a pool thread started from the server's event loop, after `enqueue` returns (the
request that queued it answers at once). The task publishes through `realtime.publish` like any
service; from that thread `async_to_sync` hands the sends to the server's loop, where the sockets
are. With Redis (every deployment, the e2e tests) the durable database backend and `db_worker` are
used instead (settings.TASKS): this one keeps no queue, so a task queued when the server stops is lost.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from asgiref.sync import SyncToAsync, sync_to_async
from django.db import connections
from django_tasks.backends.immediate import ImmediateBackend

logger = logging.getLogger(__name__)

# Running tasks, so the event loop keeps a reference until they end.
_running: set[asyncio.Future[Any]] = set()


def _server_loop() -> asyncio.AbstractEventLoop | None:
    """The event loop of the server when called from a request's (or socket's) sync thread, else None."""
    loop = getattr(SyncToAsync.threadlocal, "main_event_loop", None)
    return loop if loop is not None and loop.is_running() else None


class InProcessBackend(ImmediateBackend):
    """ImmediateBackend, but off the caller's thread when a server loop is there (see the module docstring)."""

    def _execute_task(self, task_result: Any) -> None:
        loop = _server_loop()
        if loop is None:  # a management command or a shell: run it here and now
            super()._execute_task(task_result)
            return
        run = sync_to_async(self._execute_and_close, thread_sensitive=False)

        def start() -> None:
            future = asyncio.ensure_future(run(task_result))
            _running.add(future)
            future.add_done_callback(_running.discard)

        loop.call_soon_threadsafe(start)

    def _execute_and_close(self, task_result: Any) -> None:
        try:
            super()._execute_task(task_result)
        except Exception:  # the task's own errors are recorded on the result; this is a bug in the backend
            logger.exception("inprocess_task_crashed", extra={"task": str(task_result.task)})
        finally:
            connections.close_all()  # this pool thread's connections
