"""The channel layer: channels-redis, told which sockets it dropped events for; group joins and sends in bulk.

channels-redis buffers each process-local channel's messages in a queue of `capacity`
(CHANNEL_LAYER_CAPACITY) and, once a consumer falls that far behind, drops the oldest without a
word: the socket would go on with a hole in its events. This layer remembers every channel that
lost a message and hands its consumer an `overflow` message instead of the next event;
`BaseConsumer.realtime_overflow` then closes the socket with RESYNC (4503) and the client resumes
with `?after=`, so an overflow costs a reconnect, never a silent gap.

Its Redis pool blocks: redis-py's default pool raises MaxConnectionsError as soon as 100 commands
are in flight, and a burst of publishes or connects went past that (bench/chat_fanout: thousands of
`publish_failed`, sockets closed 4503). Callers now wait up to CHANNEL_LAYER_POOL_TIMEOUT seconds
for one of CHANNEL_LAYER_POOL_SIZE connections.

`group_send_many` sends one commit's events to all their groups in two Redis round trips (read the
groups, then one script that queues every message), where `group_send` takes four per group: a
chat message reaches 1 + members groups, so that was 44 round trips and 11 pooled connections
each.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

import redis.asyncio as aioredis
import redis.exceptions
from channels_redis.core import BoundedQueue
from channels_redis.core import RedisChannelLayer as _RedisChannelLayer

# Redis unreachable (down, restarting): the socket's subscriptions cannot be trusted any more.
LAYER_UNAVAILABLE = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)

OVERFLOW = "realtime.overflow"

logger = logging.getLogger(__name__)


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
    def __init__(self, *args: Any, pool_size: int = 200, pool_timeout: float = 10.0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.pool_size = pool_size
        self.pool_timeout = pool_timeout
        self.overflowed: set[str] = set()
        self.receive_buffer = _Buffers(self.capacity, self.overflowed)
        self.last_score = 0.0

    def create_pool(self, index: int) -> Any:
        host = dict(self.hosts[index])
        address = host.pop("address", None)
        if address is None:  # sentinel or explicit connection arguments: channels-redis' own pool
            return super().create_pool(index)
        return aioredis.BlockingConnectionPool.from_url(
            address, max_connections=self.pool_size, timeout=self.pool_timeout, **host
        )

    async def receive_single(self, channel: str) -> tuple[Any, dict[str, Any]]:
        """The newest of up to RECEIVE_BATCH messages of this process's queue, for `receive`, which
        buffers it after the others (put in their sockets' buffers here, oldest first): one round
        trip for a burst, where channels-redis takes three sequential ones (restore the backup,
        BZPOPMIN, back up) per message under the process's receive lock. Only `receive` calls it,
        holding that lock.

        As upstream, what is popped sits in the backup queue until it is in the buffers (a cancelled
        receive loses nothing: the next one restores it); the backup is cleared afterwards, under the
        channel's clean lock. An empty queue falls back to upstream's blocking pop.
        """
        if not channel.endswith("!"):  # a general channel: upstream's
            return await super().receive_single(channel)
        assert self.require_valid_channel_name(channel, receive=True), "Channel name invalid"
        index = self.consistent_hash(channel)
        channel_key = self.prefix + channel
        backup = self._backup_channel_name(channel_key)
        connection = self.connection(index)
        await self.receive_clean_locks.acquire(channel_key)
        try:
            contents: list[bytes] = (await connection.eval(_POP_MANY, 2, channel_key, backup, RECEIVE_BATCH))[::2]
            while not contents:
                one = await self._brpop_with_clean(index, channel_key, timeout=self.brpop_timeout)
                if one is not None:
                    contents = [one]
            cleaner = asyncio.ensure_future(connection.delete(backup))
            self.receive_cleaners.append(cleaner)

            def cleaned(task: asyncio.Future) -> None:
                self.receive_cleaners.remove(task)
                self.receive_clean_locks.release(channel_key)

            cleaner.add_done_callback(cleaned)
        except BaseException:
            self.receive_clean_locks.release(channel_key)
            raise
        # `receive` buffers the one returned: the others go first, so the buffers keep the queue's order.
        for content in contents[:-1]:
            target, message = self._unpack(channel, content)
            for name in target if isinstance(target, list) else [target]:
                self.receive_buffer[name].put_nowait(message)
        return self._unpack(channel, contents[-1])

    def _unpack(self, channel: str, content: bytes) -> tuple[Any, dict[str, Any]]:
        message = self.deserialize(content)
        target = message.pop("__asgi_channel__", channel)
        return target, message

    def next_score(self) -> float:
        """A queue score (channels-redis uses the send time) above every one this process gave out:
        BZPOPMIN pops the lowest, so the messages of one `group_send_many`, and of successive ones, keep
        their order even when they share a clock tick."""
        self.last_score = max(time.time(), self.last_score + 1e-6)
        return self.last_score

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


# Messages popped per round trip by `RedisChannelLayer.receive_single`.
RECEIVE_BATCH = 100

# KEYS[1]: a process's queue, KEYS[2]: its backup. Puts back what a cancelled receive left in the
# backup (as channels-redis does before each pop), then pops up to ARGV[1] messages, oldest first,
# and backs them up: [member, score, member, score, ...].
_POP_MANY = """
local backed_up = redis.call('ZRANGE', KEYS[2], 0, -1, 'WITHSCORES')
for i = #backed_up, 1, -2 do
    redis.call('ZADD', KEYS[1], backed_up[i], backed_up[i - 1])
end
redis.call('DEL', KEYS[2])
local popped = redis.call('ZPOPMIN', KEYS[1], ARGV[1])
for i = 1, #popped, 2 do
    redis.call('ZADD', KEYS[2], popped[i + 1], popped[i])
end
return popped
"""

# KEYS: the channel key of each message (a key may repeat). ARGV: the messages, then their
# capacities, then their scores, then the expiry in seconds and the score below which queued
# messages have expired. Like channels-redis' group_send: expired entries go first, a queue at
# capacity drops the new message (counted, as upstream logs it).
_SEND_MANY = """
local n = #KEYS
local expiry = ARGV[3 * n + 1]
local expired = ARGV[3 * n + 2]
for i = 1, n do
    redis.call('ZREMRANGEBYSCORE', KEYS[i], 0, expired)
end
local over_capacity = 0
for i = 1, n do
    if redis.call('ZCARD', KEYS[i]) < tonumber(ARGV[n + i]) then
        redis.call('ZADD', KEYS[i], ARGV[2 * n + i], ARGV[i])
        redis.call('EXPIRE', KEYS[i], expiry)
    else
        over_capacity = over_capacity + 1
    end
end
return over_capacity
"""


async def group_send_many(layer: Any, pairs: list[tuple[str, dict[str, Any]]]) -> None:
    """`layer.group_send(group, message)` for every pair, the messages of one group in the given order.

    With this project's Redis layer: one pipelined read of the groups' members per shard, then one
    script per shard of the receiving channels that queues every message (scores from
    `RedisChannelLayer.next_score`, so a process pops them in order). Other layers: the groups
    concurrently, each group's messages one after another.
    """
    if not pairs:
        return
    if not isinstance(layer, RedisChannelLayer):
        by_group: dict[str, list[dict[str, Any]]] = {}
        for group, message in pairs:
            by_group.setdefault(group, []).append(message)

        async def in_order(group: str, messages: list[dict[str, Any]]) -> None:
            for message in messages:
                await layer.group_send(group, message)

        await asyncio.gather(*(in_order(group, messages) for group, messages in by_group.items()))
        return
    groups = list(dict.fromkeys(group for group, _ in pairs))
    members = await _group_members(layer, groups)
    # channel key -> the shard that holds it; per shard: (key, serialized message, capacity) in send order
    by_shard: dict[int, list[tuple[bytes | str, bytes, int]]] = {}
    for group, message in pairs:
        for key, (channels, index, capacity) in _channel_keys(layer, members[group]).items():
            assert "__asgi_channel__" not in message
            body = dict(message)
            body["__asgi_channel__"] = channels
            by_shard.setdefault(index, []).append((key, layer.serialize(body), capacity))
    now = time.time()
    expired = int(now) - int(layer.expiry)

    async def on_shard(index: int, entries: list[tuple[bytes | str, bytes, int]]) -> None:
        scores = [layer.next_score() for _ in entries]
        dropped = await layer.connection(index).eval(
            _SEND_MANY,
            len(entries),
            *(key for key, _, _ in entries),
            *(body for _, body, _ in entries),
            *(capacity for _, _, capacity in entries),
            *scores,
            int(layer.expiry),
            expired,
        )
        if dropped:
            logger.info("channel_layer_over_capacity", extra={"dropped": dropped, "messages": len(entries)})

    await asyncio.gather(*(on_shard(index, entries) for index, entries in by_shard.items()))


async def _group_members(layer: RedisChannelLayer, groups: list[str]) -> dict[str, list[str]]:
    """The channels of each group (expired ones removed first, as `group_send` does): one round trip per shard."""
    by_shard: dict[int, list[str]] = {}
    for group in groups:
        assert layer.require_valid_group_name(group), "Group name not valid"
        by_shard.setdefault(layer.consistent_hash(group), []).append(group)
    cutoff = int(time.time()) - layer.group_expiry
    found: dict[str, list[str]] = {}

    async def on_shard(index: int, names: list[str]) -> None:
        async with layer.connection(index).pipeline(transaction=False) as pipe:
            for group in names:
                key = layer._group_key(group)
                pipe.zremrangebyscore(key, min=0, max=cutoff)
                pipe.zrange(key, 0, -1)
            replies = await pipe.execute()
        for group, channels in zip(names, replies[1::2], strict=True):
            found[group] = [channel.decode("utf8") for channel in channels]

    await asyncio.gather(*(on_shard(index, names) for index, names in by_shard.items()))
    return found


def _channel_keys(layer: RedisChannelLayer, channels: list[str]) -> dict[str, tuple[list[str], int, int]]:
    """Redis key of each receiving queue -> (the channels it carries, its shard, its capacity), as
    channels-redis' `_map_channel_keys_to_connection` groups them (one queue per process)."""
    keys: dict[str, tuple[list[str], int, int]] = {}
    for channel in channels:
        non_local = layer.non_local_name(channel) if "!" in channel else channel
        key = layer.prefix + non_local
        entry = keys.get(key)
        if entry is None:
            keys[key] = ([channel], layer.consistent_hash(non_local), layer.get_capacity(channel))
        else:
            entry[0].append(channel)
    return keys
