"""Housekeeping: finished task results are pruned, nothing else is."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

pytestmark = pytest.mark.django_db


def _result(status: str, finished_days_ago: float | None) -> DBTaskResult:
    now = timezone.now()
    return DBTaskResult.objects.create(
        status=status,
        finished_at=None if finished_days_ago is None else now - timedelta(days=finished_days_ago),
        args_kwargs={"args": [], "kwargs": {}},
        task_path="items.tasks.process_item",
        backend_name="default",
        run_after=now,
    )


def test_housekeeping_prunes_old_finished_task_results_only(settings) -> None:
    settings.TASK_RESULTS_RETENTION_DAYS = 7
    old_ok, old_failed = _result("SUCCESSFUL", 8), _result("FAILED", 30)
    recent, queued, running = _result("SUCCESSFUL", 1), _result("READY", None), _result("RUNNING", None)

    out = StringIO()
    call_command("housekeeping", stdout=out)

    assert "pruned 2 finished task result(s)" in out.getvalue()
    left = set(DBTaskResult.objects.values_list("pk", flat=True))
    assert left == {recent.pk, queued.pk, running.pk}
    assert not left & {old_ok.pk, old_failed.pk}


def test_housekeeping_retention_can_be_given_per_run() -> None:
    recent = _result("SUCCESSFUL", 2)
    call_command("housekeeping", "--task-results-days", "1", stdout=StringIO())
    assert not DBTaskResult.objects.filter(pk=recent.pk).exists()
