"""The base consumer every socket in the project uses.

It owns what all sockets share, so app consumers stay thin:

* authentication (4401), per-user connection cap (4429), presence in the
  `"user"` scope (online while any socket is open, on any process);
* the envelope: parse `{"type", "data"}`, validate `data` with the handler's
  DRF serializer, answer mistakes with an `error` frame and keep the socket open;
* limits: frame size, a token-bucket rate limit (repeated abuse closes 4429),
  an idle timeout (4408), and a heartbeat that keeps presence entries alive;
* forwarding group events (`realtime.event`) as pre-encoded text.

An app consumer sets `handlers` (client event type -> (method name, serializer))
and overrides `on_connect` / `on_disconnect`. A service error becomes an error
frame; `Reject` closes with a code; anything else is logged and closes 1011.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, ClassVar

from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from rest_framework import serializers

from realtime import closecodes
from realtime.auth import auser_for_access_token
from realtime.envelope import encode, server_frame
from realtime.errors import ServiceError
from realtime.events import Authenticated, Event, Pong, UserOffline, UserOnline, error
from realtime.groups import connection_group, presence_group, session_control_group, user_control_group, user_group
from realtime.heartbeat import ensure_sweeper
from realtime.jsonlimits import JSONTooDeep, max_depth
from realtime.jsonlimits import loads as json_loads
from realtime.logging import user_id_var
from realtime.presence import get_presence_store
from realtime.publish import apublish

logger = logging.getLogger("realtime")

USER_SCOPE = "user"


class Reject(Exception):
    """Raise from a handler or `on_connect` to close the socket with `code`."""

    def __init__(self, code: int, reason: str = "") -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


class EmptySerializer(serializers.Serializer):
    pass


Handler = tuple[str, type[serializers.Serializer]]


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


class BaseConsumer(AsyncWebsocketConsumer):
    handlers: ClassVar[dict[str, Handler]] = {}
    # Announce user_online/user_offline to presence_group(user) for this socket.
    tracks_user_presence: ClassVar[bool] = True
    # Join user_group(user): the personal socket (/ws/notifications/) sets this.
    joins_user_group: ClassVar[bool] = False

    # --- lifecycle -----------------------------------------------------------

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        # However the consumer ends (disconnect, an exception, daphne cancelling it), the socket's
        # presence, groups and heartbeat are released: a leaked entry would count against room
        # capacity and the per-user socket cap until its TTL, and the heartbeat would keep it alive.
        try:
            await super().__call__(scope, receive, send)
        finally:
            await self._release(closecodes.INTERNAL_ERROR)

    async def dispatch(self, message: dict[str, Any]) -> None:
        """Every message from the client or the channel layer; nothing may escape it.

        Handlers turn client errors into error frames themselves; whatever still escapes (a bug,
        an input nobody thought of) is logged, the socket is closed 1011 and released at once.
        """
        try:
            await super().dispatch(message)
        except StopConsumer:
            raise
        except Exception:
            logger.exception("ws_dispatch_failed", extra={"consumer": type(self).__name__, "message_type": str(message.get("type"))[:64]})
            await self._abort()
            raise StopConsumer() from None

    async def _abort(self) -> None:
        """An unexpected error: `internal_error`, close 1011, and release now (not when the client
        acknowledges the close, which a hostile or dead client never does)."""
        try:
            await self.send_error("internal_error", "Internal error; the socket is closing.")
            await self.close_with(closecodes.INTERNAL_ERROR, "internal error")
        except Exception:
            logger.exception("ws_close_failed", extra={"consumer": type(self).__name__})
        await self._release(closecodes.INTERNAL_ERROR)

    async def connect(self) -> None:
        self.user = self.scope.get("user")
        self.connection_id = uuid.uuid4().hex
        self.joined_groups: set[str] = set()
        self.presence_entries: list[tuple[str, str]] = []
        self.bucket = TokenBucket(settings.WS_RATE_LIMIT_PER_SECOND, settings.WS_RATE_LIMIT_BURST)
        self.strikes = 0
        self.last_client_frame = time.monotonic()
        self.heartbeat_task: asyncio.Task | None = None
        self.expiry_task: asyncio.Task | None = None
        # The JWT's exp (epoch seconds); None for session sockets. `authenticate` moves it.
        self.auth_exp: float | None = self.scope.get("auth_exp")
        self.closed = False
        protocols = [p.lower() for p in self.scope.get("subprotocols") or []]
        # Answer "bearer" only: the token, if sent as a subprotocol, is never echoed.
        subprotocol = "bearer" if "bearer" in protocols else None

        # Handshakes are accepted and then closed with an application code, so every
        # client can read why (a refused handshake only shows HTTP 403).
        if self.user is None or not self.user.is_authenticated:
            reason = self.scope.get("auth_error") or "authentication required"
            await self.accept(subprotocol=subprotocol)
            await self.send_error("unauthenticated", f"Authentication failed: {reason}.")
            await self.close_with(closecodes.UNAUTHENTICATED, reason)
            return
        user_id_var.set(self.user.pk)
        ensure_sweeper()
        # Register before accepting: once a client sees the socket open, it counts as online.
        change = await get_presence_store().join(
            USER_SCOPE, str(self.user.pk), self.connection_id, max_connections=settings.WS_MAX_CONNECTIONS_PER_USER
        )
        if change is None:
            await self.accept(subprotocol=subprotocol)
            await self.send_error("too_many_connections", f"At most {settings.WS_MAX_CONNECTIONS_PER_USER} sockets per user.")
            await self.close_with(closecodes.TOO_MANY, "too many connections")
            return
        self.presence_entries.append((USER_SCOPE, str(self.user.pk)))
        if self.joins_user_group:
            await self.join_group(user_group(self.user.pk))
        await self.join_group(connection_group(self.connection_id))
        # Control groups: revoked credentials close these sockets on every process (realtime.revocation).
        await self.join_group(user_control_group(self.user.pk))
        session = self.scope.get("session")
        if self.scope.get("auth_method") == "session" and session is not None and session.session_key:
            await self.join_group(session_control_group(session.session_key))
        await self.accept(subprotocol=subprotocol)
        if change.flipped and self.tracks_user_presence:
            await apublish(presence_group(self.user.pk), UserOnline(user_id=self.user.pk, username=self.user.username))
        try:
            await self.on_connect()
        except Reject as exc:
            await self.close_with(exc.code, exc.reason)
            return
        except ServiceError as exc:
            await self.send_error(exc.code, exc.message)
            await self.close_with(_close_code_for(exc), exc.message)
            return
        except Exception:
            logger.exception("ws_connect_failed", extra={"path": self.scope.get("path"), "consumer": type(self).__name__})
            await self.close_with(closecodes.INTERNAL_ERROR, "internal error")
            return
        if not self.closed:
            self.heartbeat_task = asyncio.ensure_future(self._heartbeat())
            if self.auth_exp is not None:
                self.expiry_task = asyncio.ensure_future(self._expire())
            logger.info("ws_connected", extra={"consumer": type(self).__name__, "conn": self.connection_id})

    async def disconnect(self, code: int) -> None:
        await self._release(code)

    async def _release(self, code: int) -> None:
        """Leave presence and groups and run `on_disconnect`: exactly once per socket, whoever calls first."""
        if getattr(self, "released", False):
            return
        self.released = True
        self.closed = True
        if getattr(self, "heartbeat_task", None):
            self.heartbeat_task.cancel()
        if getattr(self, "expiry_task", None):
            self.expiry_task.cancel()
        user = getattr(self, "user", None)
        if user is not None and getattr(user, "is_authenticated", False) and hasattr(self, "connection_id"):
            try:
                await self.on_disconnect(code)
            except Exception:
                logger.exception("ws_on_disconnect_failed", extra={"consumer": type(self).__name__})
            store = get_presence_store()
            for scope, member in list(getattr(self, "presence_entries", [])):
                try:
                    change = await store.leave(scope, member, self.connection_id)
                except Exception:
                    logger.exception("presence_leave_failed", extra={"scope": scope})
                    continue
                if scope == USER_SCOPE and change.flipped and self.tracks_user_presence:
                    try:
                        await apublish(presence_group(self.user.pk), UserOffline(user_id=self.user.pk, username=self.user.username))
                    except Exception:
                        logger.exception("presence_publish_failed", extra={"scope": scope})
        for group in list(getattr(self, "joined_groups", set())):
            try:
                await self.channel_layer.group_discard(group, self.channel_name)
            except Exception:
                logger.exception("group_discard_failed", extra={"consumer": type(self).__name__})
        logger.info("ws_disconnected", extra={"consumer": type(self).__name__, "code": code})

    async def on_connect(self) -> None:
        """Subclasses: check access (raise Reject), join groups, send the first frames."""

    async def on_disconnect(self, code: int) -> None:
        """Subclasses: leave app presence, announce departures. Groups are left for you."""

    # --- helpers for subclasses ----------------------------------------------

    async def join_group(self, group: str) -> None:
        await self.channel_layer.group_add(group, self.channel_name)
        self.joined_groups.add(group)

    async def leave_group(self, group: str) -> None:
        await self.channel_layer.group_discard(group, self.channel_name)
        self.joined_groups.discard(group)

    async def join_presence(self, scope: str, member: str, *, info: dict | None = None, max_members: int | None = None):
        """Register this socket in a presence scope; refreshed by the heartbeat, left on disconnect."""
        change = await get_presence_store().join(scope, member, self.connection_id, info=info)
        if change is None:
            return None
        self.presence_entries.append((scope, member))
        return change

    async def leave_presence(self, scope: str, member: str):
        if (scope, member) in self.presence_entries:
            self.presence_entries.remove((scope, member))
        return await get_presence_store().leave(scope, member, self.connection_id)

    async def send(self, text_data: str | None = None, bytes_data: bytes | None = None, close: bool | int = False) -> None:
        """Send a frame; one for a client that is already gone is dropped.

        The client can close while a group event is on its way out. The server then refuses the
        send (uvicorn: ClientDisconnected, the OSError the ASGI spec asks for, or a RuntimeError
        once it has handed `websocket.disconnect` over); raising would end the consumer before
        `disconnect()` runs, leaving presence and groups to their TTLs. The disconnect message is
        already on its way: drop the frame and let it be handled.
        """
        try:
            await super().send(text_data=text_data, bytes_data=bytes_data, close=close)
        except (OSError, RuntimeError) as exc:
            if not _client_gone(exc):
                raise

    async def close(self, code: int | bool | None = None, reason: str | None = None) -> None:
        try:
            await super().close(code=code, reason=reason)
        except (OSError, RuntimeError) as exc:
            if not _client_gone(exc):
                raise

    async def send_event(self, event: Event, *, event_id: Any = None) -> None:
        """Send one catalogued event (realtime/events.py) to this socket; anything else is a TypeError."""
        frame = server_frame(event, event_id=event_id)
        if not self.closed:
            await self.send(text_data=encode(frame))

    async def send_error(self, code: str, message: str, **extra: Any) -> None:
        """An `error` event; `extra` takes only the documented keys of `realtime.events.Error`."""
        await self.send_event(error(code, message, **extra))

    async def close_with(self, code: int, reason: str = "") -> None:
        if not self.closed:
            self.closed = True
            await self.close(code=code, reason=reason[:120] if reason else None)

    # --- inbound -------------------------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.closed:
            return
        self.last_client_frame = time.monotonic()
        if not self.bucket.take():
            self.strikes += 1
            if self.strikes >= settings.WS_RATE_LIMIT_STRIKES:
                await self.send_error("rate_limited", "Too many messages; closing.")
                await self.close_with(closecodes.TOO_MANY, "rate limit")
            else:
                await self.send_error("rate_limited", f"Too many messages: at most {settings.WS_RATE_LIMIT_PER_SECOND:g} per second.")
            return
        self.strikes = 0
        if text_data is None:
            await self.send_error("unsupported", "Binary frames are not supported; send JSON text.")
            return
        if len(text_data) > settings.WS_MAX_FRAME_BYTES or len(text_data.encode("utf-8")) > settings.WS_MAX_FRAME_BYTES:
            await self.send_error("frame_too_large", f"Frame exceeds {settings.WS_MAX_FRAME_BYTES} bytes.")
            return
        try:
            # One level more than JSON_MAX_DEPTH: the envelope object itself; `data` gets the full depth.
            frame = json_loads(text_data, limit=max_depth() + 1)
        except JSONTooDeep:
            await self.send_error("frame_too_deep", f"Frame is nested too deeply: at most {max_depth()} levels of objects and arrays in data.")
            return
        except ValueError:
            await self.send_error("invalid_json", "Frame is not valid JSON.")
            return
        if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
            await self.send_error("invalid_frame", 'Frame must be an object {"type": string, "data": object}.')
            return
        event_type: str = frame["type"]
        data = frame.get("data", {})
        if data is None:
            data = {}
        if not isinstance(data, dict):
            await self.send_error("invalid_frame", '"data" must be an object.', type=event_type[:64])
            return
        if event_type == "ping":
            await self.send_event(Pong(ts=data["ts"]) if isinstance(data.get("ts"), int | float | str) else Pong())
            return
        if event_type == "authenticate":
            await self.reauthenticate(data)
            return
        handler = self.handlers.get(event_type)
        if handler is None:
            await self.send_error(
                "unknown_type", f"Unknown message type {event_type[:64]!r}.", type=event_type[:64], supported=sorted([*self.handlers, "ping", "authenticate"])
            )
            return
        method_name, serializer_class = handler
        serializer = serializer_class(data=data)
        if not serializer.is_valid():
            errors = serializer.errors
            await self.send_error("invalid", _describe(errors), type=event_type, errors=_plain(errors))
            return
        method: Callable[[dict[str, Any]], Awaitable[None]] = getattr(self, method_name)
        try:
            await method(serializer.validated_data)
        except ServiceError as exc:
            # Same shape as REST field errors, so clients render both alike.
            extra = {"errors": {exc.field: [exc.message]}} if exc.field else {}
            await self.send_error(exc.code, exc.message, type=event_type, **extra)
        except Reject as exc:
            await self.close_with(exc.code, exc.reason)
        except Exception:
            logger.exception("ws_handler_failed", extra={"consumer": type(self).__name__, "event_type": event_type[:64]})
            await self._abort()

    # --- outbound (group events) ----------------------------------------------

    def should_deliver(self, message: dict[str, Any]) -> bool:
        user_id = self.user.pk
        if message.get("exclude_user") is not None and message["exclude_user"] == user_id:
            return False
        if message.get("only_user") is not None and message["only_user"] != user_id:
            return False
        return True

    async def realtime_event(self, message: dict[str, Any]) -> None:
        if self.closed or not self.should_deliver(message):
            return
        await self.deliver(message)
        if message.get("close_code"):
            await self.close_with(int(message["close_code"]), (message.get("meta") or {}).get("close_reason") or message.get("event") or "")

    async def deliver(self, message: dict[str, Any]) -> None:
        """Send a group event to the client. Override to filter, batch or react."""
        await self.send(text_data=message["text"])

    # --- credentials -----------------------------------------------------------

    async def reauthenticate(self, data: dict[str, Any]) -> None:
        """`authenticate {token}`: a fresh access token of the same user extends a JWT socket's life.

        A bad or expired token is an error frame (the socket keeps its current expiry); a
        token of another user closes the socket with 4401: a socket never changes hands.
        """
        raw = data.get("token")
        if not isinstance(raw, str) or not raw or len(raw) > 4096:
            await self.send_error("invalid", "token: a JWT access token string is required.", type="authenticate", errors={"token": ["This field is required."]})
            return
        user, exp, error = await auser_for_access_token(raw)
        if error:
            await self.send_error(error, "The token is not valid: the socket keeps its current expiry.", type="authenticate")
            return
        if user.pk != self.user.pk:
            await self.send_error("user_mismatch", "The token belongs to another user; closing.", type="authenticate")
            await self.close_with(closecodes.UNAUTHENTICATED, "user mismatch")
            return
        if self.auth_exp is not None and exp is not None:
            self.auth_exp = max(self.auth_exp, exp)
        await self.send_event(Authenticated(user_id=self.user.pk, expires_at=_iso(self.auth_exp)))

    async def _expire(self) -> None:
        """Close with 4401 once the socket's token has expired (and no `authenticate` moved it)."""
        try:
            while not self.closed and self.auth_exp is not None:
                remaining = self.auth_exp - time.time()
                if remaining <= 0:
                    await self.send_error("token_expired", "The access token expired; reconnect or send authenticate with a fresh token.")
                    await self.close_with(closecodes.UNAUTHENTICATED, "token expired")
                    return
                await asyncio.sleep(min(remaining, 60.0))
        except asyncio.CancelledError:
            pass
        except Exception:
            logger.exception("ws_expiry_failed", extra={"consumer": type(self).__name__})

    # --- heartbeat -----------------------------------------------------------

    async def _heartbeat(self) -> None:
        interval = max(0.5, min(settings.PRESENCE_TTL_SECONDS / 3, settings.WS_IDLE_TIMEOUT_SECONDS / 2))
        store = get_presence_store()
        try:
            while not self.closed:
                await asyncio.sleep(interval)
                if time.monotonic() - self.last_client_frame > settings.WS_IDLE_TIMEOUT_SECONDS:
                    await self.send_error("idle_timeout", "No frame received in time; send ping to stay connected.")
                    await self.close_with(closecodes.IDLE_TIMEOUT, "idle timeout")
                    return
                for scope, member in list(self.presence_entries):
                    await store.refresh(scope, member, self.connection_id)
                await self.on_heartbeat()
        except asyncio.CancelledError:
            pass
        except Exception:
            logger.exception("ws_heartbeat_failed", extra={"consumer": type(self).__name__})

    async def on_heartbeat(self) -> None:
        """Subclasses: periodic work while connected (e.g. grace-period checks)."""


def _iso(epoch: float | None) -> str | None:
    return None if epoch is None else datetime.fromtimestamp(epoch, tz=UTC).isoformat().replace("+00:00", "Z")


def _client_gone(exc: Exception) -> bool:
    """The server refused a send because the client has closed (see BaseConsumer.send)."""
    if isinstance(exc, OSError):
        return True
    return "after sending 'websocket.close'" in str(exc)


def _close_code_for(exc: ServiceError) -> int:
    return {404: closecodes.NOT_FOUND, 403: closecodes.FORBIDDEN}.get(exc.http_status, closecodes.FORBIDDEN)


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
