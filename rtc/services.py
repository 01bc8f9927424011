"""Rules of P2P rooms. Rooms have no table: a room exists while someone is in it.

Participants live in the presence store (scope `room:<room_id>`, member = peer id
= the socket's connection id, info = {user_id, username}) with a heartbeat TTL,
so every server process sees the same list and a crashed process leaves no
ghosts (see `rtc.handlers`).
"""

from __future__ import annotations

import json
import re
from typing import Any

from django.conf import settings

from realtime.errors import InvalidInput, NotFound

ROOM_ID_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")
ROOM_SCOPE_PREFIX = "room"


def room_id_validate(*, room_id: str) -> str:
    """Return `room_id` if it is 1-64 letters, digits, `_` or `-`; else raise NotFound (no such room can exist)."""
    if not isinstance(room_id, str) or ROOM_ID_RE.fullmatch(room_id) is None:
        raise NotFound("Room ids are 1-64 letters, digits, '_' or '-'.", code="invalid_room")
    return room_id


def room_scope(room_id: str) -> str:
    """Presence scope of a room (the id must already be validated)."""
    return f"{ROOM_SCOPE_PREFIX}:{room_id}"


def room_id_from_scope(scope: str) -> str:
    return scope.split(":", 1)[1]


def max_participants() -> int:
    return int(getattr(settings, "RTC_MAX_PARTICIPANTS", 50))


def sdp_validate(*, sdp: str) -> str:
    """Refuse session descriptions above `LIVE_MAX_SDP_BYTES` (shared with live streams)."""
    limit = int(getattr(settings, "LIVE_MAX_SDP_BYTES", 16 * 1024))
    if len(sdp.encode("utf-8")) > limit:
        raise InvalidInput(f"SDP exceeds {limit} bytes.", code="sdp_too_large", field="sdp")
    return sdp


def broadcast_validate(*, data: Any) -> Any:
    """Refuse `broadcast` payloads above `RTC_MAX_BROADCAST_BYTES` (default 16 KiB) of JSON.

    A broadcast is copied to every peer of the room, so its size is capped well below
    the frame limit: 50 peers x 64 KiB would be 3 MiB of fan-out for one frame.
    """
    limit = settings.RTC_MAX_BROADCAST_BYTES
    if len(json.dumps(data, separators=(",", ":")).encode("utf-8")) > limit:
        raise InvalidInput(f"Broadcast data exceeds {limit} bytes of JSON.", code="data_too_large", field="data")
    return data
