"""Notifications: one row per (recipient, event), grouped in lists by `group_key`."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q


class NotificationType(models.TextChoices):
    FOLLOW = "follow", "Follow"
    FOLLOW_BACK = "follow_back", "Follow back"
    LIKE = "like", "Like"
    COMMENT = "comment", "Comment"
    REPLY = "reply", "Reply"
    MENTION_POST = "mention_post", "Mention in a post"
    MENTION_COMMENT = "mention_comment", "Mention in a comment"
    CHAT_MESSAGE = "chat_message", "Chat message"
    STREAM_STARTED = "stream_started", "Stream started"
    ITEM_PROCESSED = "item_processed", "Item processed"


class Priority(models.TextChoices):
    HIGH = "high", "High"
    MEDIUM = "medium", "Medium"
    LOW = "low", "Low"


# High is pushed at once; medium and low are batched per socket (see consumers.py).
PRIORITY_BY_TYPE: dict[str, str] = {
    NotificationType.CHAT_MESSAGE: Priority.HIGH,
    NotificationType.COMMENT: Priority.HIGH,
    NotificationType.REPLY: Priority.HIGH,
    NotificationType.MENTION_POST: Priority.HIGH,
    NotificationType.MENTION_COMMENT: Priority.HIGH,
    NotificationType.FOLLOW: Priority.MEDIUM,
    NotificationType.FOLLOW_BACK: Priority.MEDIUM,
    NotificationType.STREAM_STARTED: Priority.MEDIUM,
    NotificationType.ITEM_PROCESSED: Priority.MEDIUM,
    # Seed 003 ("Sistema de Prioridades") makes likes medium, like follows: both are batched the same
    # way, so nothing changes in delivery; LOW stays for types that should never interrupt.
    NotificationType.LIKE: Priority.MEDIUM,
}

# Types where one actor can produce at most one notification per target, even when
# the underlying action is undone and repeated (like/unlike/like, follow/unfollow/follow).
ONCE_PER_ACTOR_TYPES: tuple[str, ...] = (NotificationType.LIKE, NotificationType.FOLLOW, NotificationType.FOLLOW_BACK)


class Notification(models.Model):
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    # Null for system events (item processed).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    type = models.CharField(max_length=32, choices=NotificationType.choices)
    priority = models.CharField(max_length=8, choices=Priority.choices)
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, null=True, blank=True)
    object_id = models.CharField(max_length=64, blank=True, default="")
    target = GenericForeignKey("content_type", "object_id")
    # Snapshot taken at creation, so lists render without loading every target
    # (and still make sense if the target changes): {"type", "id", "title", "excerpt", "url"}.
    target_summary = models.JSONField(default=dict, blank=True)
    # "<type>:<target>" : what the grouped list folds together ("alice and 3 others liked your post").
    group_key = models.CharField(max_length=128)
    # The content the notification is about, e.g. "post:12": deleting the post deletes
    # every notification with this key (likes, comments, replies, mentions in it).
    context_key = models.CharField(max_length=64, blank=True, default="", db_index=True)
    text = models.CharField(max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="notif_recipient_read_idx"),
            models.Index(fields=["recipient", "-id"], name="notif_recipient_id_idx"),
            models.Index(fields=["recipient", "group_key", "-id"], name="notif_recipient_group_idx"),
        ]
        constraints = [
            # Safety net behind the lookup in the service: like/unlike/like never makes two.
            models.UniqueConstraint(
                fields=["recipient", "actor", "type", "content_type", "object_id"],
                condition=Q(type__in=ONCE_PER_ACTOR_TYPES),
                name="notif_once_per_actor_target",
            ),
            models.CheckConstraint(condition=~Q(recipient=models.F("actor")), name="notif_not_to_self"),
        ]

    def __str__(self) -> str:
        return f"{self.type} -> {self.recipient_id}: {self.text}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None
