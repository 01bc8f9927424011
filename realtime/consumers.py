"""The base consumer every socket in the project uses.

It owns what all sockets share, so app consumers stay thin. Its parts:

* `realtime.consumer_auth.AuthMixin`: authentication (4401), `authenticate`, token expiry;
* `realtime.consumer_inbound.InboundMixin`: the envelope: parse `{"type", "data"}`, route it to
  the method declared with `@handles(type, Input)`, validate `data` with that serializer, answer
  mistakes with an `error` frame and keep the socket open; frame size and rate limits (4429);
* `realtime.consumer_presence.PresenceMixin`: presence in the `"user"` scope (online while any
  socket is open, on any process; at most WS_MAX_CONNECTIONS_PER_USER, else 4429), app presence
  scopes with an optional capacity, the heartbeat that keeps them alive and the idle timeout (4408);
* this module: the lifecycle (connect, release exactly once, 1011 on a bug) and forwarding group
  events (`realtime.event`) as pre-encoded text.

An app consumer declares its handlers with `@handles` on `on_<type>` methods and overrides
`on_connect` / `on_disconnect`. A service error becomes an error frame; `Reject` closes with a
code; anything else is logged and closes 1011.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from typing import Any, ClassVar
from urllib.parse import parse_qs

from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from realtime import closecodes, metrics
from realtime.consumer_auth import AuthMixin
from realtime.consumer_inbound import DATABASE_UNAVAILABLE, EmptyInput, InboundMixin, Reject, handles
from realtime.consumer_presence import PresenceMixin
from realtime.envelope import encode, server_frame
from realtime.errors import ServiceError
from realtime.events import Event, error
from realtime.fields import MAX_DB_ID
from realtime.groups import USER_SCOPE, connection_group, session_control_group, user_control_group, user_group
from realtime.heartbeat import ensure_sweeper
from realtime.layers import LAYER_UNAVAILABLE, group_add_many
from realtime.logging import new_request_id, request_id_var, user_id_var

logger = logging.getLogger("realtime")

__all__ = ["USER_SCOPE", "BaseConsumer", "EmptyInput", "Reject", "handles"]


class BaseConsumer(AuthMixin, InboundMixin, PresenceMixin, AsyncWebsocketConsumer):
    # Join user_group(user): the personal socket (/ws/notifications/) sets this.
    joins_user_group: ClassVar[bool] = False

    # --- lifecycle -----------------------------------------------------------

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        # However the consumer ends (disconnect, an exception, the server cancelling it), the socket's
        # presence, groups and heartbeat are released: a leaked entry would count against room
        # capacity and the per-user socket cap until its TTL, and the heartbeat would keep it alive.
        try:
            await super().__call__(scope, receive, send)
        except LAYER_UNAVAILABLE as exc:
            # Redis went away under the channel layer's receive loop: this socket's groups may be gone
            # with it. The client reconnects (with backoff while Redis is down) and resumes.
            logger.warning("ws_channel_layer_unavailable", extra={"error": type(exc).__name__})
            with contextlib.suppress(Exception):
                await self.close_with(closecodes.RESYNC, "channel layer unavailable")
            await self._release(closecodes.RESYNC)
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
        except LAYER_UNAVAILABLE as exc:  # Redis down (at connect, or leaving a group): not a bug
            logger.warning(
                "ws_redis_unavailable",
                extra={"consumer": type(self).__name__, "message_type": str(message.get("type"))[:64]},
            )
            with contextlib.suppress(Exception):
                await self.close_with(closecodes.RESYNC, "redis unavailable")
            await self._release(closecodes.RESYNC)
            raise StopConsumer() from exc
        except Exception:
            logger.exception(
                "ws_dispatch_failed",
                extra={
                    "consumer": type(self).__name__,
                    "message_type": str(message.get("type"))[:64],
                    "origin_request_id": message.get("request_id"),
                },
            )
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
        self.connection_id = uuid.uuid4().hex
        # The handshake's X-Request-ID (nginx sets one), or the connection id: on every log line of this socket.
        headers = dict(self.scope.get("headers") or [])
        request_id_var.set(
            new_request_id(headers.get(b"x-request-id", b"").decode("latin-1"))
            if headers.get(b"x-request-id")
            else self.connection_id
        )
        self.joined_groups: set[str] = set()
        self.closed = False
        self.start_auth()
        self.start_limits()
        self.start_presence()

        # Handshakes are accepted and then closed with an application code, so every
        # client can read why (a refused handshake only shows HTTP 403).
        if await self.refuse_unauthenticated():
            return
        user_id_var.set(self.user.pk)
        ensure_sweeper()
        # Register before accepting: once a client sees the socket open, it counts as online.
        change = await self.join_user_presence()
        if change is None:
            await self._refuse_too_many()
            return
        self.presence_entries.append((USER_SCOPE, str(self.user.pk)))
        groups = [user_group(self.user.pk)] if self.joins_user_group else []
        groups.append(connection_group(self.connection_id))
        # Control groups: revoked credentials close these sockets on every process (realtime.revocation).
        groups.append(user_control_group(self.user.pk))
        session = self.scope.get("session")
        if self.scope.get("auth_method") == "session" and session is not None and session.session_key:
            groups.append(session_control_group(session.session_key))
        await self.join_groups(groups)
        if not await self.accept_if_present():
            return
        metrics.ws_opened(self)
        await self.announce_online(change)
        try:
            await self.on_connect()
        except Reject as exc:
            await self.close_with(exc.code, exc.reason)
            return
        except ServiceError as exc:
            await self.send_error(exc.code, exc.message)
            await self.close_with(_close_code_for(exc), exc.message)
            return
        except (*LAYER_UNAVAILABLE, *DATABASE_UNAVAILABLE) as exc:  # Redis or PostgreSQL down: not a bug
            logger.warning("ws_connect_unavailable", extra={"consumer": type(self).__name__, "error": repr(exc)[:200]})
            await self.send_error("unavailable", "The service is briefly unavailable; reconnect.")
            await self.close_with(closecodes.RESYNC, "unavailable")
            return
        except Exception:
            logger.exception(
                "ws_connect_failed", extra={"path": self.scope.get("path"), "consumer": type(self).__name__}
            )
            await self.close_with(closecodes.INTERNAL_ERROR, "internal error")
            return
        if not self.closed:
            self.start_heartbeat()
            self.watch_expiry()
            logger.info("ws_connected", extra={"consumer": type(self).__name__, "conn": self.connection_id})

    async def disconnect(self, code: int) -> None:
        await self._release(code)

    async def _release(self, code: int) -> None:
        """Leave presence and groups and run `on_disconnect`: exactly once per socket, whoever calls first."""
        if getattr(self, "released", False):
            return
        self.released = True
        self.closed = True
        metrics.ws_closed(self, code)
        self.stop_heartbeat()
        user = getattr(self, "user", None)
        if user is not None and getattr(user, "is_authenticated", False) and hasattr(self, "connection_id"):
            try:
                await self.on_disconnect(code)
            except Exception:
                logger.exception("ws_on_disconnect_failed", extra={"consumer": type(self).__name__})
            await self.release_presence()
        getattr(self.channel_layer, "overflowed", set()).discard(getattr(self, "channel_name", None))
        for group in list(getattr(self, "joined_groups", set())):
            try:
                await self.channel_layer.group_discard(group, self.channel_name)
            except LAYER_UNAVAILABLE:  # Redis down: its group entries expire (group_expiry) or are gone already
                logger.warning("group_discard_unavailable", extra={"consumer": type(self).__name__})
                break
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

    async def join_groups(self, groups: list[str]) -> None:
        """`join_group` for many groups in one Redis round trip (realtime.layers)."""
        self.joined_groups.update(groups)  # first: a failure half-way still leaves them on release
        await group_add_many(self.channel_layer, groups, self.channel_name)

    async def leave_group(self, group: str) -> None:
        await self.channel_layer.group_discard(group, self.channel_name)
        self.joined_groups.discard(group)

    async def send(
        self, text_data: str | None = None, bytes_data: bytes | None = None, close: bool | int = False
    ) -> None:
        """Send a frame; one for a client that is already gone is dropped.

        The client can close while a group event is on its way out. The server then refuses the
        send (uvicorn: ClientDisconnected, the OSError the ASGI spec asks for, or a RuntimeError
        once it has handed `websocket.disconnect` over); raising would end the consumer before
        `disconnect()` runs, leaving presence and groups to their TTLs. The disconnect message is
        already on its way: drop the frame and let it be handled.
        """
        try:
            async with asyncio.timeout(settings.WS_SEND_TIMEOUT_SECONDS):
                await super().send(text_data=text_data, bytes_data=bytes_data, close=close)
        except TimeoutError:  # before OSError, its base class
            await self._too_slow()
        except (OSError, RuntimeError) as exc:
            if not _client_gone(exc):
                raise

    async def _too_slow(self) -> None:
        """The client stopped reading: the server's send buffer stayed full for WS_SEND_TIMEOUT_SECONDS.

        Waiting longer would stall this socket's events in the channel layer until its capacity
        drops some (a silent gap) and hold memory for a client that may never come back. Close with
        SLOW_CONSUMER if the close frame still fits, release presence and groups now, end the
        consumer; the client reconnects and resumes with `?after=`.
        """
        logger.warning("ws_slow_consumer", extra={"consumer": type(self).__name__})
        if not self.closed:
            self.closed = True
            metrics.ws_closing(self, closecodes.SLOW_CONSUMER)
            with contextlib.suppress(TimeoutError, OSError, RuntimeError):
                async with asyncio.timeout(1.0):  # the buffer is full: the close frame may not get out either
                    await super().close(code=closecodes.SLOW_CONSUMER, reason="slow consumer")
        await self._release(closecodes.SLOW_CONSUMER)
        raise StopConsumer()

    async def _refuse_too_many(self) -> None:
        if await self.accept_if_present():
            await self.send_error(
                "too_many_connections", f"At most {settings.WS_MAX_CONNECTIONS_PER_USER} sockets per user."
            )
            await self.close_with(closecodes.TOO_MANY, "too many connections")

    async def accept_if_present(self) -> bool:
        """Accept the handshake; False when the client is already gone.

        Under load a client can give up on a slow handshake (its open timeout) and retry before
        the server gets here; accepting then fails (uvicorn: ClientDisconnected). That is no bug:
        log it quietly, do none of the connect's remaining work, and let the disconnect that is
        already queued release presence and groups. (It was an ERROR `ws_dispatch_failed` per
        retry, 737 of them in a 5-minute soak on an overloaded box.)
        """
        try:
            await self.accept(subprotocol=self.subprotocol())
        except (OSError, RuntimeError) as exc:
            if not _client_gone(exc):
                raise
            self.closed = True
            logger.info("ws_gone_before_accept", extra={"consumer": type(self).__name__})
            return False
        return True

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
            metrics.frame_out(self, event.type)
            await self.send(text_data=encode(frame))

    async def send_error(self, code: str, message: str, **extra: Any) -> None:
        """An `error` event; `extra` takes only the documented keys of `realtime.events.Error`."""
        frame = server_frame(error(code, message, **extra))
        if not self.closed:
            metrics.error_out(self, code, extra)
            await self.send(text_data=encode(frame))

    async def close_with(self, code: int, reason: str = "") -> None:
        if not self.closed:
            self.closed = True
            metrics.ws_closing(self, code)
            await self.close(code=code, reason=reason[:120] if reason else None)

    # --- the query string ------------------------------------------------------

    def query_param(self, name: str, *, max_length: int = 128) -> str | None:
        """The first `?name=` value of the socket's URL (cut to `max_length`), or None."""
        values = parse_qs(self.scope.get("query_string", b"").decode("latin-1")).get(name)
        return values[0][:max_length] if values else None

    async def after_param(self) -> int | None:
        """`?after=<id>`: resume after that id (0 = from the start); None = no resume.

        A malformed value (not an integer in 0..MAX_DB_ID) gets an `invalid_after` error frame and no
        backlog; the socket stays open and receives live events.
        """
        raw = self.query_param("after", max_length=64)
        if raw is None:
            return None
        if not raw.isascii() or not raw.isdigit() or int(raw) > MAX_DB_ID:
            await self.send_error("invalid_after", "after must be an id (a non-negative integer); no backlog sent.")
            return None
        return int(raw)

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
        metrics.frame_out(self, message.get("event"))
        await self.deliver(message)
        if message.get("close_code"):
            await self.close_with(
                int(message["close_code"]),
                (message.get("meta") or {}).get("close_reason") or message.get("event") or "",
            )

    async def realtime_overflow(self, message: dict[str, Any]) -> None:
        """The channel layer dropped events for this socket (realtime/layers.py): resume instead of a gap."""
        logger.warning("ws_layer_overflow", extra={"consumer": type(self).__name__})
        await self.close_with(closecodes.RESYNC, "events dropped")

    async def deliver(self, message: dict[str, Any]) -> None:
        """Send a group event to the client. Override to filter, batch or react."""
        await self.send(text_data=message["text"])


def _client_gone(exc: Exception) -> bool:
    """The server refused a send because the client has closed (see BaseConsumer.send)."""
    if isinstance(exc, OSError):
        return True
    return "after sending 'websocket.close'" in str(exc)


def _close_code_for(exc: ServiceError) -> int:
    return {404: closecodes.NOT_FOUND, 403: closecodes.FORBIDDEN}.get(exc.http_status, closecodes.FORBIDDEN)
