"""Presence keys cannot accumulate: every Redis key expires after its last connection,
and the in-memory store forgets scopes once they are empty."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest

from conftest import SESSION_NS
from realtime.presence import MemoryPresenceStore, RedisPresenceStore

TTL = 30.0
MARGIN_MS = 60_000


@pytest.fixture
async def redis_store(redis_url: str) -> AsyncIterator[RedisPresenceStore]:
    store = RedisPresenceStore(redis_url, prefix=f"{SESSION_NS}-ptest-{uuid.uuid4().hex[:8]}")
    yield store
    keys = [key async for key in store.redis.scan_iter(match=f"{store.prefix}:*")]
    if keys:
        await store.redis.delete(*keys)
    await store.redis.aclose()


async def _expiries(store: RedisPresenceStore) -> dict[str, int]:
    return {key: await store.redis.pttl(key) async for key in store.redis.scan_iter(match=f"{store.prefix}:*")}


async def test_every_redis_presence_key_expires_after_its_last_connection(redis_store: RedisPresenceStore) -> None:
    await redis_store.join("stream:7", "42", "conn-a", ttl=TTL, info={"name": "alice"})
    await redis_store.join("user", "42", "conn-a", ttl=TTL)

    expiries = await _expiries(redis_store)
    p = redis_store.prefix
    assert set(expiries) == {
        f"{p}:c:stream:7:42",
        f"{p}:m:stream:7",
        f"{p}:i:stream:7",
        f"{p}:c:user:42",
        f"{p}:m:user",
        f"{p}:scopes",
    }
    for key, pttl in expiries.items():
        assert 0 < pttl <= TTL * 1000 + MARGIN_MS, (key, pttl)


async def test_refresh_extends_every_key_and_never_shortens_one(redis_store: RedisPresenceStore) -> None:
    await redis_store.join("room:lobby", "peer-1", "conn-long", ttl=600, info={"n": 1})
    await redis_store.join("room:lobby", "peer-1", "conn-short", ttl=5)
    # Keys written before expiries existed (an older version) get one on the next heartbeat.
    await redis_store.redis.persist(f"{redis_store.prefix}:i:room:lobby")
    await redis_store.redis.persist(f"{redis_store.prefix}:scopes")

    await redis_store.refresh("room:lobby", "peer-1", "conn-short", ttl=5)

    p = redis_store.prefix
    expiries = await _expiries(redis_store)
    assert (
        expiries[f"{p}:c:room:lobby:peer-1"] > 500_000 and expiries[f"{p}:m:room:lobby"] > 500_000
    )  # conn-long's horizon
    assert 0 < expiries[f"{p}:i:room:lobby"] <= 5_000 + MARGIN_MS and 0 < expiries[f"{p}:scopes"] <= 5_000 + MARGIN_MS


async def test_memory_store_forgets_empty_scopes() -> None:
    store = MemoryPresenceStore()
    await store.join("conversation:1", "1", "a", info={"x": 1})
    await store.leave("conversation:1", "1", "a")
    await store.join("conversation:2", "1", "b", ttl=-1)  # already expired: the sweep takes it
    await store.sweep()
    assert store._data == {} and store._info == {}
