"""Presence-expiry handler: a peer whose process died is announced as gone.

Imported from `RtcConfig.ready()` so every process registers it before its
sweeper runs.
"""

from __future__ import annotations

from realtime.groups import room_group
from realtime.heartbeat import on_presence_expired
from realtime.publish import apublish
from rtc import events
from rtc.services import ROOM_SCOPE_PREFIX, room_id_from_scope, room_presence_announce


@on_presence_expired(ROOM_SCOPE_PREFIX)
async def room_peer_expired(scope: str, member: str, remaining: int) -> None:
    """The sweeper removed `member` (a peer id) from `room:<id>`: tell the others."""
    room_id = room_id_from_scope(scope)
    await apublish(room_group(room_id), events.PeerLeft(peer_id=member, reason="expired"))
    await room_presence_announce(room_id=room_id, participants=remaining)
