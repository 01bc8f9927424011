"""The channel layer: channels-redis, told which sockets it dropped events for; group joins in bulk.

channels-redis buffers each process-local channel's messages in a queue of `capacity`
(CHANNEL_LAYER_CAPACITY) and, once a consumer falls that far behind, drops the oldest without a
word: the socket would go on with a hole in its events. This layer remembers every channel that
lost a message and hands its consumer an `overflow` message instead of the next event;
`BaseConsumer.realtime_overflow` then closes the socket with RESYNC (4503) and the client resumes
with `?after=`, so an overflow costs a reconnect, never a silent gap.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import redis.exceptions
from channels_redis.core import BoundedQueue
from channels_redis.core import RedisChannelLayer as _RedisChannelLayer

# Redis unreachable (down, restarting): the socket's subscriptions cannot be trusted any more.
LAYER_UNAVAILABLE = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)

OVERFLOW = "realtime.overflow"


class _FlaggingQueue(BoundedQueue):
    """channels-redis' bounded queue, which reports the drop it makes when full."""

    def __init__(self, maxsize: int, on_drop: Callable[[], None]) -> None:
        super().__init__(maxsize)
        self._on_drop = on_drop

    def put_nowait(self, item: Any) -> None:
        if self.full():
            self._on_drop()
        super().put_nowait(item)


class _Buffers(dict[str, asyncio.Queue]):
    """The layer's `receive_buffer` (a defaultdict upstream): one flagging queue per channel."""

    def __init__(self, capacity: int, overflowed: set[str]) -> None:
        super().__init__()
        self._capacity = capacity
        self._overflowed = overflowed

    def __missing__(self, channel: str) -> asyncio.Queue:
        queue = self[channel] = _FlaggingQueue(self._capacity, lambda: self._overflowed.add(channel))
        return queue


class RedisChannelLayer(_RedisChannelLayer):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.overflowed: set[str] = set()
        self.receive_buffer = _Buffers(self.capacity, self.overflowed)

    async def receive(self, channel: str) -> dict[str, Any]:
        message = await super().receive(channel)
        if channel in self.overflowed:
            self.overflowed.discard(channel)
            return {"type": OVERFLOW}
        return message


async def group_add_many(layer: Any, groups: list[str], channel: str) -> None:
    """`layer.group_add(group, channel)` for every group: one pipelined round trip per Redis shard with the
    core Redis layer (its ZADD + EXPIRE per group, as `group_add` sends them one after the other),
    concurrent `group_add`s with any other layer."""
    if not groups:
        return
    if not isinstance(layer, _RedisChannelLayer):
        await asyncio.gather(*(layer.group_add(group, channel) for group in groups))
        return
    by_shard: dict[int, list[str]] = {}
    for group in groups:
        assert layer.require_valid_group_name(group), "Group name not valid"
        by_shard.setdefault(layer.consistent_hash(group), []).append(group)
    assert layer.require_valid_channel_name(channel), "Channel name not valid"
    now = time.time()

    async def on_shard(index: int, names: list[str]) -> None:
        async with layer.connection(index).pipeline(transaction=False) as pipe:
            for group in names:
                key = layer._group_key(group)
                pipe.zadd(key, {channel: now})
                pipe.expire(key, layer.group_expiry)
            await pipe.execute()

    await asyncio.gather(*(on_shard(index, names) for index, names in by_shard.items()))
