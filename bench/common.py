"""What the socket benchmarks share: database and fixtures, server processes, sockets, /proc readings.

Every benchmark starts its own servers (uvicorn through `scripts/cluster.py`, the production
command, or `bench/raw_server.py`), mints JWTs with a signing key it hands to them, and
talks to them with `websockets` clients.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import platform
import resource
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from websockets.asyncio.client import ClientConnection, connect

BASE_DIR = Path(__file__).resolve().parent.parent
RESULTS_DIR = BASE_DIR / "bench" / "results"
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/bench_chat"


# --- environment ----------------------------------------------------------------------------------


def raise_nofile() -> int:
    """Soft RLIMIT_NOFILE up to the hard limit (inherited by the servers this process starts); returns it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        new = hard if hard != resource.RLIM_INFINITY else 1_048_576
        resource.setrlimit(resource.RLIMIT_NOFILE, (new, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def ensure_database(url: str) -> None:
    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is None:
            conn.execute(f'CREATE DATABASE "{name}"')
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=BASE_DIR,
        env={**os.environ, "DATABASE_URL": url},
        check=True,
    )


def prepare() -> tuple[str, str, str]:
    """Database migrated, Django set up in this process, one signing key for the bench and its servers.

    Returns (DATABASE_URL, REDIS_URL, secret key).
    """
    db_url = os.environ.get("DATABASE_URL") or DEFAULT_DB
    redis_url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    if not db_url.startswith("postgres"):
        sys.exit("DATABASE_URL must point at PostgreSQL (the bench creates the database if missing)")
    secret = os.environ.get("DJANGO_SECRET_KEY") or secrets.token_urlsafe(50)
    os.environ["DJANGO_SECRET_KEY"] = secret
    ensure_database(db_url)
    os.environ["DATABASE_URL"] = db_url
    os.environ["REDIS_URL"] = redis_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    return db_url, redis_url, secret


def server_env(db_url: str, redis_url: str, secret: str, tag: str, **extra: str) -> dict[str, str]:
    """The servers' environment: production-like (DEBUG off), keys in a namespace of this run, no per-socket limits
    that would measure the limiter instead of the path (rate limit and idle timeout raised)."""
    return {
        "DATABASE_URL": db_url,
        "REDIS_URL": redis_url,
        "CHANNEL_LAYER_PREFIX": f"bench{tag}-asgi",
        "PRESENCE_PREFIX": f"bench{tag}-presence",
        "CACHE_KEY_PREFIX": f"bench{tag}-cache",
        "DEBUG": "false",
        "DJANGO_SECRET_KEY": secret,
        "ALLOWED_HOSTS": "localhost,127.0.0.1",
        "LOG_LEVEL": "WARNING",
        "DB_CONN_MAX_AGE": "60",
        "WS_MAX_CONNECTIONS_PER_USER": "20",
        "WS_RATE_LIMIT_PER_SECOND": "1000",
        "WS_RATE_LIMIT_BURST": "2000",
        # A bench socket only listens: the idle close (4408, default 300 s) would cut the first sockets
        # of a 10,000-socket run before the last one has connected.
        "WS_IDLE_TIMEOUT_SECONDS": "3600",
        **extra,
    }


def create_fixtures(rooms: int, members: int, tag: str) -> list[dict[str, Any]]:
    """R group conversations of C fresh users; returns [{conversation, users: [(id, token)]}]."""
    from django.contrib.auth import get_user_model
    from rest_framework_simplejwt.tokens import AccessToken

    from chat.models import Conversation, Membership

    user_model = get_user_model()
    users = user_model.objects.bulk_create(
        [user_model(username=f"b{tag}_{r}_{m}", password="!unusable") for r in range(rooms) for m in range(members)],
        batch_size=2000,
    )
    conversations = Conversation.objects.bulk_create(
        [Conversation(kind=Conversation.Kind.GROUP, title=f"bench {tag} {r}") for r in range(rooms)]
    )
    Membership.objects.bulk_create(
        [
            Membership(conversation=conversations[r], user=users[r * members + m])
            for r in range(rooms)
            for m in range(members)
        ],
        batch_size=2000,
    )
    return [
        {
            "conversation": conversations[r].pk,
            "users": [(u.pk, str(AccessToken.for_user(u))) for u in users[r * members : (r + 1) * members]],
        }
        for r in range(rooms)
    ]


# --- servers ---------------------------------------------------------------------------------------


def start_cluster(size: int, env: dict[str, str], app: str = "bench.asgi_baseline:application") -> Any:
    """scripts.cluster.Cluster (uvicorn, as in production) serving `app` (default: the project + tutorial consumer)."""
    from scripts.cluster import Cluster

    return Cluster(size=size, env=env, app=app, worker=False, log_prefix="bench").start(timeout=90.0)


class RawServers:
    """N `bench/raw_server.py` processes (asyncio `websockets`, uvloop), one port each; no proxy in front."""

    def __init__(self, size: int) -> None:
        from scripts.cluster import free_port

        self.ports = [free_port() for _ in range(size)]
        self.processes: list[subprocess.Popen] = []

    def start(self, timeout: float = 30.0) -> RawServers:
        for port in self.ports:
            self.processes.append(
                subprocess.Popen(
                    [sys.executable, "-m", "bench.raw_server", "--port", str(port)],
                    cwd=BASE_DIR,
                    start_new_session=True,
                )
            )
        deadline = time.monotonic() + timeout
        for port in self.ports:
            while True:
                with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
                if time.monotonic() > deadline:
                    raise RuntimeError(f"raw server on port {port} did not start")
                time.sleep(0.05)
        return self

    @property
    def ws_urls(self) -> list[str]:
        return [f"ws://127.0.0.1:{port}" for port in self.ports]

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self.processes]

    def stop(self) -> None:
        from scripts.cluster import stop_process_groups

        stop_process_groups(self.processes)


# --- /proc -----------------------------------------------------------------------------------------


def process_cpu_seconds(pid: int) -> float:
    """utime + stime of a process (Linux /proc), 0 if unavailable."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def rss_kb(pid: int) -> int:
    """Resident set size of a process in KiB (VmRSS), 0 if unavailable."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


# --- sockets ---------------------------------------------------------------------------------------


class CountingConnection(ClientConnection):
    """A client connection that counts the bytes it reads from the TCP socket (compressed, if negotiated)."""

    bytes_in = 0

    def data_received(self, data: bytes) -> None:
        self.bytes_in += len(data)
        super().data_received(data)


RETRIES = {"count": 0}  # failed attempts that open_socket retried, in this process (printed by the benches)


async def open_socket(url: str, *, chat: bool, compression: str | None = "deflate", attempts: int = 3) -> Any | None:
    """One bench socket; a chat socket is ready at its `connection_established`. None if every attempt failed.

    `compression="deflate"` offers permessage-deflate (the `websockets` default, and browsers'); None does not.
    """
    for _attempt in range(attempts):
        try:
            ws = await connect(
                url,
                open_timeout=60,
                max_queue=None,
                ping_interval=None,
                compression=compression,
                create_connection=CountingConnection,
            )
            if chat:
                while json.loads(await asyncio.wait_for(ws.recv(), 60))["type"] != "connection_established":
                    pass
            return ws
        except Exception:
            RETRIES["count"] += 1
            await asyncio.sleep(0.5)
    return None


def percentile(sorted_values: list[float], p: float) -> float | None:
    if not sorted_values:
        return None
    return round(sorted_values[min(len(sorted_values) - 1, int(p * len(sorted_values)))], 1)


# --- reports --------------------------------------------------------------------------------------


def print_table(rows: list[dict[str, Any]], *, rule: bool = True) -> None:
    """The rows as a plain text table, one column per key of the first row."""
    cols = list(rows[0])
    widths = {c: max(len(c), *(len(str(r[c])) for r in rows)) for c in cols}
    print(" | ".join(c.ljust(widths[c]) for c in cols))
    if rule:
        print("-+-".join("-" * widths[c] for c in cols))
    for r in rows:
        print(" | ".join(str(r[c]).ljust(widths[c]) for c in cols))


def write_report(
    output: Path, module: str, argv: list[str] | None, *, machine: dict[str, Any] | None = None, **fields: Any
) -> None:
    """The JSON report of one run: the command that repeats it, the machine it ran on, then `fields`."""
    report = {
        "command": " ".join([f"python -m {module}", *(argv if argv is not None else sys.argv[1:])]),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), **(machine or {})},
        **fields,
    }
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, indent=2))
    print(f"wrote {output}")
