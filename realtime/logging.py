"""Structured logging: one JSON object per line, with request id and user id.

Secrets never reach a log line: `RedactSecretsFilter` masks JWTs, `token=`
query parameters, `bearer, <token>` subprotocol pairs and password fields,
whatever logger produced the record (Django, uvicorn, daphne, our code).
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import re
import uuid
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import HttpRequest, HttpResponse

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
user_id_var: contextvars.ContextVar[int | None] = contextvars.ContextVar("user_id", default=None)

# A secret value runs up to a delimiter. The patterns also run over the JSON text of a line,
# where a quote inside a string is escaped (`?token=x\" [accepted]` from uvicorn's handshake
# line): a value may contain a backslash escape, but never ends by eating half of `\"`.
_VALUE = r"(?:[^&\s\"'\\]|\\[^\s\"'])+"
_SECRET_PATTERNS = [
    # JWTs (three base64url segments, the first starting with eyJ)
    (re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}"), "[REDACTED]"),
    (re.compile(r"(?i)([?&](?:token|access|refresh|password|invite)=)" + _VALUE), r"\1[REDACTED]"),
    (re.compile(r"(?i)(bearer,?\s+)[^\s,\"'\\]+"), r"\1[REDACTED]"),
    (
        re.compile(
            r"(?i)(\"?(?:password|token|access|refresh|secret|credential|invite)\"?\s*[:=]\s*\"?)(?:[^\"\s,}\\]|\\[^\s\"])+"
        ),
        r"\1[REDACTED]",
    ),
]


def redact(text: str) -> str:
    for pattern, replacement in _SECRET_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get()
        if not hasattr(record, "user_id"):
            record.user_id = user_id_var.get()
        return True


class RedactSecretsFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg = cleaned
            record.args = None
        return True


# uvicorn's extras: color_message (the message with ANSI colours, for terminals) and websocket
# (the repr of a weak proxy to its protocol object): nothing a reader of the JSON line can use.
_RESERVED = set(vars(logging.makeLogRecord({}))) | {
    "message",
    "asctime",
    "request_id",
    "user_id",
    "color_message",
    "websocket",
}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "event": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None)
        user_id = getattr(record, "user_id", None)
        if request_id:
            payload["request_id"] = request_id
        if user_id:
            payload["user_id"] = user_id
        for key, value in vars(record).items():
            if key not in _RESERVED and not key.startswith("_"):
                payload[key] = value if isinstance(value, (str, int, float, bool, type(None))) else repr(value)
        if record.exc_info:
            payload["exc"] = self.formatException(record.exc_info)
        return redact(json.dumps(payload, default=str))


QUIET_PATHS = frozenset({"/health/", "/ready/", "/metrics"})


def new_request_id(incoming: str | None = None) -> str:
    """A sane incoming X-Request-ID (from nginx), or a fresh one."""
    return incoming if incoming and re.fullmatch(r"[A-Za-z0-9._-]{1,64}", incoming) else uuid.uuid4().hex


@contextlib.contextmanager
def bound_request_id(request_id: str | None) -> Iterator[None]:
    """Log lines inside carry `request_id` (a background task run for a request, say)."""
    token = request_id_var.set(request_id)
    try:
        yield
    finally:
        request_id_var.reset(token)


class RequestIdMiddleware:
    """Gives each HTTP request an id (or keeps a sane X-Request-ID from the proxy)."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    @contextlib.contextmanager
    def _context(self, request: HttpRequest) -> Iterator[Callable[[HttpResponse], None]]:
        """The request's id and a fresh user id in the log context; call what it yields with the response."""
        started = _now()
        rid = new_request_id(request.headers.get("X-Request-ID", ""))
        request.request_id = rid  # type: ignore[attr-defined]
        t1, t2 = request_id_var.set(rid), user_id_var.set(None)
        try:
            yield lambda response: self._finish(request, response, rid, started)
        finally:
            request_id_var.reset(t1)
            user_id_var.reset(t2)

    def _finish(self, request: HttpRequest, response: HttpResponse, rid: str, started: float) -> None:
        response["X-Request-ID"] = rid
        # Probes and scrapes come every few seconds: DEBUG, so they do not drown the INFO log.
        level = logging.DEBUG if request.path in QUIET_PATHS else logging.INFO
        logging.getLogger("http").log(
            level,
            "request",
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": round((_now() - started) * 1000, 1),
            },
        )

    def __call__(self, request: HttpRequest) -> Any:
        if iscoroutinefunction(self):
            return self.__acall__(request)
        with self._context(request) as finish:
            response = self.get_response(request)
            finish(response)
            return response

    async def __acall__(self, request: HttpRequest) -> HttpResponse:
        with self._context(request) as finish:
            response = await self.get_response(request)
            finish(response)
            return response


class RequestUserMiddleware:
    """Puts the authenticated user id (session or JWT) into the log context."""

    sync_capable = True
    async_capable = False

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            user_id_var.set(user.pk)
        return self.get_response(request)


def _now() -> float:
    import time

    return time.monotonic()


AsyncHandler = Callable[..., Awaitable[Any]]
