"""Background tasks of items (django-tasks, database backend; run by `manage.py db_worker`)."""

from __future__ import annotations

from django_tasks import task

from items.services import item_process_run


@task()
def process_item(item_id: int) -> str:
    """Process one queued item. Safe to run twice: see `item_process_run`.

    Returns the final status (stored as the task result) or "skipped".
    """
    item = item_process_run(item_id)
    return item.status if item is not None else "skipped"
