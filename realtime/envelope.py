"""The WebSocket envelope.

Server frames: `{"type": ..., "data": {...}, "timestamp": ISO-8601}` plus `"id"`
when the event is stored. Client frames: `{"type": ..., "data": {...}}`.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder


def now_iso() -> str:
    return datetime.now(tz=UTC).isoformat().replace("+00:00", "Z")


def server_frame(event_type: str, data: dict[str, Any] | None = None, *, event_id: int | str | None = None) -> dict[str, Any]:
    frame: dict[str, Any] = {"type": event_type, "data": data or {}, "timestamp": now_iso()}
    if event_id is not None:
        frame["id"] = event_id
    return frame


def encode(frame: dict[str, Any]) -> str:
    return json.dumps(frame, cls=DjangoJSONEncoder, separators=(",", ":"))


def error_frame(code: str, message: str, **extra: Any) -> dict[str, Any]:
    return server_frame("error", {"code": code, "message": message, **extra})
