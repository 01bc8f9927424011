"""Channel-layer calls in bulk: a socket that joins many groups on connect does it in one round trip."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from channels_redis.core import RedisChannelLayer


async def group_add_many(layer: Any, groups: list[str], channel: str) -> None:
    """`layer.group_add(group, channel)` for every group: one pipelined round trip per Redis shard with the
    core Redis layer (its ZADD + EXPIRE per group, as `group_add` sends them one after the other),
    concurrent `group_add`s with any other layer."""
    if not groups:
        return
    if type(layer) is not RedisChannelLayer:
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
