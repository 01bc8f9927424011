"""Reads of rooms: who may see or join a room (database) and who is in it (presence store).

The access rule lives here, once, for the REST API, the socket and the ICE config:
banned -> Forbidden; member -> in; valid invite -> in (becomes a member); public -> in;
lobby enabled -> wait for the owner; anyone else -> NotFound, exactly like a room
that does not exist (a private room's existence is not revealed).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Exists, OuterRef, Q

from accounts.models import User
from realtime.errors import Forbidden, NotFound
from realtime.groups import LOBBY_SCOPE_PREFIX, ROOM_SCOPE_PREFIX, lobby_scope, room_scope  # noqa: F401 (re-exported)
from realtime.presence import get_presence_store
from rtc.events import Peer
from rtc.models import ROOM_ID_PATTERN, ROOM_ID_RULE, Room, RoomBan, RoomMember, Visibility

ROOM_ID_RE = re.compile(ROOM_ID_PATTERN)
ROOM_NOT_FOUND = "room_not_found"


def room_id_validate(*, room_id: str) -> str:
    """Return `room_id` if it is 1-64 letters, digits, `_` or `-`; else raise NotFound (no such room can exist)."""
    if not isinstance(room_id, str) or ROOM_ID_RE.fullmatch(room_id) is None:
        raise NotFound(ROOM_ID_RULE, code="invalid_room")
    return room_id


def room_id_from_scope(scope: str) -> str:
    return scope.split(":", 1)[1]


def max_participants() -> int:
    return int(getattr(settings, "RTC_MAX_PARTICIPANTS", 50))


# --- access (database) ------------------------------------------------------------


class Access:
    OWNER = "owner"
    MEMBER = "member"
    INVITE = "invite"  # holds the current invite token: becomes a member on join
    PUBLIC = "public"  # public room, not a member
    LOBBY = "lobby"  # may knock and wait for the owner


@dataclass(frozen=True)
class RoomAccess:
    room: Room
    kind: str

    @property
    def may_enter(self) -> bool:
        """May join the room now (everything but the lobby)."""
        return self.kind != Access.LOBBY


def _not_found() -> NotFound:
    return NotFound("No such room.", code=ROOM_NOT_FOUND)


def room_get(*, room_id: str) -> Room:
    room_id_validate(room_id=room_id)
    room = Room.objects.select_related("owner").filter(room_id=room_id).first()
    if room is None:
        raise _not_found()
    return room


def invite_matches(room: Room, invite: str | None) -> bool:
    return (
        bool(invite) and isinstance(invite, str) and secrets.compare_digest(invite.encode(), room.invite_token.encode())
    )


def room_access(*, room_id: str, user: User, invite: str | None = None) -> RoomAccess:
    """How `user` may join `room_id`; raises NotFound (unknown or hidden) or Forbidden (banned)."""
    room = room_get(room_id=room_id)
    if room.owner_id == user.pk:
        return RoomAccess(room, Access.OWNER)
    if RoomBan.objects.filter(room=room, user_id=user.pk).exists():
        raise Forbidden("You are banned from this room.", code="banned")
    if RoomMember.objects.filter(room=room, user_id=user.pk).exists():
        return RoomAccess(room, Access.MEMBER)
    if invite_matches(room, invite):
        return RoomAccess(room, Access.INVITE)
    if room.is_public:
        return RoomAccess(room, Access.PUBLIC)
    if room.lobby_enabled:
        return RoomAccess(room, Access.LOBBY)
    raise _not_found()


def room_visible(*, room_id: str, user: User, invite: str | None = None) -> RoomAccess:
    """Access for reads (detail, participants, ICE config): the lobby does not let one see a room."""
    access = room_access(room_id=room_id, user=user, invite=invite)
    if not access.may_enter:
        raise _not_found()
    return access


def room_owned(*, room_id: str, actor: User) -> Room:
    """The room if `actor` owns it; a member or viewer gets Forbidden, anyone else NotFound (existence hidden)."""
    access = room_access(room_id=room_id, user=actor)
    if access.kind == Access.OWNER:
        return access.room
    if access.may_enter:
        raise Forbidden("Only the room's owner can do this.", code="not_owner")
    raise _not_found()


def room_list_for_user(*, user: User, live_counts: dict[str, int]) -> list[Room]:
    """Rooms `user` may join (public, or member of; never banned), busiest first, then newest.

    `live_counts` (room id -> peers) comes from the presence store; each room gets
    `participants` and `is_member` attributes. One query, whatever the number of rooms.
    """
    member = RoomMember.objects.filter(room=OuterRef("pk"), user_id=user.pk)
    banned = RoomBan.objects.filter(room=OuterRef("pk"), user_id=user.pk)
    rooms: list[Room] = list(
        Room.objects.select_related("owner")
        .annotate(is_member=Exists(member), is_banned=Exists(banned))  # type: ignore[no-redef]  # declared on Room
        .filter(Q(visibility=Visibility.PUBLIC) | Q(is_member=True), is_banned=False)
    )
    for room in rooms:
        room.participants = live_counts.get(room.room_id, 0)
    rooms.sort(key=lambda room: (-room.participants, -room.created_at.timestamp(), room.room_id))
    return rooms


def room_list_audience(*, room_id: str) -> list[int] | None:
    """Whose `/rooms/` list shows `room_id`: None for a public room (everyone), else its members' ids
    (the owner is one); [] when the room is gone."""
    room = Room.objects.filter(room_id=room_id).only("visibility").first()
    if room is None:
        return []
    if room.is_public:
        return None
    return list(RoomMember.objects.filter(room=room).values_list("user_id", flat=True))


def membership_get(*, room: Room, user_id: int) -> RoomMember | None:
    return RoomMember.objects.filter(room=room, user_id=user_id).first()


# --- presence (async) ---------------------------------------------------------------


async def room_live_counts() -> dict[str, int]:
    """Room id -> peers connected now, on every process."""
    scopes = await get_presence_store().scopes(f"{ROOM_SCOPE_PREFIX}:")
    return {room_id_from_scope(scope): count for scope, count in scopes.items() if count > 0}


async def room_live_count(*, room_id: str) -> int:
    return await get_presence_store().count(room_scope(room_id))


async def room_participants(*, room_id: str, exclude_peer: str | None = None) -> list[Peer]:
    """Peers present in the room, ordered by peer id (stable for clients)."""
    room_id_validate(room_id=room_id)
    infos = await get_presence_store().member_info(room_scope(room_id))
    return [Peer.of(peer_id, info) for peer_id, info in sorted(infos.items()) if peer_id != exclude_peer]


async def lobby_waiting(*, room_id: str) -> list[dict[str, Any]]:
    """Users waiting in the lobby, longest-waiting first: [{user: {id, username, name}, since}]."""
    infos = await get_presence_store().member_info(lobby_scope(room_id))
    waiting: list[dict[str, Any]] = [
        {"user": info.get("user"), "since": info.get("since")} for info in infos.values() if info.get("user")
    ]
    waiting.sort(key=lambda entry: (entry["since"] or "", entry["user"]["id"]))
    return waiting


async def lobby_is_waiting(*, room_id: str, user_id: int) -> bool:
    return await get_presence_store().is_present(lobby_scope(room_id), str(user_id))


async def room_peer_infos(*, room_id: str) -> dict[str, dict[str, Any]]:
    """Peer id -> presence info of everyone in the room (the seed adapters map peer ids with it)."""
    room_id_validate(room_id=room_id)
    return await get_presence_store().member_info(room_scope(room_id))
