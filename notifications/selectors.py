"""Reads of notifications: lists, the grouped view, counts, the resume backlog."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Max, Q, QuerySet

from accounts.models import User
from notifications.models import Notification

LATEST_ACTORS = 3


def notification_list(*, user: User, unread_only: bool = False) -> QuerySet[Notification]:
    """The user's notifications, newest first, actors joined (no N+1)."""
    qs = Notification.objects.filter(recipient_id=user.pk).select_related("actor").order_by("-id")
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    return qs


def unread_count(*, user_id: int) -> int:
    return Notification.objects.filter(recipient_id=user_id, read_at__isnull=True).count()


def unread_counts_for(user_ids: list[int]) -> dict[int, int]:
    """Unread counts of many users in one query."""
    rows = (
        Notification.objects.filter(recipient_id__in=user_ids, read_at__isnull=True)
        .values("recipient_id")
        .annotate(n=Count("id"))
        .values_list("recipient_id", "n")
    )
    return dict(rows)


def notification_backlog(*, user_id: int, after_id: int, limit: int, up_to_id: int | None = None) -> list[Notification]:
    """Notifications created after `after_id` (up to `up_to_id`), oldest first (what a socket missed)."""
    rows = Notification.objects.filter(recipient_id=user_id, pk__gt=after_id)
    if up_to_id is not None:
        rows = rows.filter(pk__lte=up_to_id)
    return list(rows.select_related("actor").order_by("id")[:limit])


def notification_latest_id(*, user_id: int) -> int:
    """The user's newest notification id (0: none)."""
    return Notification.objects.filter(recipient_id=user_id).order_by("-id").values_list("id", flat=True).first() or 0


def notification_group_list(*, user: User, unread_only: bool = False) -> QuerySet:
    """One row per group_key, newest group first:
    {group_key, count, unread, actors_count, latest_id, latest_created_at}.

    Paginate this, then call `notification_groups_expand` on the page.
    """
    qs = Notification.objects.filter(recipient_id=user.pk)
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    return (
        qs.values("group_key")
        .annotate(
            count=Count("id"),
            unread=Count("id", filter=Q(read_at__isnull=True)),
            actors_count=Count("actor", distinct=True),
            latest_id=Max("id"),
            latest_created_at=Max("created_at"),
        )
        .order_by("-latest_id")
    )


def notification_groups_expand(
    *, user: User, groups: list[dict[str, Any]], unread_only: bool = False
) -> list[dict[str, Any]]:
    """Add the newest notification and up to 3 newest distinct actors to each group: two queries per page."""
    if not groups:
        return []
    latest = {
        n.pk: n for n in Notification.objects.filter(pk__in=[g["latest_id"] for g in groups]).select_related("actor")
    }
    keys = [g["group_key"] for g in groups]
    actor_rows = Notification.objects.filter(recipient_id=user.pk, group_key__in=keys, actor__isnull=False)
    if unread_only:
        actor_rows = actor_rows.filter(read_at__isnull=True)
    rows = (
        actor_rows.values("group_key", "actor_id", "actor__username")
        .annotate(last=Max("id"))
        .order_by("group_key", "-last")
    )
    actors: dict[str, list[str]] = {}
    for row in rows:
        names = actors.setdefault(row["group_key"], [])
        if len(names) < LATEST_ACTORS:
            names.append(row["actor__username"])
    result = []
    for group in groups:
        newest = latest.get(group["latest_id"])
        if newest is None:  # deleted between the two queries
            continue
        names = actors.get(group["group_key"], [])
        result.append(
            {
                "group_key": group["group_key"],
                "type": newest.type,
                "target": newest.target_summary,
                "count": group["count"],
                "unread": group["unread"],
                "actors_count": group["actors_count"],
                "latest_actors": names,
                "latest_notification_id": newest.pk,
                "latest_created_at": group["latest_created_at"],
                "priority": newest.priority,
                "text": group_text(newest, names, group["actors_count"]),
            }
        )
    return result


GROUP_PHRASES: dict[str, str] = {
    "follow": "started following you",
    "follow_back": "followed you back",
    "like": "liked your post",
    "comment": "commented on your post",
    "reply": "replied to your comment",
    "mention_post": "mentioned you in a post",
    "mention_comment": "mentioned you in a comment",
    "chat_message": "sent you messages",
    "stream_started": "went live",
}


def group_text(newest: Notification, names: list[str], actors_count: int) -> str:
    """'alice liked your post' / 'alice and bob …' / 'alice and 3 others …'; the row's own text when not groupable."""
    phrase = GROUP_PHRASES.get(newest.type)
    if phrase is None or not names or actors_count <= 1:
        return newest.text
    if actors_count == 2 and len(names) >= 2:
        return f"{names[0]} and {names[1]} {phrase}"
    others = actors_count - 1
    return f"{names[0]} and {others} other{'s' if others != 1 else ''} {phrase}"
