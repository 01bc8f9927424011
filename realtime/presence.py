"""Presence: who is connected where, across every server process.

A *scope* names what one is present in: `"user"` (online at all),
`"conversation:42"`, `"stream:7"`, `"room:lobby"`. A *member* is who is present
(usually a user id; a P2P peer id in rooms). Each open socket is a *connection*.
A member is present in a scope while at least one of its connections there is
alive, so tab duplication is harmless.

Connections carry an expiry (now + TTL) that the socket's heartbeat pushes
forward. If a process dies without running `disconnect`, its connections stop
being refreshed; `sweep()` (run every few seconds by one process at a time,
see `realtime.heartbeat`) removes them and reports members that went absent,
so a crashed process leaves no ghosts.

Two backends with the same interface: Redis (set `REDIS_URL`; shared by all
processes, atomic Lua scripts) and in-memory (one process: `make run`, tests).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import defaultdict
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings


@dataclass(frozen=True)
class Change:
    """Result of join/leave: whether the member's presence flipped, and the scope's new size."""

    flipped: bool
    connections: int
    members: int


class PresenceStore(Protocol):
    async def join(
        self,
        scope: str,
        member: str,
        conn_id: str,
        *,
        ttl: float | None = None,
        info: dict | None = None,
        max_connections: int | None = None,
    ) -> Change | None: ...
    async def leave(self, scope: str, member: str, conn_id: str) -> Change: ...
    async def refresh(self, scope: str, member: str, conn_id: str, *, ttl: float | None = None) -> bool:
        """Push the connection's expiry forward; False when the store no longer has it (swept, or Redis lost it)."""
        ...

    async def refresh_many(self, entries: list[tuple[str, str, str]]) -> list[bool]:
        """`refresh` of each (scope, member, conn_id) entry, in one round trip where the store can; one bool each."""
        ...

    async def is_present(self, scope: str, member: str) -> bool: ...
    async def present_many(self, scope: str, members: list[str]) -> list[bool]: ...
    async def members(self, scope: str) -> list[str]: ...
    async def member_info(self, scope: str) -> dict[str, dict]: ...
    async def count(self, scope: str) -> int: ...
    async def connection_count(self, scope: str, member: str) -> int: ...
    async def scopes(self, prefix: str) -> dict[str, int]: ...
    async def sweep(self) -> list[tuple[str, str, int]]: ...
    async def clear_scope(self, scope: str) -> None: ...


def _ttl(ttl: float | None) -> float:
    return float(ttl if ttl is not None else settings.PRESENCE_TTL_SECONDS)


# --- in-memory ---------------------------------------------------------------


class MemoryPresenceStore:
    """Single-process store; same semantics as the Redis one."""

    def __init__(self) -> None:
        # scope -> member -> conn_id -> expiry
        self._data: dict[str, dict[str, dict[str, float]]] = defaultdict(dict)
        self._info: dict[str, dict[str, dict]] = defaultdict(dict)
        self._lock = asyncio.Lock()

    def _alive(self, conns: dict[str, float], now: float) -> int:
        return sum(1 for expiry in conns.values() if expiry > now)

    def _drop_if_empty(self, scope: str) -> None:
        # A long-running process sees many scopes (every conversation opened): forget empty ones.
        if not self._data.get(scope):
            self._data.pop(scope, None)
            self._info.pop(scope, None)

    def _members(self, scope: str, now: float) -> int:
        return sum(1 for conns in self._data.get(scope, {}).values() if self._alive(conns, now))

    async def join(self, scope, member, conn_id, *, ttl=None, info=None, max_connections=None):
        now = time.time()
        async with self._lock:
            conns = self._data[scope].setdefault(member, {})
            alive = self._alive(conns, now)
            if max_connections is not None and alive >= max_connections and conn_id not in conns:
                return None
            conns[conn_id] = now + _ttl(ttl)
            if info is not None:
                self._info[scope][member] = info
            return Change(flipped=alive == 0, connections=alive + 1, members=self._members(scope, now))

    async def leave(self, scope, member, conn_id):
        now = time.time()
        async with self._lock:
            conns = self._data.get(scope, {}).get(member)
            if not conns or conn_id not in conns:
                alive = self._alive(conns or {}, now)
                return Change(flipped=False, connections=alive, members=self._members(scope, now))
            conns.pop(conn_id)
            alive = self._alive(conns, now)
            if not conns:
                self._data[scope].pop(member, None)
                self._info[scope].pop(member, None)
                self._drop_if_empty(scope)
            return Change(flipped=alive == 0, connections=alive, members=self._members(scope, now))

    async def refresh(self, scope, member, conn_id, *, ttl=None):
        async with self._lock:
            conns = self._data.get(scope, {}).get(member)
            if conns is not None and conn_id in conns:
                conns[conn_id] = time.time() + _ttl(ttl)
                return True
            return False

    async def refresh_many(self, entries):
        return [await self.refresh(scope, member, conn_id) for scope, member, conn_id in entries]

    async def present_many(self, scope, members):
        return [await self.is_present(scope, member) for member in members]

    async def is_present(self, scope, member):
        return self._alive(self._data.get(scope, {}).get(member, {}), time.time()) > 0

    async def members(self, scope):
        now = time.time()
        return [m for m, conns in self._data.get(scope, {}).items() if self._alive(conns, now)]

    async def member_info(self, scope):
        present = set(await self.members(scope))
        return {m: info for m, info in self._info.get(scope, {}).items() if m in present}

    async def count(self, scope):
        return self._members(scope, time.time())

    async def connection_count(self, scope, member):
        return self._alive(self._data.get(scope, {}).get(member, {}), time.time())

    async def scopes(self, prefix):
        now = time.time()
        return {s: self._members(s, now) for s in list(self._data) if s.startswith(prefix) and self._members(s, now)}

    async def sweep(self):
        now = time.time()
        gone: list[tuple[str, str, int]] = []
        async with self._lock:
            for scope, members in list(self._data.items()):
                for member, conns in list(members.items()):
                    had = len(conns)
                    for conn_id, expiry in list(conns.items()):
                        if expiry <= now:
                            conns.pop(conn_id)
                    if had and not conns:
                        members.pop(member)
                        self._info[scope].pop(member, None)
                        gone.append((scope, member, self._members(scope, now)))
                self._drop_if_empty(scope)
        return gone

    async def clear_scope(self, scope):
        async with self._lock:
            self._data.pop(scope, None)
            self._info.pop(scope, None)


# --- Redis -------------------------------------------------------------------
# Keys (prefix P = PRESENCE_PREFIX):
#   P:c:{scope}:{member}  ZSET conn_id -> expiry (unix seconds)
#   P:m:{scope}           ZSET member -> latest expiry of its connections
#   P:i:{scope}           HASH member -> JSON info
#   P:scopes              ZSET scope -> latest expiry (index for sweep and listings)
# Every key expires a minute after the latest connection it holds: the sweep keeps them
# tidy while processes run, and the expiry makes sure nothing stays behind when none does
# (all processes stopped, a PRESENCE_PREFIX changed, a test session's namespace).

# Extends a key's expiry to at least `ms` from now; never shortens it (connections may
# have different TTLs) and treats a key without expiry (written by an older version) as due.
_KEEP = """
local function keep(key, ms)
  local current = redis.call('PTTL', key)
  if current == -1 or (current >= 0 and current < ms) then redis.call('PEXPIRE', key, ms) end
end
-- a connection's lease now runs to `expiry`: its member's and its scope's latest expiry follow,
-- and the four keys outlive it by a minute (join and refresh)
local function extend(conns, members, info, scopes, member, conn, scope, now, expiry)
  redis.call('ZADD', conns, expiry, conn)
  local best = tonumber(redis.call('ZSCORE', members, member) or '0')
  if expiry > best then redis.call('ZADD', members, expiry, member) end
  local sbest = tonumber(redis.call('ZSCORE', scopes, scope) or '0')
  if expiry > sbest then redis.call('ZADD', scopes, expiry, scope) end
  local ms = math.ceil((expiry - now) * 1000) + 60000
  keep(conns, ms)
  keep(members, ms)
  keep(info, ms)
  keep(scopes, ms)
end
"""

_JOIN = (
    _KEEP
    + """
local conns, members, info, scopes = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local member, conn, now = ARGV[1], ARGV[2], tonumber(ARGV[3])
local expiry, maxc, infojson = tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6]
redis.call('ZREMRANGEBYSCORE', conns, '-inf', now)
local alive = redis.call('ZCARD', conns)
if maxc > 0 and alive >= maxc and not redis.call('ZSCORE', conns, conn) then
  return {-1, alive, 0}
end
if infojson ~= '' then redis.call('HSET', info, member, infojson) end
extend(conns, members, info, scopes, member, conn, ARGV[7], now, expiry)
local nmembers = redis.call('ZCOUNT', members, '(' .. now, '+inf')
local flipped = 0
if alive == 0 then flipped = 1 end
return {flipped, alive + 1, nmembers}
"""
)

_LEAVE = """
local conns, members, info = KEYS[1], KEYS[2], KEYS[3]
local member, conn, now = ARGV[1], ARGV[2], tonumber(ARGV[3])
local removed = redis.call('ZREM', conns, conn)
redis.call('ZREMRANGEBYSCORE', conns, '-inf', now)
local alive = redis.call('ZCARD', conns)
if alive == 0 then
  redis.call('ZREM', members, member)
  redis.call('HDEL', info, member)
else
  local top = redis.call('ZRANGE', conns, -1, -1, 'WITHSCORES')
  redis.call('ZADD', members, top[2], member)
end
local nmembers = redis.call('ZCOUNT', members, '(' .. now, '+inf')
local flipped = 0
if removed == 1 and alive == 0 then flipped = 1 end
return {flipped, alive, nmembers}
"""

_REFRESH = (
    _KEEP
    + """
local conns, members, scopes, info = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local member, conn, now, expiry = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
if not redis.call('ZSCORE', conns, conn) then return 0 end
extend(conns, members, info, scopes, member, conn, ARGV[5], now, expiry)
return 1
"""
)

# For each member whose best expiry has passed, drop its dead connections; if none
# is left, remove the member and report it. Returns a flat list scope, member, remaining.
_SWEEP = """
local prefix, now = ARGV[1], tonumber(ARGV[2])
local out = {}
local scopes = redis.call('ZRANGEBYSCORE', prefix .. ':scopes', '-inf', '+inf')
for _, scope in ipairs(scopes) do
  local mkey = prefix .. ':m:' .. scope
  local stale = redis.call('ZRANGEBYSCORE', mkey, '-inf', now)
  for _, member in ipairs(stale) do
    local ckey = prefix .. ':c:' .. scope .. ':' .. member
    redis.call('ZREMRANGEBYSCORE', ckey, '-inf', now)
    if redis.call('ZCARD', ckey) == 0 then
      redis.call('ZREM', mkey, member)
      redis.call('HDEL', prefix .. ':i:' .. scope, member)
      table.insert(out, scope)
      table.insert(out, member)
      table.insert(out, redis.call('ZCOUNT', mkey, '(' .. now, '+inf'))
    else
      local top = redis.call('ZRANGE', ckey, -1, -1, 'WITHSCORES')
      redis.call('ZADD', mkey, top[2], member)
    end
  end
  if redis.call('ZCARD', mkey) == 0 then
    redis.call('ZREM', prefix .. ':scopes', scope)
  end
end
return out
"""


# Connections per process (and event loop) to Redis for presence, and how long a call waits for one.
REDIS_POOL_SIZE = 200
REDIS_POOL_WAIT_SECONDS = 10.0


class RedisPresenceStore:
    def __init__(self, url: str, prefix: str) -> None:
        self._url = url
        self.prefix = prefix
        self._clients: dict[int, object] = {}

    @property
    def redis(self):  # one client per event loop (tests and async_to_sync create loops)
        import redis.asyncio as aioredis

        loop = asyncio.get_running_loop()
        client = self._clients.get(id(loop))
        if client is None:
            # A blocking pool: redis-py's default pool raises MaxConnectionsError at once past 100
            # connections in use, which a burst of connects (each asks about every member's presence
            # concurrently) reached: sockets failed to connect (bench/connect_storm). Callers now wait.
            pool = aioredis.BlockingConnectionPool.from_url(
                self._url, decode_responses=True, max_connections=REDIS_POOL_SIZE, timeout=REDIS_POOL_WAIT_SECONDS
            )
            client = aioredis.Redis.from_pool(pool)  # closing the client closes its pool
            self._clients = {id(loop): client}
        return client

    def _keys(self, scope: str, member: str) -> tuple[str, str, str, str]:
        p = self.prefix
        return f"{p}:c:{scope}:{member}", f"{p}:m:{scope}", f"{p}:i:{scope}", f"{p}:scopes"

    async def join(self, scope, member, conn_id, *, ttl=None, info=None, max_connections=None):
        now = time.time()
        conns, members, info_key, scopes = self._keys(scope, str(member))
        flipped, alive, nmembers = await self.redis.eval(
            _JOIN,
            4,
            conns,
            members,
            info_key,
            scopes,
            str(member),
            conn_id,
            now,
            now + _ttl(ttl),
            max_connections or 0,
            json.dumps(info) if info is not None else "",
            scope,
        )
        if int(flipped) == -1:
            return None
        return Change(flipped=bool(int(flipped)), connections=int(alive), members=int(nmembers))

    async def leave(self, scope, member, conn_id):
        conns, members, info_key, _ = self._keys(scope, str(member))
        flipped, alive, nmembers = await self.redis.eval(
            _LEAVE, 3, conns, members, info_key, str(member), conn_id, time.time()
        )
        return Change(flipped=bool(int(flipped)), connections=int(alive), members=int(nmembers))

    async def refresh(self, scope, member, conn_id, *, ttl=None):
        now = time.time()
        conns, members, info_key, scopes = self._keys(scope, str(member))
        found = await self.redis.eval(
            _REFRESH, 4, conns, members, scopes, info_key, str(member), conn_id, now, now + _ttl(ttl), scope
        )
        return bool(int(found))

    async def refresh_many(self, entries):
        """`refresh` of many (scope, member, conn_id) entries in one round trip (the process's heartbeat)."""
        if not entries:
            return []
        now = time.time()
        expiry = now + _ttl(None)
        async with self.redis.pipeline(transaction=False) as pipe:
            for scope, member, conn_id in entries:
                conns, members, info_key, scopes = self._keys(scope, str(member))
                pipe.eval(_REFRESH, 4, conns, members, scopes, info_key, str(member), conn_id, now, expiry, scope)
            return [bool(int(found)) for found in await pipe.execute()]

    async def is_present(self, scope, member):
        conns, _, _, _ = self._keys(scope, str(member))
        return await self.redis.zcount(conns, f"({time.time()}", "+inf") > 0

    async def present_many(self, scope, members):
        """`is_present` of many members of one scope in one round trip (a chat socket's connect)."""
        if not members:
            return []
        now = f"({time.time()}"
        async with self.redis.pipeline(transaction=False) as pipe:
            for member in members:
                pipe.zcount(self._keys(scope, str(member))[0], now, "+inf")
            counts = await pipe.execute()
        return [int(n) > 0 for n in counts]

    async def members(self, scope):
        _, members, _, _ = self._keys(scope, "")
        return list(await self.redis.zrangebyscore(members, f"({time.time()}", "+inf"))

    async def member_info(self, scope):
        present = await self.members(scope)
        if not present:
            return {}
        _, _, info_key, _ = self._keys(scope, "")
        values = await self.redis.hmget(info_key, present)
        return {m: json.loads(v) for m, v in zip(present, values, strict=True) if v}

    async def count(self, scope):
        _, members, _, _ = self._keys(scope, "")
        return int(await self.redis.zcount(members, f"({time.time()}", "+inf"))

    async def connection_count(self, scope, member):
        conns, _, _, _ = self._keys(scope, str(member))
        return int(await self.redis.zcount(conns, f"({time.time()}", "+inf"))

    async def scopes(self, prefix):
        now = time.time()
        names = await self.redis.zrangebyscore(f"{self.prefix}:scopes", f"({now}", "+inf")
        result: dict[str, int] = {}
        for name in names:
            if name.startswith(prefix):
                count = await self.count(name)
                if count:
                    result[name] = count
        return result

    async def sweep(self):
        flat = await self.redis.eval(_SWEEP, 0, self.prefix, time.time())
        return [(flat[i], flat[i + 1], int(flat[i + 2])) for i in range(0, len(flat), 3)]

    async def clear_scope(self, scope):
        _, members, info_key, scopes = self._keys(scope, "")
        names = await self.redis.zrange(members, 0, -1)
        keys = [self._keys(scope, m)[0] for m in names] + [members, info_key]
        await self.redis.delete(*keys)
        await self.redis.zrem(scopes, scope)

    async def try_lock(self, name: str, ttl_ms: int) -> bool:
        return bool(await self.redis.set(f"{self.prefix}:lock:{name}", "1", nx=True, px=ttl_ms))


_store: PresenceStore | None = None


def get_presence_store() -> PresenceStore:
    global _store
    if _store is None:
        if settings.REDIS_URL:
            _store = RedisPresenceStore(settings.REDIS_URL, prefix=getattr(settings, "PRESENCE_PREFIX", "presence"))
        else:
            _store = MemoryPresenceStore()
    return _store
