"""The one helper that crosses the sync/async seam: consumers call synchronous services through `db()`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from channels.db import DatabaseSyncToAsync
from django.db import connections


class PooledDatabaseSyncToAsync(DatabaseSyncToAsync):
    """DatabaseSyncToAsync that always hands a pooled connection back when the call ends.

    Channels closes old connections around each call, which returns a pooled connection; but
    `channels.testing` turns that into a no-op, and then every pool thread would keep its
    connection and drain the pool. Closing a pooled connection only returns it to the pool.
    """

    def thread_handler(self, loop: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().thread_handler(loop, *args, **kwargs)
        finally:
            for conn in connections.all(initialized_only=True):
                if conn.connection is not None and getattr(conn, "pool", None) is not None and not conn.in_atomic_block:
                    conn.close()


def db(func: Callable[..., Any]) -> Any:
    """Run a synchronous service or selector off the event loop on a pool thread, not on the process's one sync thread.

    `database_sync_to_async` defaults to thread_sensitive=True: every call of the whole process
    queues for ONE thread, which capped a process at ~15 chat messages/s (bench/chat_fanout).
    Services hold no thread-bound state, Channels closes (= returns to the psycopg pool) the
    thread's connection around each call, and ordering that matters comes from the database
    (e.g. the row lock in `message_create`), so calls of different sockets may run in parallel.
    One socket still handles its frames one at a time (Channels awaits each handler), so a
    sender's messages stay in order.

    SQLite (the `make run` default) has one writer at a time anyway, and parallel writers only
    meet "database is locked": there the calls stay on the one sync thread.
    """
    return PooledDatabaseSyncToAsync(func, thread_sensitive=connections["default"].vendor == "sqlite")
