"""The WebSocket envelope.

Server frames: `{"type": ..., "data": {...}, "timestamp": ISO-8601}` plus `"id"`
when the event is stored. Client frames: `{"type": ..., "data": {...}}`.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import orjson
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


_django = DjangoJSONEncoder()
_ORJSON_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS


def encode(frame: dict[str, Any]) -> str:
    """Compact JSON, with Django's formats for datetimes (ms, "Z"), decimals and durations.

    orjson (about 3x faster than `json` with DjangoJSONEncoder; each published event is encoded
    once, then forwarded as is), falling back to `json` for what orjson refuses (integers beyond
    64 bits). Non-ASCII text is written as UTF-8, not as `\\u` escapes: the same JSON value.
    """
    try:
        return orjson.dumps(frame, default=_django.default, option=_ORJSON_OPTIONS).decode()
    except orjson.JSONEncodeError:
        return json.dumps(frame, cls=DjangoJSONEncoder, separators=(",", ":"))


def encode_event(event: Event, *, event_id: int | str | None = None) -> str:
    return encode(server_frame(event, event_id=event_id))
