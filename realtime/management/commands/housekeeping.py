"""Periodic housekeeping: `manage.py housekeeping` once (cron, a Kubernetes CronJob), or
`manage.py housekeeping --every 3600` as a long-running process (the compose `housekeeping`
service). Today: prune finished task results older than TASK_RESULTS_RETENTION_DAYS.
Presence needs no job: its Redis keys expire on their own (realtime/presence.py).
"""

from __future__ import annotations

import signal
import threading
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import close_old_connections

from realtime.services import task_results_prune


class Command(BaseCommand):
    help = "Prune finished task results (once, or every --every seconds until stopped)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--every", type=float, default=0, help="Repeat every N seconds until SIGTERM/SIGINT (default: run once)."
        )
        parser.add_argument(
            "--task-results-days",
            type=int,
            default=None,
            help="Keep finished task results this many days (default: TASK_RESULTS_RETENTION_DAYS).",
        )

    def handle(self, *args: Any, every: float, task_results_days: int | None, **options: Any) -> None:
        days = settings.TASK_RESULTS_RETENTION_DAYS if task_results_days is None else task_results_days
        if days < 0 or every < 0:
            raise CommandError("--every and --task-results-days must not be negative")
        stop = threading.Event()
        if every:
            for sig in (signal.SIGTERM, signal.SIGINT):
                signal.signal(sig, lambda *_: stop.set())
        while True:
            deleted = task_results_prune(older_than=timedelta(days=days))
            self.stdout.write(f"pruned {deleted} finished task result(s) older than {days} day(s)")
            if not every or stop.wait(every):
                return
            close_old_connections()  # the database may have restarted during the wait
