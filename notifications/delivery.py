"""Notifications' part of the personal socket (realtime/personal.py): a delivery hook.

Registered in `NotificationsConfig.ready()`. Contract, per socket:
* connect (after the core's `connection_established`): `unread_count` {count}; with
  `?after=<id>` then every notification with a larger id, oldest first (at most RESUME_LIMIT), as
  `new_notification`, before any live event (live events queue while the backlog is sent, and
  notifications already sent in it are dropped by id: no gap, no duplicate);
* `new_notification` of high priority is forwarded at once; medium/low ones are held for
  NOTIFICATIONS_BATCH_WINDOW_SECONDS from the first one and sent as one `notification_batch` (or a
  lone `new_notification`); `unread_count` frames arriving while a batch is held are coalesced into
  the newest one, sent right after the batch; a `notification_read`, `mark_all_read` or
  `notifications_removed` arriving while a batch is held sends the batch first;
* in id order, nothing missing: a client resumes with `?after=<highest id seen>`, so no id may go
  out before a lower one. A high-priority notification arriving while a batch is held sends the
  batch (lower ids) first. Each live `new_notification` names the recipient's notification before
  it (`prev_id`, read under the recipient's lock: services._lock_recipients); when that is newer
  than the last one this socket took, one is late (publishes after commit raced) or lost (its
  process died between commit and publish): the socket sends what it lacks from the database, in
  id order, and drops the late event when it comes (as chat sockets do);
* anything else on the user's group is left to the core, which forwards it untouched;
* client `mark_read` {id} / `mark_all_read` {}: someone else's id -> `error` frame, nothing changes.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from django.conf import settings

from notifications import events, selectors, services
from notifications.models import Priority
from notifications.serializers import NotificationRefInput
from realtime import metrics
from realtime.consumers import EmptyInput, handles
from realtime.db import db
from realtime.envelope import encode_event
from realtime.personal import PersonalHook

RESUME_LIMIT = 200
BATCHED_PRIORITIES = frozenset({Priority.MEDIUM, Priority.LOW})
# Events about existing notifications: a held batch goes out before them, so a
# client never gets a notification after the frame that marked it read or removed it.
FLUSH_BEFORE = frozenset({events.NotificationRead.type, events.MarkAllRead.type, events.NotificationsRemoved.type})


class NotificationDelivery(PersonalHook):
    """The unread counter, the `?after=` backlog, batching by priority and `mark_read` on the personal socket."""

    async def on_connect(self) -> None:
        self.pending: list[str] = []
        self.pending_unread: str | None = None
        self.flush_task: asyncio.Task | None = None
        # Every notification with an id up to here was sent, is held, or predates a live-only socket.
        self.high_water = 0
        socket = self.socket
        count = await db(selectors.unread_count)(user_id=socket.user.pk)
        await socket.send_event(events.UnreadCount(count=count))
        after = await socket.after_param()
        # The user's group was joined before this runs: nothing published from here on is missed.
        if after is None:  # live only: from the newest as of joining
            self.high_water = await db(selectors.notification_latest_id)(user_id=socket.user.pk)
            return
        self.high_water = after
        if await self.send_backlog(limit=RESUME_LIMIT) == RESUME_LIMIT:
            # The client fetches the rest over REST (docs/protocol.md); live ones go on from the newest.
            self.high_water = await db(selectors.notification_latest_id)(user_id=socket.user.pk)

    async def on_disconnect(self, code: int) -> None:
        flush_task = getattr(self, "flush_task", None)
        if flush_task is not None:
            flush_task.cancel()

    # --- client frames ---------------------------------------------------------

    @handles("mark_read", NotificationRefInput)
    async def on_mark_read(self, data: dict[str, Any]) -> None:
        await db(services.notification_mark_read)(user=self.socket.user, notification_id=data["id"])

    @handles("mark_all_read", EmptyInput)
    async def on_mark_all_read(self, data: dict[str, Any]) -> None:
        await db(services.notification_mark_all_read)(user=self.socket.user)

    # --- group events -----------------------------------------------------------

    async def deliver(self, message: dict[str, Any]) -> bool:
        event = message.get("event")
        if event == events.NewNotification.type:
            await self._new_notification(message)
            return True
        if event == events.UnreadCount.type and self.pending:
            self.pending_unread = message["text"]  # the newest count wins
            return True
        if event in FLUSH_BEFORE and self.pending:
            await self.flush_now()
        return False

    async def _new_notification(self, message: dict[str, Any]) -> None:
        meta = message.get("meta") or {}
        notification_id = meta.get("notification_id") or 0
        if notification_id <= self.high_water:
            return  # already sent (backlog, repair) or held
        if (meta.get("prev_id") or 0) > self.high_water:  # one before it is late or lost
            if self.pending:
                await self.flush_now()
            await self.send_backlog(up_to=notification_id)  # the missing ones and this one
            return
        self.high_water = notification_id
        if meta.get("priority") in BATCHED_PRIORITIES:
            self.pending.append(message["text"])
            if self.flush_task is None:
                self.flush_task = asyncio.ensure_future(self._flush_later())
            return
        if self.pending:  # the held ones have lower ids: they go first (see the module docstring)
            await self.flush_now()
        await self.socket.send(text_data=message["text"])

    async def _flush_later(self) -> None:
        try:
            await asyncio.sleep(float(getattr(settings, "NOTIFICATIONS_BATCH_WINDOW_SECONDS", 2.0)))
        except asyncio.CancelledError:
            return
        self.flush_task = None
        await self.flush()

    async def send_backlog(self, *, limit: int | None = None, up_to: int | None = None) -> int:
        """Send the stored notifications after `high_water` (at most `limit`, up to id `up_to`), oldest first."""
        sent = 0
        while limit is None or sent < limit:
            chunk = RESUME_LIMIT if limit is None else min(RESUME_LIMIT, limit - sent)
            frames = await db(_backlog_frames)(self.socket.user.pk, self.high_water, chunk, up_to)
            for notification_id, text in frames:
                await self.send_raw(text)
                self.high_water = notification_id
            sent += len(frames)
            if len(frames) < chunk:
                break
        return sent

    async def flush_now(self) -> None:
        """Send the held batch before the window ends (its timer is cancelled)."""
        if self.flush_task is not None:
            self.flush_task.cancel()
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
        if not self.socket.closed:
            await self.socket.send(text_data=text)


def _backlog_frames(user_id: int, after: int, limit: int, up_to: int | None) -> list[tuple[int, str]]:
    notifications = selectors.notification_backlog(user_id=user_id, after_id=after, limit=limit, up_to_id=up_to)
    return [(n.pk, encode_event(events.NewNotification.of(n), event_id=n.pk)) for n in notifications]
