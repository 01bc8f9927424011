"""Writes of P2P rooms: create, update, delete, invites, membership, lobby, kick and ban.

A room is a row (`rtc.models.Room`) with an owner, members and bans; who is
connected right now lives in the presence store (scope `room:<room_id>`, member =
peer id = the socket's connection id, info = {user_id, username}) with a heartbeat
TTL, so every process sees the same list and a crashed process leaves no ghosts
(see `rtc.handlers`). Users waiting for the owner live in scope `lobby:<room_id>`.

Events that close sockets (removed, room_closed, lobby_denied) go to the room's
groups after commit with `only_user` / `close_code`, so the sockets close on
whichever process holds them.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction

from accounts.models import User
from realtime import closecodes
from realtime.db import db
from realtime.errors import BadRequest, Forbidden, InvalidInput, NotFound
from realtime.events import error
from realtime.fields import MAX_DB_ID
from realtime.groups import directory_group, room_group, room_lobby_group, user_group
from realtime.publish import apublish_groups, build_message, publish, publish_messages
from rtc import events
from rtc.models import ROOM_ID_RULE, MemberRole, Room, RoomBan, RoomMember, Visibility, new_invite_token
from rtc.selectors import (  # noqa: F401 - re-exported: the room id rules were here first
    ROOM_ID_RE,
    ROOM_SCOPE_PREFIX,
    Access,
    lobby_scope,
    max_participants,
    room_access,
    room_get,
    room_id_from_scope,
    room_id_validate,
    room_list_audience,
    room_owned,
    room_scope,
)


def _generated_room_id() -> str:
    return secrets.token_urlsafe(9).replace("_", "x").replace("-", "y")


def room_create(
    *,
    owner: User,
    room_id: str | None = None,
    title: str = "",
    visibility: str = Visibility.PRIVATE,
    lobby_enabled: bool = True,
) -> Room:
    """Create a room owned by `owner` (who becomes its `owner` member). Omitted id -> a random one.

    A taken id -> InvalidInput `room_id_taken`; a malformed one -> InvalidInput naming the allowed characters.
    """
    if room_id is None or room_id == "":
        room_id = _generated_room_id()
    elif not isinstance(room_id, str) or ROOM_ID_RE.fullmatch(room_id) is None:
        raise InvalidInput(ROOM_ID_RULE, code="invalid_room_id", field="room_id")
    try:
        with transaction.atomic():
            room = Room.objects.create(
                room_id=room_id, owner=owner, title=title, visibility=visibility, lobby_enabled=lobby_enabled
            )
            RoomMember.objects.create(room=room, user=owner, role=MemberRole.OWNER)
    except IntegrityError as exc:
        raise BadRequest(f"Room id {room_id!r} is taken.", code="room_id_taken") from exc
    return room


def room_update(
    *,
    room_id: str,
    actor: User,
    title: str | None = None,
    visibility: str | None = None,
    lobby_enabled: bool | None = None,
) -> Room:
    """Owner only: change title, visibility or lobby. Connected sockets stay connected."""
    with transaction.atomic():
        room = room_owned(room_id=room_id, actor=actor)
        fields: list[str] = []
        if title is not None:
            room.title, fields = title, [*fields, "title"]
        if visibility is not None:
            room.visibility, fields = visibility, [*fields, "visibility"]
        if lobby_enabled is not None:
            room.lobby_enabled, fields = lobby_enabled, [*fields, "lobby_enabled"]
        if fields:
            room.save(update_fields=fields)
    return room


def room_delete(*, room_id: str, actor: User) -> None:
    """Owner only: delete the room; every socket in it or in its lobby gets `room_closed`, then close 4410."""
    with transaction.atomic():
        room = room_owned(room_id=room_id, actor=actor)
        room.delete()
        closed = build_message(events.RoomClosed(room_id=room_id), close_code=closecodes.GONE)
        publish_messages([(room_group(room_id), closed), (room_lobby_group(room_id), closed)])


def room_invite_rotate(*, room_id: str, actor: User) -> Room:
    """Owner only: a new invite token; links with the old one stop working."""
    with transaction.atomic():
        room = room_owned(room_id=room_id, actor=actor)
        room.invite_token = new_invite_token()
        room.save(update_fields=["invite_token"])
    return room


def room_join(*, room_id: str, user: User, invite: str | None = None) -> tuple[RoomMember | None, bool]:
    """Become a member with the invite token (or of a public room). Returns (membership, created).

    Members get their membership back (created False). Bad or missing token of a
    private room -> NotFound; banned -> Forbidden. A public room needs no membership
    to join, but joining one this way makes the user a member (it stays listed).
    """
    access = room_access(room_id=room_id, user=user, invite=invite)
    if access.kind in (Access.OWNER, Access.MEMBER):
        return RoomMember.objects.select_related("user").get(room=access.room, user_id=user.pk), False
    if access.kind not in (Access.INVITE, Access.PUBLIC):
        raise NotFound("No such room.", code="room_not_found")
    member, created = RoomMember.objects.get_or_create(
        room=access.room, user=user, defaults={"role": MemberRole.MEMBER}
    )
    return member, created


def _target_user(user_id: int) -> Any:
    if not isinstance(user_id, int) or isinstance(user_id, bool) or not 0 < user_id <= MAX_DB_ID:
        raise InvalidInput("user_id must be a user id.", field="user_id")
    user = get_user_model().objects.filter(pk=user_id).first()
    if user is None:
        raise NotFound(f"No user {user_id}.", code="user_not_found", field="user_id")
    return user


def lobby_admit(*, room_id: str, actor: User, user_id: int, waiting: bool) -> RoomMember:
    """Owner only: make a waiting user a member; their waiting sockets get `admitted` and join the room.

    `waiting` (is the user in the lobby now, from the presence store) is looked up by the caller.
    """
    with transaction.atomic():
        room = room_owned(room_id=room_id, actor=actor)
        if not waiting:
            raise NotFound(f"User {user_id} is not waiting in the lobby.", code="not_waiting", field="user_id")
        target = _target_user(user_id)
        if RoomBan.objects.filter(room=room, user=target).exists():
            raise Forbidden("This user is banned from the room; unban them first.", code="banned")
        member, _ = RoomMember.objects.get_or_create(room=room, user=target, defaults={"role": MemberRole.MEMBER})
        publish(room_lobby_group(room_id), events.Admitted(room_id=room_id), only_user=target.pk)
    return member


def lobby_deny(*, room_id: str, actor: User, user_id: int, waiting: bool) -> None:
    """Owner only: refuse a waiting user; their waiting sockets get `error` `lobby_denied`, then close 4403."""
    with transaction.atomic():
        room_owned(room_id=room_id, actor=actor)
        if not waiting:
            raise NotFound(f"User {user_id} is not waiting in the lobby.", code="not_waiting", field="user_id")
        publish(
            room_lobby_group(room_id),
            error(events.LOBBY_DENIED, "The owner did not let you in."),
            only_user=user_id,
            close_code=closecodes.FORBIDDEN,
        )


def _remove(*, room: Room, actor: User, user_id: int, reason: str) -> Any:
    target = _target_user(user_id)
    if target.pk == room.owner_id or target.pk == actor.pk:
        raise BadRequest("The owner cannot remove themself from their room.", code="cannot_remove_owner")
    RoomMember.objects.filter(room=room, user=target).delete()
    removed = build_message(
        events.Removed(room_id=room.room_id, reason=reason), only_user=target.pk, close_code=closecodes.FORBIDDEN
    )
    publish_messages([(room_group(room.room_id), removed), (room_lobby_group(room.room_id), removed)])
    return target


def member_kick(*, room_id: str, actor: User, user_id: int) -> None:
    """Owner only: end `user_id`'s membership and close their sockets in the room (`removed` kicked, 4403).

    They can come back only with a (new) invite or the owner's admission, or as a viewer of a public room.
    """
    with transaction.atomic():
        room = room_owned(room_id=room_id, actor=actor)
        _remove(room=room, actor=actor, user_id=user_id, reason="kicked")


def member_ban(*, room_id: str, actor: User, user_id: int) -> RoomBan:
    """Owner only: kick and bar `user_id` from the room for good (not even an invite or a public room lets them in)."""
    with transaction.atomic():
        room = room_owned(room_id=room_id, actor=actor)
        target = _remove(room=room, actor=actor, user_id=user_id, reason="banned")
        ban, _ = RoomBan.objects.get_or_create(room=room, user=target, defaults={"banned_by": actor})
    return ban


def member_unban(*, room_id: str, actor: User, user_id: int) -> None:
    """Owner only: lift a ban (the user is not a member again; they need an invite or admission)."""
    with transaction.atomic():
        room = room_owned(room_id=room_id, actor=actor)
        deleted, _ = RoomBan.objects.filter(room=room, user_id=user_id).delete()
        if not deleted:
            raise NotFound(f"User {user_id} is not banned from this room.", code="not_banned", field="user_id")


def broadcast_validate(*, data: Any) -> Any:
    """Refuse `broadcast` payloads above `RTC_MAX_BROADCAST_BYTES` (default 16 KiB) of JSON.

    A broadcast is copied to every peer of the room, so its size is capped well below
    the frame limit: 50 peers x 64 KiB would be 3 MiB of fan-out for one frame.
    """
    limit = settings.RTC_MAX_BROADCAST_BYTES
    if len(json.dumps(data, separators=(",", ":")).encode("utf-8")) > limit:
        raise InvalidInput(f"Broadcast data exceeds {limit} bytes of JSON.", code="data_too_large", field="data")
    return data


async def room_presence_announce(*, room_id: str, participants: int) -> None:
    """After a peer joined or left: `room_presence` to whoever's `/rooms/` list shows the room
    (everyone's personal socket for a public room, its members' for a private one; nobody else)."""
    audience = await db(room_list_audience)(room_id=room_id)
    groups = [directory_group()] if audience is None else [user_group(user_id) for user_id in audience]
    await apublish_groups(groups, events.RoomPresence(room=room_id, participants=participants))
