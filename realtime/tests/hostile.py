"""Hostile JSON shared by the tests of every socket and of REST bodies."""

from __future__ import annotations

from typing import Any

BOMB_LEVELS = 30_000  # ~60 KB of brackets: under WS_MAX_FRAME_BYTES, far over the parser's recursion limit


def nested(levels: int, leaf: Any = 1) -> Any:
    """`leaf` inside `levels` arrays: nested(2) == [[1]]."""
    value = leaf
    for _ in range(levels):
        value = [value]
    return value


def recursion_bomb(prefix: str = '{"type": "ping", "data": {"x": ', suffix: str = "}}") -> str:
    """A JSON text whose value at `prefix` is BOMB_LEVELS nested arrays (json.loads raises RecursionError)."""
    return prefix + "[" * BOMB_LEVELS + "]" * BOMB_LEVELS + suffix
