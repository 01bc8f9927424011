"""Client frames: the envelope, the handler table and the limits on what a client may send.

A consumer declares each client event type on the method that handles it:

    @handles("chat_message", MessageCreateInput)
    async def on_chat_message(self, data: dict[str, Any]) -> None: ...

`data` is the serializer's `validated_data`. Handler methods are named `on_<event type>`;
the input serializers live in the app's `serializers.py` and end in `Input`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar, TypeVar

from django.conf import settings
from django.db import InterfaceError, OperationalError
from rest_framework import serializers

from realtime import closecodes, metrics
from realtime.errors import ServiceError
from realtime.events import Pong
from realtime.jsonlimits import JSONTooDeep, max_depth
from realtime.jsonlimits import loads as json_loads

logger = logging.getLogger("realtime")

# Errors of a database that is down or restarting (psycopg_pool.PoolTimeout arrives as OperationalError):
# the frame failed as a whole and may be sent again.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)

# Client types the base consumer answers itself.
BUILTIN_TYPES = ("ping", "authenticate")

F = TypeVar("F", bound=Callable[..., Awaitable[None]])


class EmptyInput(serializers.Serializer):
    """A client event without data."""


Handler = tuple[str, type[serializers.Serializer]]
BoundHandler = tuple[Callable[[dict[str, Any]], Awaitable[None]], type[serializers.Serializer]]


def handler_table(cls: type) -> dict[str, Handler]:
    """client event type -> (method name, input serializer), from the `@handles` marks of `cls` and its bases."""
    table: dict[str, Handler] = {}
    for klass in reversed(cls.__mro__):
        for name, value in vars(klass).items():
            mark = getattr(value, "_handles", None)
            if mark is not None:
                table[mark[0]] = (name, mark[1])
    return table


def handles(client_type: str, input_class: type[serializers.Serializer] = EmptyInput) -> Callable[[F], F]:
    """Declare the decorated method as the handler of client frames of `client_type`, validated by `input_class`."""

    def mark(method: F) -> F:
        method._handles = (client_type, input_class)
        return method

    return mark


class Reject(Exception):
    """Raise from a handler or `on_connect` to close the socket with `code`."""

    def __init__(self, code: int, reason: str = "") -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


class TokenBucket:
    def __init__(self, rate: float, burst: int) -> None:
        self.rate = rate
        self.capacity = float(burst)
        self.tokens = float(burst)
        self.updated = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


class InboundMixin:
    """Parse, limit and route client frames; a client's mistake is an `error` frame, never a crash.

    Needs from the consumer: `closed`, `send_error`, `send_event`, `close_with`, `reauthenticate`, `_abort`.
    """

    # client event type -> (method name, input serializer); built from the @handles marks.
    handlers: ClassVar[dict[str, Handler]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.handlers = handler_table(cls)

    def find_handler(self, frame_type: str) -> BoundHandler | None:
        """The bound handler of a client type and its input serializer (None: not accepted here)."""
        if frame_type not in self.handlers:
            return None
        method_name, input_class = self.handlers[frame_type]
        return getattr(self, method_name), input_class

    def client_types(self) -> list[str]:
        """The client types `@handles` declares for this socket (the built-in ones aside)."""
        return list(self.handlers)

    def start_limits(self) -> None:
        self.bucket = TokenBucket(settings.WS_RATE_LIMIT_PER_SECOND, settings.WS_RATE_LIMIT_BURST)
        self.strikes = 0
        self.last_client_frame = time.monotonic()

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.closed:
            return
        self.last_client_frame = time.monotonic()
        if not await self._take_token():
            return
        envelope = await self._parse_envelope(text_data)
        if envelope is None:
            return
        event_type, data = envelope
        if event_type == "ping":
            await self.send_event(Pong(ts=data["ts"]) if isinstance(data.get("ts"), int | float | str) else Pong())
            return
        if event_type == "authenticate":
            await self.reauthenticate(data)
            return
        await self.handle(event_type, data)

    async def _take_token(self) -> bool:
        """The rate limit: False, after an error frame (or a close once the strikes add up), when over it."""
        if self.bucket.take():
            self.strikes = 0
            return True
        metrics.rate_limited(self)
        self.strikes += 1
        if self.strikes >= settings.WS_RATE_LIMIT_STRIKES:
            await self.send_error("rate_limited", "Too many messages; closing.")
            await self.close_with(closecodes.TOO_MANY, "rate limit")
        else:
            await self.send_error(
                "rate_limited", f"Too many messages: at most {settings.WS_RATE_LIMIT_PER_SECOND:g} per second."
            )
        return False

    async def _parse_envelope(self, text_data: str | None) -> tuple[str, dict[str, Any]] | None:
        """The frame's (type, data); None, after an error frame, when the frame is not a valid envelope."""
        if text_data is None:
            await self.send_error("unsupported", "Binary frames are not supported; send JSON text.")
            return None
        if len(text_data) > settings.WS_MAX_FRAME_BYTES or len(text_data.encode("utf-8")) > settings.WS_MAX_FRAME_BYTES:
            await self.send_error("frame_too_large", f"Frame exceeds {settings.WS_MAX_FRAME_BYTES} bytes.")
            return None
        try:
            # One level more than JSON_MAX_DEPTH: the envelope object itself; `data` gets the full depth.
            frame = json_loads(text_data, limit=max_depth() + 1)
        except JSONTooDeep:
            await self.send_error(
                "frame_too_deep",
                f"Frame is nested too deeply: at most {max_depth()} levels of objects and arrays in data.",
            )
            return None
        except ValueError:
            await self.send_error("invalid_json", "Frame is not valid JSON.")
            return None
        if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
            await self.send_error("invalid_frame", 'Frame must be an object {"type": string, "data": object}.')
            return None
        event_type: str = frame["type"]
        metrics.frame_in(self, event_type)
        data = frame.get("data", {})
        if data is None:
            data = {}
        if not isinstance(data, dict):
            await self.send_error("invalid_frame", '"data" must be an object.', type=event_type[:64])
            return None
        return event_type, data

    async def handle(self, frame_type: str, data: dict[str, Any]) -> None:
        """Validate `data` with the handler's input serializer and call the handler."""
        handler = self.find_handler(frame_type)
        if handler is None:
            await self.send_error(
                "unknown_type",
                f"Unknown message type {frame_type[:64]!r}.",
                type=frame_type[:64],
                supported=sorted([*self.client_types(), *BUILTIN_TYPES]),
            )
            return
        method, input_class = handler
        # Hot frames (a chat message, a receipt) declare a `fast_validate` for the plainly valid case:
        # a DRF serializer costs more than the rest of such a frame's handling on the event loop. Anything
        # it does not accept goes through the serializer, so errors are exactly the serializer's.
        fast = getattr(input_class, "fast_validate", None)
        validated = fast(data) if fast is not None else None
        if validated is None:
            serializer = input_class(data=data)
            if not serializer.is_valid():
                errors = serializer.errors
                await self.send_error("invalid", _describe(errors), type=frame_type, errors=_plain(errors))
                return
            validated = serializer.validated_data
        try:
            await method(validated)
        except ServiceError as exc:
            # Same shape as REST field errors, so clients render both alike.
            extra = {"errors": {exc.field: [exc.message]}} if exc.field else {}
            await self.send_error(exc.code, exc.message, type=frame_type, **extra)
        except Reject as exc:
            await self.close_with(exc.code, exc.reason)
        except DATABASE_UNAVAILABLE as exc:
            # The database is down or restarting: the service's transaction rolled back, nothing was
            # written. The socket stays open; the client sends the same frame again (chat_message with
            # the same client_id is idempotent) and the pool reconnects by itself.
            logger.warning(
                "ws_database_unavailable",
                extra={"consumer": type(self).__name__, "frame_type": frame_type[:64], "error": type(exc).__name__},
            )
            await self.send_error(
                "unavailable", "The service is briefly unavailable; nothing was done. Retry.", type=frame_type
            )
        except Exception:
            logger.exception(
                "ws_handler_failed", extra={"consumer": type(self).__name__, "frame_type": frame_type[:64]}
            )
            await self._abort()
        else:
            metrics.frame_handled(self, frame_type)


def _plain(errors: Any) -> Any:
    if isinstance(errors, dict):
        return {k: _plain(v) for k, v in errors.items()}
    if isinstance(errors, list):
        return [_plain(v) for v in errors]
    return str(errors)


def _describe(errors: Any) -> str:
    if isinstance(errors, dict):
        parts = []
        for field, messages in errors.items():
            text = messages[0] if isinstance(messages, list) and messages else messages
            parts.append(f"{field}: {text}")
        return "; ".join(parts) or "Invalid data."
    return str(errors)
