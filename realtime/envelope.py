"""The WebSocket envelope.

Server frames: `{"type": ..., "data": {...}, "timestamp": ISO-8601}` plus `"id"`
when the event is stored. Client frames: `{"type": ..., "data": {...}}`.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder

from realtime.events import Event, require_event


def now_iso() -> str:
    return datetime.now(tz=UTC).isoformat().replace("+00:00", "Z")


def server_frame(event: Event, *, event_id: int | str | None = None) -> dict[str, Any]:
    """The frame of a catalogued event (realtime/events.py); anything else is a TypeError."""
    require_event(event)
    frame: dict[str, Any] = {"type": event.type, "data": event.wire(), "timestamp": now_iso()}
    if event_id is not None:
        frame["id"] = event_id
    return frame


def encode(frame: dict[str, Any]) -> str:
    return json.dumps(frame, cls=DjangoJSONEncoder, separators=(",", ":"))


def encode_event(event: Event, *, event_id: int | str | None = None) -> str:
    return encode(server_frame(event, event_id=event_id))
