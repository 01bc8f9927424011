"""Background tasks of items (django-tasks, database backend; run by `manage.py db_worker`)."""

from __future__ import annotations

from django_tasks import task

from items.services import item_process_run
from realtime.logging import bound_request_id


@task()
def process_item(item_id: int, request_id: str | None = None) -> str:
    """Process one queued item. Safe to run twice: see `item_process_run`.

    `request_id`: of the request that queued it, on every log line of the run.
    Returns the final status (stored as the task result) or "skipped".
    """
    with bound_request_id(request_id):
        item = item_process_run(item_id)
    return item.status if item is not None else "skipped"
