"""Reads of room state from the presence store (async: the store is async)."""

from __future__ import annotations

from typing import Any

from realtime.presence import get_presence_store
from rtc.events import peer_payload
from rtc.services import ROOM_SCOPE_PREFIX, room_id_from_scope, room_id_validate, room_scope


async def room_list() -> list[dict[str, Any]]:
    """Active rooms (at least one live participant), busiest first, then by id."""
    scopes = await get_presence_store().scopes(f"{ROOM_SCOPE_PREFIX}:")
    rooms = [{"room_id": room_id_from_scope(scope), "participants": count} for scope, count in scopes.items() if count > 0]
    rooms.sort(key=lambda room: (-room["participants"], room["room_id"]))
    return rooms


async def room_participants(*, room_id: str, exclude_peer: str | None = None) -> list[dict[str, Any]]:
    """Peers present in the room, ordered by peer id (stable for clients)."""
    room_id_validate(room_id=room_id)
    infos = await get_presence_store().member_info(room_scope(room_id))
    return [peer_payload(peer_id, info) for peer_id, info in sorted(infos.items()) if peer_id != exclude_peer]
