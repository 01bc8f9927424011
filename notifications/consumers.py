"""The user's personal socket: /ws/notifications/."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from django.conf import settings

from notifications import events, selectors, services
from notifications.models import Priority
from notifications.serializers import NotificationRefInput
from realtime import metrics
from realtime.consumers import BaseConsumer, EmptyInput, handles
from realtime.db import db
from realtime.envelope import encode_event
from realtime.errors import Forbidden
from realtime.stats import cluster_stats

logger = logging.getLogger(__name__)

RESUME_LIMIT = 200
BATCHED_PRIORITIES = frozenset({Priority.MEDIUM, Priority.LOW})
# Events about existing notifications: a held batch goes out before them, so a
# client never gets a notification after the frame that marked it read or removed it.
FLUSH_BEFORE = frozenset({events.NotificationRead.type, events.MarkAllRead.type, events.NotificationsRemoved.type})


class NotificationConsumer(BaseConsumer):
    """Every socket of a user joins `user_group(user)` and receives everything published there.

    Contract:
    * connect: `connection_established` {user}, then `unread_count` {count}; with
      `?after=<id>` then every notification with a larger id, oldest first, as
      `new_notification`, before any live event (live events queue while the backlog
      is sent, and notifications already sent are dropped by id: no gap, no duplicate);
    * `new_notification` of high priority is forwarded at once; medium/low ones are
      held per socket for NOTIFICATIONS_BATCH_WINDOW_SECONDS from the first one and
      sent as one `notification_batch` (or a lone `new_notification`); `unread_count`
      frames arriving while a batch is held are coalesced into the newest one, sent
      right after the batch; a `notification_read`, `mark_all_read` or
      `notifications_removed` arriving while a batch is held sends the batch first;
    * everything else on the group (`notification_read`, `mark_all_read`,
      `notifications_removed`, chat's `chat_update`, items' `item_updated` …) is forwarded untouched;
    * client `mark_read` {id} / `mark_all_read` {}: someone else's id -> `error` frame, nothing changes.
    """

    joins_user_group = True

    async def on_connect(self) -> None:
        self.pending: list[str] = []
        self.pending_unread: str | None = None
        self.flush_task: asyncio.Task | None = None
        self.sent_up_to = 0
        self.stats_task: asyncio.Task | None = None
        await self.send_event(
            events.ConnectionEstablished(user=events.PersonalUser(id=self.user.pk, username=self.user.username))
        )
        count = await db(selectors.unread_count)(user_id=self.user.pk)
        await self.send_event(events.UnreadCount(count=count))
        after = await self.after_param()
        if after is not None:
            backlog = await db(_backlog_frames)(self.user.pk, after)
            for notification_id, text in backlog:
                await self.send(text_data=text)
                self.sent_up_to = notification_id

    async def on_disconnect(self, code: int) -> None:
        flush_task = getattr(self, "flush_task", None)
        if flush_task is not None:
            flush_task.cancel()
        stats_task = getattr(self, "stats_task", None)
        if stats_task is not None:
            stats_task.cancel()

    # --- client frames ---------------------------------------------------------

    @handles("mark_read", NotificationRefInput)
    async def on_mark_read(self, data: dict[str, Any]) -> None:
        await db(services.notification_mark_read)(user=self.user, notification_id=data["id"])

    @handles("mark_all_read", EmptyInput)
    async def on_mark_all_read(self, data: dict[str, Any]) -> None:
        await db(services.notification_mark_all_read)(user=self.user)

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
                await self.send_event(events.Stats(**await cluster_stats()))
                await asyncio.sleep(float(settings.STATS_REPORT_SECONDS))
        except asyncio.CancelledError:
            pass
        except Exception:
            logger.exception("stats_stream_failed")

    # --- group events -----------------------------------------------------------

    async def deliver(self, message: dict[str, Any]) -> None:
        meta = message.get("meta") or {}
        event = message.get("event")
        if event == events.NewNotification.type:
            notification_id = meta.get("notification_id") or 0
            if notification_id and notification_id <= self.sent_up_to:
                return  # already sent in the resume backlog
            if meta.get("priority") in BATCHED_PRIORITIES:
                self.pending.append(message["text"])
                if self.flush_task is None:
                    self.flush_task = asyncio.ensure_future(self._flush_later())
                return
            await self.send(text_data=message["text"])
            return
        if event == events.UnreadCount.type and self.pending:
            self.pending_unread = message["text"]  # the newest count wins
            return
        if event in FLUSH_BEFORE and self.pending:
            if self.flush_task is not None:
                self.flush_task.cancel()
                self.flush_task = None
            await self.flush()
        await self.send(text_data=message["text"])

    async def _flush_later(self) -> None:
        try:
            await asyncio.sleep(float(getattr(settings, "NOTIFICATIONS_BATCH_WINDOW_SECONDS", 2.0)))
        except asyncio.CancelledError:
            return
        self.flush_task = None
        await self.flush()

    async def flush(self) -> None:
        """Send the held notifications as one frame, then the newest held unread_count."""
        pending, self.pending = self.pending, []
        unread, self.pending_unread = self.pending_unread, None
        if len(pending) == 1:
            await self.send_raw(pending[0])
        elif pending:
            metrics.notifications_batched(len(pending))
            items = [json.loads(text)["data"] for text in pending]
            await self.send_raw(encode_event(events.NotificationBatch(notifications=items, count=len(items))))
        if unread is not None:
            await self.send_raw(unread)

    async def send_raw(self, text: str) -> None:
        if not self.closed:
            await self.send(text_data=text)


def _backlog_frames(user_id: int, after: int) -> list[tuple[int, str]]:
    notifications = selectors.notification_backlog(user_id=user_id, after_id=after, limit=RESUME_LIMIT)
    return [(n.pk, encode_event(events.NewNotification.of(n), event_id=n.pk)) for n in notifications]
