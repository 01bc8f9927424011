"""Rooms are owned resources: a row per room, its members and its bans.

Who is *in* a room right now still lives in the presence store (scope
`room:<room_id>`); these tables say who *may* be there.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models

ROOM_ID_PATTERN = r"[A-Za-z0-9_-]{1,64}"
ROOM_ID_RULE = "Room ids are 1-64 letters, digits, '_' or '-'."


def new_invite_token() -> str:
    """Unguessable (192 bits); rotating it invalidates every link handed out before."""
    return secrets.token_urlsafe(24)


class Visibility(models.TextChoices):
    PRIVATE = "private", "Private"
    PUBLIC = "public", "Public"


class MemberRole(models.TextChoices):
    OWNER = "owner", "Owner"
    MEMBER = "member", "Member"


class Room(models.Model):
    room_id = models.CharField(
        max_length=64, unique=True, validators=[RegexValidator(f"^{ROOM_ID_PATTERN}$", ROOM_ID_RULE)]
    )
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="owned_rooms")
    title = models.CharField(max_length=120, blank=True)
    visibility = models.CharField(max_length=8, choices=Visibility.choices, default=Visibility.PRIVATE)
    lobby_enabled = models.BooleanField(default=True)
    invite_token = models.CharField(max_length=64, unique=True, default=new_invite_token)
    created_at = models.DateTimeField(auto_now_add=True)

    # Not columns: set per request (rtc.selectors.room_list_for_user, rtc.api.room_detail_response).
    participants: int
    is_member: bool

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["visibility"], name="rtc_room_visibility")]

    def __str__(self) -> str:
        return self.room_id

    @property
    def is_public(self) -> bool:
        return self.visibility == Visibility.PUBLIC

    @property
    def invite_url(self) -> str:
        return f"/rooms/{self.room_id}/?invite={self.invite_token}"


class RoomMember(models.Model):
    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="room_memberships")
    role = models.CharField(max_length=8, choices=MemberRole.choices, default=MemberRole.MEMBER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["room", "user"], name="rtc_member_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.room_id} ({self.role})"


class RoomBan(models.Model):
    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="bans")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="room_bans")
    banned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["room", "user"], name="rtc_ban_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} banned from {self.room_id}"
