"""Every WebSocket event the notifications app publishes, declared once (realtime/events.py).

Documented in docs/protocol.md ("Notifications socket"). All go to `user_group(recipient)`,
so every personal socket of the user (every tab, every server process) gets them; the
personal socket's own frames (`connection_established`, `stats`) are core (realtime/events.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from notifications.models import Notification
from realtime.events import Event, NamedUserBrief, Payload, event, payload


@payload
class NotificationData(Payload):
    """A notification as the `new_notification` event carries it."""

    id: int
    # the notification's kind (`follow`, `comment`, ...); the frame key is "type"
    type_: str
    actor: NamedUserBrief | None
    target: dict[str, Any]
    text: str
    created_at: datetime
    priority: str
    group_key: str
    read: bool

    @classmethod
    def fields_of(cls, notification: Notification) -> dict[str, Any]:
        actor = notification.actor
        return {
            "id": notification.pk,
            "type_": notification.type,
            "actor": None if actor is None else NamedUserBrief.of(actor),
            "target": notification.target_summary,
            "text": notification.text,
            "created_at": notification.created_at,
            "priority": notification.priority,
            "group_key": notification.group_key,
            "read": notification.read_at is not None,
        }


@payload
class NotificationListed(NotificationData):
    """The REST shape (`NotificationOutput`): the event's fields plus `read_at`."""

    read_at: datetime | None

    @classmethod
    def of(cls, notification: Notification) -> NotificationListed:
        return cls(**cls.fields_of(notification), read_at=notification.read_at)


@event("new_notification")
class NewNotification(NotificationData, Event):
    @classmethod
    def of(cls, notification: Notification) -> NewNotification:
        return cls(**NotificationData.fields_of(notification))


@event("notification_batch")
class NotificationBatch(Event):
    # `new_notification` data objects, oldest first (taken from their already-encoded frames)
    notifications: list[dict[str, Any]]
    count: int


@event("unread_count")
class UnreadCount(Event):
    count: int


@event("notification_read")
class NotificationRead(Event):
    id: int


@event("mark_all_read")
class MarkAllRead(Event):
    """Every notification with id <= up_to_id is now read."""

    up_to_id: int
    count: int


@event("notifications_removed")
class NotificationsRemoved(Event):
    """Their target was deleted; drop them from the list."""

    ids: list[int]
