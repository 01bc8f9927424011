"""Live streams: the stream, per-streamer roles and bans, per-stream kicks, live comments."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class StreamStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    LIVE = "live", "Live"
    ENDED = "ended", "Ended"


class Badge(models.TextChoices):
    """The role a user has in one streamer's channel, strongest first."""

    STREAMER = "streamer", "Streamer"
    MODERATOR = "moderator", "Moderator"
    VIP = "vip", "VIP"
    VIEWER = "viewer", "Viewer"


class Stream(models.Model):
    streamer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="streams")
    title = models.CharField(max_length=140)
    status = models.CharField(max_length=16, choices=StreamStatus.choices, default=StreamStatus.SCHEDULED)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    # When the streamer's last socket went away while live; the grace timer counts from here.
    streamer_left_at = models.DateTimeField(null=True, blank=True)
    current_viewers = models.PositiveIntegerField(default=0)
    peak_viewers = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        indexes = [
            models.Index(fields=["status", "-created_at"]),
            models.Index(fields=["streamer", "-created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.status})"

    @property
    def is_live(self) -> bool:
        return self.status == StreamStatus.LIVE


class ChannelRole(models.Model):
    """A moderator or VIP of one streamer's channel (applies to all of their streams)."""

    class Role(models.TextChoices):
        MODERATOR = "moderator", "Moderator"
        VIP = "vip", "VIP"

    streamer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="channel_roles_given")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="channel_roles")
    role = models.CharField(max_length=16, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["streamer", "user", "role"], name="channelrole_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.role} of {self.streamer_id}"


class Ban(models.Model):
    """Banned from every stream of `streamer`, now and later."""

    streamer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="bans_given")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="live_bans")
    banned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["streamer", "user"], name="ban_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} banned by {self.streamer_id}"


class Kick(models.Model):
    """Removed from one stream: disconnected now and cannot rejoin that stream."""

    stream = models.ForeignKey(Stream, on_delete=models.CASCADE, related_name="kicks")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="live_kicks")
    kicked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["stream", "user"], name="kick_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} kicked from {self.stream_id}"


class LiveComment(models.Model):
    stream = models.ForeignKey(Stream, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="live_comments")
    text = models.TextField()
    # Snapshot: a VIP who loses the role keeps the badge on what they wrote while VIP.
    badge = models.CharField(max_length=16, choices=Badge.choices, default=Badge.VIEWER)
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["stream", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.author_id}: {self.text[:30]}"
