"""Chat: conversations (direct 1-to-1 or small groups), memberships with read/delivered positions, messages."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Conversation(models.Model):
    class Kind(models.TextChoices):
        DIRECT = "direct", "Direct"
        GROUP = "group", "Group"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    title = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Last activity: set on creation, then to each new message's time; lists sort by it.
    last_message_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # Denormalised so a conversation list needs no per-row "latest message" query.
    last_message = models.ForeignKey("Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # "<min user id>:<max user id>" for direct conversations: one per pair, enforced by the database.
    direct_key = models.CharField(max_length=64, null=True, blank=True, unique=True)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, through="Membership", related_name="conversations")

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind="group", direct_key__isnull=True)
                | models.Q(kind="direct", direct_key__isnull=False),
                name="chat_conversation_direct_key_iff_direct",
            )
        ]

    def __str__(self) -> str:
        return self.title or f"{self.kind} #{self.pk}"

    @staticmethod
    def direct_key_for(a_id: int, b_id: int) -> str:
        low, high = sorted((int(a_id), int(b_id)))
        return f"{low}:{high}"


class Membership(models.Model):
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="chat_memberships")
    # Message ids; 0 = nothing yet. They only move forward; read implies delivered.
    last_delivered_message_id = models.PositiveBigIntegerField(default=0)
    last_read_message_id = models.PositiveBigIntegerField(default=0)
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["conversation", "user"], name="chat_membership_unique")]
        indexes = [models.Index(fields=["user", "conversation"])]

    def __str__(self) -> str:
        return f"user {self.user_id} in {self.conversation_id}"


class Message(models.Model):
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="chat_messages")
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    # Chosen by the client; resending the same one returns the stored message instead of a copy.
    client_id = models.CharField(max_length=64, null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["conversation", "sender", "client_id"], name="chat_message_client_id_unique"
            )
        ]
        indexes = [models.Index(fields=["conversation", "id"], name="chat_msg_conv_id")]

    def __str__(self) -> str:
        return f"#{self.pk} in {self.conversation_id} by {self.sender_id}"
