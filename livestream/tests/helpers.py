"""Frame helpers shared by the live-stream tests."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any


async def wait_for(receive: Any, event_type: str, *, timeout: float = 10.0, where: Any = None) -> dict[str, Any]:
    """Read frames from `receive()` (a coroutine returning text) until one of `event_type` arrives."""
    deadline = time.monotonic() + timeout
    seen: list[str] = []
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"no {event_type!r} frame within {timeout}s; saw {seen}")
        try:
            raw = await asyncio.wait_for(receive(), timeout=left)
        except TimeoutError:
            raise AssertionError(f"no {event_type!r} frame within {timeout}s; saw {seen}") from None
        frame = json.loads(raw)
        seen.append(frame["type"])
        if frame["type"] == event_type and (where is None or where(frame)):
            return frame


async def nothing_of(receive: Any, event_type: str, *, within: float = 1.0) -> None:
    """Assert no frame of `event_type` arrives within `within` seconds (other types are skipped)."""
    deadline = time.monotonic() + within
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return
        try:
            raw = await asyncio.wait_for(receive(), timeout=left)
        except TimeoutError:
            return
        frame = json.loads(raw)
        assert frame["type"] != event_type, f"unexpected {event_type}: {frame}"
