"""Helpers for notifications tests: listen to a user's personal group like a socket would."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.layers import channel_layers

from realtime.groups import user_group
from social.events import CommentAdded, PostCounts, PostCreated

# Social's live post events share the personal group (social/tests/test_events.py proves them); the
# notifications tests count notification frames, so the listener leaves these out.
SOCIAL_LIVE_EVENTS = frozenset({PostCreated.type, PostCounts.type, CommentAdded.type})


class GroupListener:
    """A channel added to users' personal groups, on the real channel layer (Redis in our runs).

    `frames(user)` returns the decoded frames received so far (but social's live post events). Each call uses a fresh
    layer instance and a plain (non-process-local) channel name, because a layer's
    receive buffers are bound to the event loop of the `async_to_sync` call that made them.
    """

    def __init__(self) -> None:
        self.channels: dict[int, str] = {}

    def _layer(self) -> Any:
        return channel_layers.make_backend("default")

    def listen(self, *users: Any) -> None:
        layer = self._layer()
        for user in users:
            channel = f"notiftest.{uuid.uuid4().hex}"
            async_to_sync(layer.group_add)(user_group(user.pk), channel)
            self.channels[user.pk] = channel

    def frames(self, user: Any, timeout: float = 0.3) -> list[dict[str, Any]]:
        layer = self._layer()

        async def drain() -> list[dict[str, Any]]:
            out: list[dict[str, Any]] = []
            while True:
                try:
                    message = await asyncio.wait_for(layer.receive(self.channels[user.pk]), timeout)
                except TimeoutError:
                    return out
                frame = json.loads(message["text"])
                if frame["type"] not in SOCIAL_LIVE_EVENTS:
                    out.append({**frame, "_meta": message.get("meta") or {}})

        return async_to_sync(drain)()

    def close(self) -> None:
        layer = self._layer()
        for uid, channel in self.channels.items():
            async_to_sync(layer.group_discard)(user_group(uid), channel)


@pytest.fixture
def listener(redis_url: str) -> Iterator[GroupListener]:
    """Needs the Redis layer: in-memory layer instances don't share groups across event loops."""
    g = GroupListener()
    yield g
    g.close()
