"""Writes that belong to no feature: housekeeping of what the platform itself stores."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.utils import timezone

logger = logging.getLogger(__name__)


def task_results_prune(*, older_than: timedelta) -> int:
    """Delete finished (successful or failed) background-task results that finished more
    than `older_than` ago; queued and running tasks are never touched. Returns how many.

    One row per task ever enqueued (each item "Process") otherwise stays for good.
    """
    from django_tasks_db.models import DBTaskResult

    cutoff = timezone.now() - older_than
    deleted, _ = DBTaskResult.objects.finished().filter(finished_at__lte=cutoff).delete()
    logger.info("task_results_pruned", extra={"deleted": deleted, "older_than_days": older_than.days})
    return deleted
