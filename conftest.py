"""Shared fixtures.

Real components: tests marked `e2e` start real uvicorn processes (scripts/cluster.py)
against the pytest-django test database on PostgreSQL and a real Redis. When those
are missing, the tests skip on a developer machine and FAIL in CI (CI=true), so a
green CI run always means they ran.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterable, Iterator
from typing import Any, NoReturn

import pytest
from django.db import transaction
from django.dispatch import Signal

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}

# One namespace per test session in Redis, shared with the server processes the
# session starts, so concurrent runs and leftover keys never interfere.
SESSION_NS = f"t{uuid.uuid4().hex[:10]}"


def pytest_configure(config: pytest.Config) -> None:
    from django.conf import settings

    if settings.REDIS_URL:
        settings.CHANNEL_LAYERS["default"]["CONFIG"]["prefix"] = f"{SESSION_NS}-asgi"
    settings.PRESENCE_PREFIX = f"{SESSION_NS}-presence"
    settings.CACHES["default"]["KEY_PREFIX"] = f"{SESSION_NS}-cache"


def _unavailable(reason: str) -> NoReturn:
    if IN_CI:
        pytest.fail(f"required service missing in CI: {reason}", pytrace=False)
    pytest.skip(reason)


def _redis_ok(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=2).ping())
    except Exception:
        return False


@pytest.fixture(scope="session")
def redis_url() -> str:
    from django.conf import settings

    url = settings.REDIS_URL
    if not url:
        _unavailable("REDIS_URL is not set")
    if not _redis_ok(url):
        _unavailable(f"Redis at {url} does not answer")
    return url


@pytest.fixture(scope="session")
def postgres_required() -> None:
    from django.conf import settings

    if not settings.DATABASES["default"]["ENGINE"].endswith(".postgresql"):
        _unavailable("DATABASE_URL does not point at PostgreSQL")


@pytest.fixture(scope="session")
def server_env(django_db_setup: Any, django_db_blocker: Any, redis_url: str, postgres_required: None) -> dict[str, str]:
    """Environment for server processes: the test database, the session's Redis namespace, the session's keys."""
    from django.conf import settings
    from django.db import connection

    params = connection.settings_dict
    user = params.get("USER") or "postgres"
    password = f":{params['PASSWORD']}" if params.get("PASSWORD") else ""
    host = params.get("HOST") or "127.0.0.1"
    port = params.get("PORT") or 5432
    return {
        "DATABASE_URL": f"postgres://{user}{password}@{host}:{port}/{params['NAME']}",
        "REDIS_URL": redis_url,
        "CHANNEL_LAYER_PREFIX": f"{SESSION_NS}-asgi",
        "PRESENCE_PREFIX": f"{SESSION_NS}-presence",
        "CACHE_KEY_PREFIX": f"{SESSION_NS}-cache",
        "DEBUG": "true",
        # Tokens the tests sign must verify on the servers (config/settings_test.py draws the key).
        "DJANGO_SECRET_KEY": settings.SECRET_KEY,
        "JWT_SIGNING_KEY": str(settings.SIMPLE_JWT["SIGNING_KEY"]),
        "ALLOWED_HOSTS": "localhost,127.0.0.1",
        "LOG_LEVEL": os.environ.get("SERVER_LOG_LEVEL", "INFO"),
        "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
    }


@pytest.fixture(scope="session")
def cluster(server_env: dict[str, str], django_db_blocker: Any) -> Iterator[Any]:
    """Two real uvicorn processes (plus a task worker) shared by the session's e2e tests.

    Tests using it must also use `transactional_db` (or `live_db`) so the rows they
    create are committed and visible to the servers.
    """
    from scripts.cluster import Cluster

    c = Cluster(size=2, env=server_env, worker=True)
    with django_db_blocker.unblock():
        c.start()
    yield c
    c.stop()


@pytest.fixture
def cluster_factory(server_env: dict[str, str]) -> Iterator[Callable[..., Any]]:
    """Start a dedicated cluster with extra settings, e.g. cluster_factory(1, LIVE_MAX_VIEWERS="2")."""
    from scripts.cluster import Cluster

    started: list[Any] = []

    def start(size: int = 1, worker: bool = False, **overrides: str) -> Any:
        c = Cluster(size=size, env={**server_env, **{k: str(v) for k, v in overrides.items()}}, worker=worker)
        started.append(c)
        return c.start()

    yield start
    for c in started:
        c.stop()


@pytest.fixture
def live_db(transactional_db: None) -> None:
    """Alias that reads better in e2e tests: rows are committed for other processes."""


SENT_EVENT_TYPES: set[str] = set()


@pytest.fixture(autouse=True)
def _frames_match_the_event_catalogue(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every frame an in-process socket sends is a catalogued event with exactly its fields (realtime/events.py)."""
    import json

    from realtime.consumers import BaseConsumer
    from realtime.events import check_frame

    problems: list[str] = []
    original = BaseConsumer.send

    async def checked(
        self: Any, text_data: str | None = None, bytes_data: bytes | None = None, close: bool | int = False
    ) -> None:
        if text_data is not None:
            try:
                frame = json.loads(text_data)
            except ValueError:  # not an event at all (a test feeding the send path raw text)
                frame = None
            problem = check_frame(frame) if frame is not None else None
            if problem:
                problems.append(f"{type(self).__name__}: {problem}")
            elif isinstance(frame, dict):
                SENT_EVENT_TYPES.add(frame["type"])
        await original(self, text_data=text_data, bytes_data=bytes_data, close=close)

    monkeypatch.setattr(BaseConsumer, "send", checked)
    yield
    assert not problems, "frames outside the event catalogue:\n" + "\n".join(problems)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """With the whole suite: which catalogued event types no in-process test made a socket send."""
    if not SENT_EVENT_TYPES:
        return
    from realtime.events import CATALOGUE

    unseen = sorted({event_type for _, event_type in CATALOGUE} - SENT_EVENT_TYPES)
    terminalreporter.write_line(
        f"event catalogue: {len(SENT_EVENT_TYPES)} types sent by sockets in this run; "
        f"not sent: {', '.join(unseen) or 'none'}"
    )


@pytest.fixture(autouse=True)
def _fresh_channel_layer() -> Iterator[None]:
    """Each test gets its own channel layer instance.

    pytest-asyncio gives every test a new event loop, and channels-redis keeps
    asyncio locks per channel on the layer object: a consumer cut off when one
    test's loop closed could leave such a lock held and bound to that dead loop,
    and every later test's consumers failed with "bound to a different event loop".
    """
    from channels.layers import channel_layers

    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


def clear_cache() -> None:
    """Forget rate-limit counters and lockouts: only this session's keys (never FLUSHDB a shared Redis)."""
    from django.conf import settings
    from django.core.cache import cache

    if settings.CACHES["default"]["BACKEND"].endswith("RedisCache"):
        client = cache._cache.get_client(write=True)
        keys = list(client.scan_iter(match=f"{settings.CACHES['default']['KEY_PREFIX']}:*", count=1000))
        if keys:
            client.delete(*keys)
    else:
        cache.clear()


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    """Every test starts with no throttle counts and no lockouts (the e2e servers share these keys)."""
    clear_cache()
    yield


# --- users and API clients -----------------------------------------------------

PASSWORD = "correct-horse-battery"


@pytest.fixture
def make_user(db: None) -> Callable[..., Any]:
    from django.contrib.auth import get_user_model

    counter = {"n": 0}

    def make(username: str | None = None, **extra: Any) -> Any:
        counter["n"] += 1
        name = username or f"user{counter['n']}_{uuid.uuid4().hex[:6]}"
        return get_user_model().objects.create_user(
            username=name, password=PASSWORD, email=f"{name}@example.com", **extra
        )

    return make


@pytest.fixture
def api_client() -> Any:
    from rest_framework.test import APIClient

    return APIClient()


@pytest.fixture
def auth_client(make_user: Callable[..., Any]) -> Callable[[Any], Any]:
    """auth_client(user) -> an APIClient authenticated as that user (force_authenticate)."""
    from rest_framework.test import APIClient

    def make(user: Any) -> Any:
        client = APIClient()
        client.force_authenticate(user=user)
        client.user = user
        return client

    return make


@pytest.fixture
def openapi_paths(make_user: Callable[..., Any], auth_client: Callable[[Any], Any]) -> dict[str, Any]:
    """The `paths` of /api/schema/ (JSON) as a logged-in user gets them; the request must succeed."""
    response = auth_client(make_user()).get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    return response.json()["paths"]


def access_token(user: Any) -> str:
    from rest_framework_simplejwt.tokens import AccessToken

    return str(AccessToken.for_user(user))


@pytest.fixture
def token_for() -> Callable[[Any], str]:
    """token_for(user) -> a JWT access token string, for WebSocket clients."""
    return access_token


@pytest.fixture
def chat_pair(live_db: None, make_user: Callable[..., Any], token_for: Callable[[Any], str]) -> dict[str, Any]:
    """Two users with a direct conversation, committed for real servers: a, b, conversation, token_a, token_b."""
    from chat.services import conversation_get_or_create_direct

    a, b = make_user(), make_user()
    conversation, _ = conversation_get_or_create_direct(user=a, other=b)
    return {"a": a, "b": b, "conversation": conversation, "token_a": token_for(a), "token_b": token_for(b)}


@pytest.fixture(scope="session", autouse=True)
def _close_stray_db_sessions(django_db_setup: Any, django_db_blocker: Any) -> Iterator[None]:
    """Before the test database is dropped, end sessions that server processes or
    async test threads left open, so teardown never fails with "database in use"."""
    yield
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


# --- domain signals -------------------------------------------------------------


class SignalLog:
    """Records every send of the signals it listens to, in order."""

    def __init__(self) -> None:
        self.calls: list[tuple[Signal, dict[str, Any]]] = []
        self.atomic: list[tuple[Signal, bool]] = []  # was each send inside a transaction?
        self._connected: list[tuple[Signal, Callable[..., None]]] = []

    def listen(self, *signals: Signal) -> SignalLog:
        for signal in signals:

            def receiver(sender: Any, signal: Signal = signal, **kwargs: Any) -> None:
                kwargs.pop("signal", None)
                self.calls.append((signal, {"sender": sender, **kwargs}))
                self.atomic.append((signal, transaction.get_connection().in_atomic_block))

            signal.connect(receiver, weak=False)
            self._connected.append((signal, receiver))
        return self

    def of(self, signal: Signal) -> list[dict[str, Any]]:
        return [kwargs for s, kwargs in self.calls if s is signal]

    def in_atomic(self, signal: Signal) -> list[bool]:
        """Per send of `signal`: whether it happened inside a transaction (receivers commit with the sender)."""
        return [inside for s, inside in self.atomic if s is signal]

    def disconnect(self) -> None:
        for signal, receiver in self._connected:
            signal.disconnect(receiver)


@pytest.fixture
def signal_log() -> Iterator[SignalLog]:
    log = SignalLog()
    yield log
    log.disconnect()


@pytest.fixture(scope="session", autouse=True)
def _flush_retries_a_deadlock_with_the_live_servers() -> Iterator[None]:
    """A transactional test's teardown TRUNCATEs every table while the e2e servers (other processes) may
    still be finishing the work of sockets the test just closed (a stream ended by its streamer leaving,
    presence released). PostgreSQL then picks one side of the lock cycle as the deadlock victim; when it
    picks the flush, running the flush again is correct (the server's statement has committed by then)."""
    from django.db import OperationalError
    from django.db.backends.base.operations import BaseDatabaseOperations

    original = BaseDatabaseOperations.execute_sql_flush

    def execute_sql_flush(self: Any, sql_list: Iterable[str]) -> None:
        for attempt in range(5):
            try:
                return original(self, sql_list)
            except OperationalError as exc:
                if "deadlock detected" not in str(exc) or attempt == 4:
                    raise

    BaseDatabaseOperations.execute_sql_flush = execute_sql_flush  # type: ignore[method-assign]
    yield
    BaseDatabaseOperations.execute_sql_flush = original  # type: ignore[method-assign]
