"""Every WebSocket event the notifications app publishes, and its payload builder.

Documented in docs/protocol.md ("Notifications socket"). All go to `user_group(recipient)`,
so every socket of the user (every tab, every server process) gets them.
"""

from __future__ import annotations

from typing import Any

from notifications.models import Notification

NEW_NOTIFICATION = "new_notification"
NOTIFICATION_BATCH = "notification_batch"
UNREAD_COUNT = "unread_count"
NOTIFICATION_READ = "notification_read"
MARK_ALL_READ = "mark_all_read"
NOTIFICATIONS_REMOVED = "notifications_removed"
# Staff only, on request (`stats_subscribe`): cluster figures every STATS_REPORT_SECONDS (realtime.stats).
STATS = "stats"

EVENT_TYPES: tuple[str, ...] = (NEW_NOTIFICATION, NOTIFICATION_BATCH, UNREAD_COUNT, NOTIFICATION_READ, MARK_ALL_READ, NOTIFICATIONS_REMOVED)


def actor_payload(notification: Notification) -> dict[str, Any] | None:
    actor = notification.actor
    if actor is None:
        return None
    return {"id": actor.pk, "username": actor.username, "name": actor.name}


def new_notification_payload(notification: Notification) -> dict[str, Any]:
    """`new_notification`: {id, type, actor {id, username, name} | null, target, text, created_at, priority, group_key, read}."""
    return {
        "id": notification.pk,
        "type": notification.type,
        "actor": actor_payload(notification),
        "target": notification.target_summary,
        "text": notification.text,
        "created_at": notification.created_at,
        "priority": notification.priority,
        "group_key": notification.group_key,
        "read": notification.read_at is not None,
    }


def notification_batch_payload(notifications: list[dict[str, Any]]) -> dict[str, Any]:
    """`notification_batch`: {notifications: [new_notification payloads, oldest first], count}."""
    return {"notifications": notifications, "count": len(notifications)}


def unread_count_payload(count: int) -> dict[str, Any]:
    """`unread_count`: {count}."""
    return {"count": count}


def notification_read_payload(notification_id: int) -> dict[str, Any]:
    """`notification_read`: {id}."""
    return {"id": notification_id}


def mark_all_read_payload(up_to_id: int, count: int) -> dict[str, Any]:
    """`mark_all_read`: {up_to_id, count}: every notification with id <= up_to_id is now read."""
    return {"up_to_id": up_to_id, "count": count}


def notifications_removed_payload(ids: list[int]) -> dict[str, Any]:
    """`notifications_removed`: {ids}: their target was deleted; drop them from the list."""
    return {"ids": ids}
