"""JSON from clients, parsed with a cap on nesting depth (REST bodies and WebSocket frames).

`json.loads` recurses once per level: a 60 KB frame of `[[[[…` raises RecursionError, which
is not a ValueError and used to escape every `except ValueError` around the parser (REST
answered 500, sockets died with 1011). Depth is also capped below what the parser can take,
so a payload that is relayed to other clients (room `broadcast`, signaling) or encoded again
cannot carry a recursion bomb further. `JSON_MAX_DEPTH` counts containers: `{}` is 1 level,
`{"a": [1]}` is 2.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from django.conf import settings


class JSONTooDeep(ValueError):
    """Nested deeper than `JSON_MAX_DEPTH` (or than the parser itself can take)."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"JSON is nested too deeply: at most {limit} levels of objects and arrays.")
        self.limit = limit


def max_depth() -> int:
    return int(settings.JSON_MAX_DEPTH)


def exceeds_depth(value: Any, limit: int) -> bool:
    """True if `value` nests objects/arrays deeper than `limit` levels. Iterative: never recurses."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        children: Iterable[Any]
        if isinstance(node, dict):
            children = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


def check_depth(value: Any, *, limit: int | None = None, text: str | None = None) -> None:
    """Raise JSONTooDeep if `value` is nested deeper than `limit` (default `JSON_MAX_DEPTH`).

    With the source `text`, a document with fewer brackets than the limit is accepted without a walk.
    """
    limit = max_depth() if limit is None else limit
    if text is not None and text.count("[") + text.count("{") <= limit:
        return
    if exceeds_depth(value, limit):
        raise JSONTooDeep(limit)


def loads(text: str | bytes, *, limit: int | None = None) -> Any:
    """`json.loads` that raises JSONTooDeep (a ValueError) instead of RecursionError or a too deep value."""
    limit = max_depth() if limit is None else limit
    try:
        value = json.loads(text)
    except RecursionError:
        raise JSONTooDeep(limit) from None
    check_depth(value, limit=limit, text=text if isinstance(text, str) else None)
    return value
