"""A task backend for the items e2e test only: the real database backend, on a private queue.

The session-wide `cluster` fixture runs a `db_worker` on the "default" queue of the same
test database. The restart test must prove that a task waits while *no* worker runs, so its
server and its own worker use this backend (via TASKS_BACKEND) and the queue below, which
no other worker consumes. Everything else (DBTaskResult rows, db_worker) is production code.
"""

from __future__ import annotations

from typing import Any

from django_tasks_db.backend import DatabaseBackend

E2E_QUEUE = "items-e2e"


class PrivateQueueDatabaseBackend(DatabaseBackend):
    def __init__(self, alias: str, params: dict[str, Any]) -> None:
        super().__init__(alias, params)
        self.queues = {*self.queues, E2E_QUEUE}

    def enqueue(self, task: Any, args: Any, kwargs: Any) -> Any:
        return super().enqueue(task.using(queue_name=E2E_QUEUE), args, kwargs)
