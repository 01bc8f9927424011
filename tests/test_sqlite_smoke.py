"""The embedded default (what `make run` serves): SQLite file, in-memory channel layer.

Runs the real commands in a subprocess with DATABASE_URL/REDIS_URL removed from the
environment, so this stays covered even when the rest of the suite runs on PostgreSQL
and Redis.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import websockets

from realtime.testing import recv
from scripts.cluster import BASE_DIR, Cluster

pytestmark = pytest.mark.e2e


@pytest.fixture
def sqlite_env(tmp_path: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "CHANNEL_LAYER_PREFIX", "PRESENCE_PREFIX"}
    }
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'smoke.sqlite3'}"
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"
    env["DEBUG"] = "true"  # as `make run` sets it
    for command in (["migrate", "--noinput"], ["seed_demo"]):
        result = subprocess.run(
            [sys.executable, "manage.py", *command], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=180
        )
        assert result.returncode == 0, result.stdout + result.stderr
    return env


def test_make_run_default_serves_pages_api_and_sockets(sqlite_env: dict[str, str]) -> None:
    cluster = Cluster(
        size=1, env={"DATABASE_URL": sqlite_env["DATABASE_URL"], "DEBUG": "true"}, server="daphne"
    )  # as `make run`
    # Cluster inherits os.environ; drop the service URLs so the embedded defaults apply.
    saved = {k: os.environ.pop(k) for k in ("REDIS_URL", "CHANNEL_LAYER_PREFIX", "PRESENCE_PREFIX") if k in os.environ}
    try:
        cluster.start()
    finally:
        os.environ.update(saved)
    try:
        base = cluster.servers[0].http_url
        with httpx.Client(base_url=base, timeout=10) as client:
            ready = client.get("/ready/").json()
            assert ready["status"] == "ok"
            assert ready["checks"]["channel_layer"]["backend"] == "InMemoryChannelLayer"
            assert client.get("/health/").json() == {"status": "ok"}
            login = client.get("/login/")
            assert login.status_code == 200 and "password" in login.text.lower()
            assert client.get("/admin/", follow_redirects=False).status_code == 302
            assert client.get("/api/docs/").status_code == 200
            token = client.post(
                "/api/auth/token/",
                json={"username": "alice", "password": os.environ.get("DEMO_PASSWORD", "demo-pass-123")},
            )
            assert token.status_code == 200, token.text
            access = token.json()["access"]
            me = client.get("/api/users/me/", headers={"Authorization": f"Bearer {access}"})
            assert me.json()["username"] == "alice"
            browsable = client.get(
                "/api/users/me/", headers={"Accept": "text/html", "Authorization": f"Bearer {access}"}
            )
            assert browsable.status_code == 200 and "Django REST framework" in browsable.text

        async def socket_roundtrip() -> dict:
            async with websockets.connect(f"{cluster.servers[0].ws_url}/ws/notifications/?token={access}") as ws:
                return await recv(ws, 10)

        first = asyncio.run(socket_roundtrip())
        assert first["type"] == "connection_established"
    finally:
        cluster.stop()
