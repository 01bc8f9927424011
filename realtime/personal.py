"""The user's personal socket, `/ws/notifications/`: core, with the apps' delivery hooks.

Every socket of a user joins `user_group(user)`, and every event published there (chat's
`chat_update`, items' `item_updated`, notifications' own …) reaches the client untouched unless
a hook takes it. An app that needs more than forwarding (notifications: the unread counter on
connect, the `?after=` backlog, batching by priority, `mark_read`) registers a `PersonalHook`
subclass from its `AppConfig.ready()`; `realtime` imports no app.

Contract of the core part:
* connect: joins `directory_group()` too (the live lists: `stream_started` / `stream_ended`,
  public rooms' `room_presence`); `connection_established` {user: {id, username}}, then each
  hook's first frames;
* client `stats_subscribe` / `stats_unsubscribe` (staff): `stats` now and every
  STATS_REPORT_SECONDS until unsubscribed or closed; not staff -> `error` `forbidden`.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, ClassVar

from django.conf import settings
from django.urls import path

from realtime.consumer_inbound import BoundHandler, Handler, handler_table
from realtime.consumers import BaseConsumer, EmptyInput, handles
from realtime.errors import Forbidden
from realtime.events import ConnectionEstablished, Stats, UserBrief
from realtime.groups import directory_group
from realtime.stats import cluster_stats

logger = logging.getLogger(__name__)


class PersonalHook:
    """One app's part of one personal socket (an instance per socket, made on connect).

    Override what the app needs; declare client frames with `@handles("type", Input)` on
    `on_<type>` methods, validated and answered (error frames, 1011) exactly as on a consumer.
    """

    handlers: ClassVar[dict[str, Handler]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.handlers = handler_table(cls)

    def __init__(self, socket: PersonalConsumer) -> None:
        self.socket = socket

    async def on_connect(self) -> None:
        """Send this app's first frames (after `connection_established`, before any group event)."""

    async def deliver(self, message: dict[str, Any]) -> bool:
        """A group event for this socket: True when the hook took it (held, dropped or sent)."""
        return False

    async def on_disconnect(self, code: int) -> None:
        """Stop this socket's timers."""


_hooks: list[type[PersonalHook]] = []


def register_hook(hook: type[PersonalHook]) -> None:
    """Add `hook` to every personal socket opened from now on (idempotent; call from `AppConfig.ready`)."""
    if hook not in _hooks:
        _hooks.append(hook)


class PersonalConsumer(BaseConsumer):
    """`/ws/notifications/`: the user's own group, forwarded, with the registered hooks in front."""

    joins_user_group = True

    async def on_connect(self) -> None:
        self.hooks = [hook(self) for hook in _hooks]
        self.stats_task: asyncio.Task | None = None
        await self.join_group(directory_group())
        await self.send_event(ConnectionEstablished(user=UserBrief.of(self.user)))
        for hook in self.hooks:
            await hook.on_connect()

    async def on_disconnect(self, code: int) -> None:
        stats_task = getattr(self, "stats_task", None)
        if stats_task is not None:
            stats_task.cancel()
        for hook in getattr(self, "hooks", []):
            await hook.on_disconnect(code)

    def find_handler(self, frame_type: str) -> BoundHandler | None:
        found = super().find_handler(frame_type)
        if found is not None:
            return found
        for hook in getattr(self, "hooks", []):
            if frame_type in hook.handlers:
                method_name, input_class = hook.handlers[frame_type]
                return getattr(hook, method_name), input_class
        return None

    def client_types(self) -> list[str]:
        return [*super().client_types(), *(t for hook in getattr(self, "hooks", []) for t in hook.handlers)]

    async def deliver(self, message: dict[str, Any]) -> None:
        for hook in self.hooks:
            if await hook.deliver(message):
                return
        await self.send(text_data=message["text"])

    # --- cluster figures for staff ------------------------------------------------

    @handles("stats_subscribe", EmptyInput)
    async def on_stats_subscribe(self, data: dict[str, Any]) -> None:
        """Staff: a `stats` frame now and every STATS_REPORT_SECONDS until `stats_unsubscribe` or close."""
        if not self.user.is_staff:
            raise Forbidden("Cluster stats are for staff only.")
        if self.stats_task is None or self.stats_task.done():
            self.stats_task = asyncio.ensure_future(self._stream_stats())

    @handles("stats_unsubscribe", EmptyInput)
    async def on_stats_unsubscribe(self, data: dict[str, Any]) -> None:
        if self.stats_task is not None:
            self.stats_task.cancel()
            self.stats_task = None

    async def _stream_stats(self) -> None:
        try:
            while not self.closed:
                await self.send_event(Stats(**await cluster_stats()))
                await asyncio.sleep(float(settings.STATS_REPORT_SECONDS))
        except asyncio.CancelledError:
            pass
        except Exception:
            logger.exception("stats_stream_failed")


websocket_urlpatterns = [path("ws/notifications/", PersonalConsumer.as_asgi())]
