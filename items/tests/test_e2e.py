"""End to end: real uvicorn servers and a real `db_worker` process on PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from django_tasks_db.models import DBTaskResult

from items.models import Item
from items.tests.e2e_backend import E2E_QUEUE
from scripts.cluster import stop_process_groups

pytestmark = [pytest.mark.e2e]

BASE_DIR = Path(__file__).resolve().parents[2]
E2E_BACKEND = "items.tests.e2e_backend.PrivateQueueDatabaseBackend"


@pytest.fixture
def start_worker(server_env: dict[str, str]) -> Iterator[Callable[..., subprocess.Popen]]:
    """start_worker(**env) -> a `manage.py db_worker` process; stopped (by its own pid) at teardown."""
    started: list[subprocess.Popen] = []

    def start(queue: str = "default", **overrides: str) -> subprocess.Popen:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            **server_env,
            **overrides,
            "PYTHONUNBUFFERED": "1",
        }
        log = Path(os.environ.get("CLUSTER_LOG_DIR", "/tmp")) / f"items-e2e-worker-{uuid.uuid4().hex[:8]}.log"
        process = subprocess.Popen(
            # --no-reload: with DEBUG on the worker would restart (killing a running task) whenever a source file
            # changes.
            [
                sys.executable,
                "manage.py",
                "db_worker",
                "--no-startup-delay",
                "--no-reload",
                "--interval",
                "0.2",
                "--queue-name",
                queue,
            ],
            cwd=BASE_DIR,
            env=env,
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        process.log_path = log
        started.append(process)
        return process

    yield start
    stop_process_groups(started, timeout=15)


def _get_item(base_url: str, token: str, item_id: int) -> dict[str, Any]:
    response = httpx.get(f"{base_url}/api/items/{item_id}/", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def test_queued_processing_survives_server_restart_and_runs_when_a_worker_starts(
    live_db: None, make_user: Any, token_for: Any, cluster_factory: Any, start_worker: Any
) -> None:
    user = make_user()
    token = token_for(user)
    item = Item.objects.create(owner=user, title="survives restarts")

    # 1. Request processing while no worker consumes our queue.
    first = cluster_factory(1, worker=False, TASKS_BACKEND=E2E_BACKEND)
    response = httpx.post(
        f"{first.servers[0].http_url}/api/items/{item.pk}/process/",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert response.status_code == 202, response.text
    assert response.json()["status"] == "queued"

    # 2. Restart: stop the server process, start a new one. The task is a row in the database.
    first.stop()
    assert first.servers[0].process.poll() is not None
    second = cluster_factory(1, worker=False, TASKS_BACKEND=E2E_BACKEND)
    assert _get_item(second.servers[0].http_url, token, item.pk)["status"] == "queued"
    task = DBTaskResult.objects.get(task_path="items.tasks.process_item")
    assert (task.status, task.queue_name, task.args_kwargs["args"]) == ("READY", E2E_QUEUE, [item.pk])

    # 3. Start a worker: the item goes through processing to processed.
    worker = start_worker(queue=E2E_QUEUE, TASKS_BACKEND=E2E_BACKEND)
    deadline = time.monotonic() + 60
    status = "queued"
    while time.monotonic() < deadline:
        status = _get_item(second.servers[0].http_url, token, item.pk)["status"]
        if status in {"processed", "failed"}:
            break
        assert worker.poll() is None, worker.log_path.read_text(errors="replace")[-3000:]
        time.sleep(0.2)
    body = _get_item(second.servers[0].http_url, token, item.pk)
    assert body["status"] == "processed", worker.log_path.read_text(errors="replace")[-3000:]
    assert body["processed_at"] is not None
    task.refresh_from_db()
    assert task.status == "SUCCESSFUL"
    assert task.return_value == "processed"
