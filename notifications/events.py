"""Every WebSocket event the notifications app publishes, declared once (realtime/events.py).

Documented in docs/protocol.md ("Notifications socket"). All go to `user_group(recipient)`,
so every personal socket of the user (every tab, every server process) gets them; the
personal socket's own frames (`connection_established`, `stats`) are core (realtime/events.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar, Literal

from notifications.models import Notification
from realtime.events import Event, Payload, event, payload


@payload
class Actor(Payload):
    id: int
    username: str
    name: str


@payload
class NotificationData(Payload):
    """A notification as the `new_notification` event carries it."""

    id: int
    # the notification's kind (`follow`, `comment`, ...); the frame key is "type"
    type_: str
    actor: Actor | None
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
            "actor": None if actor is None else Actor(id=actor.pk, username=actor.username, name=actor.name),
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


@event
class NewNotification(NotificationData, Event):
    type: ClassVar[Literal["new_notification"]] = "new_notification"

    @classmethod
    def of(cls, notification: Notification) -> NewNotification:
        return cls(**NotificationData.fields_of(notification))


@event
class NotificationBatch(Event):
    type: ClassVar[Literal["notification_batch"]] = "notification_batch"
    # `new_notification` data objects, oldest first (taken from their already-encoded frames)
    notifications: list[dict[str, Any]]
    count: int


@event
class UnreadCount(Event):
    type: ClassVar[Literal["unread_count"]] = "unread_count"
    count: int


@event
class NotificationRead(Event):
    type: ClassVar[Literal["notification_read"]] = "notification_read"
    id: int


@event
class MarkAllRead(Event):
    """Every notification with id <= up_to_id is now read."""

    type: ClassVar[Literal["mark_all_read"]] = "mark_all_read"
    up_to_id: int
    count: int


@event
class NotificationsRemoved(Event):
    """Their target was deleted; drop them from the list."""

    type: ClassVar[Literal["notifications_removed"]] = "notifications_removed"
    ids: list[int]
