"""Rooms for tests: rooms are owned rows now, so a test creates one (and its members) before joining."""

from __future__ import annotations

import uuid
from typing import Any

from channels.db import database_sync_to_async

from rtc.models import MemberRole, Room, RoomMember, Visibility


def room_with_members(
    owner: Any, *members: Any, visibility: str = Visibility.PRIVATE, lobby_enabled: bool = False, prefix: str = "r"
) -> Room:
    """A room owned by `owner` with `members` (sync; `aroom_with_members` from async tests)."""
    room = Room.objects.create(
        room_id=f"{prefix}-{uuid.uuid4().hex[:12]}", owner=owner, visibility=visibility, lobby_enabled=lobby_enabled
    )
    RoomMember.objects.create(room=room, user=owner, role=MemberRole.OWNER)
    for user in members:
        if user.pk != owner.pk:
            RoomMember.objects.get_or_create(room=room, user=user)
    return room


aroom_with_members = database_sync_to_async(room_with_members)


async def new_room_for(people: list[tuple[Any, str]], **options: Any) -> str:
    """A private room owned by the first of `people` ((user, token) pairs), all of them members; its id."""
    users = [user for user, _ in people]
    return (await aroom_with_members(users[0], *users[1:], **options)).room_id
