"""The shared cache (rate-limit counters, login lockouts) that never takes a request down.

Django's RedisCache raises when Redis does not answer. The cache only holds
counters that protect the service, so when Redis is briefly down we fail open:
a read is a miss, a write is dropped, the failure is logged (at most once per
`LOG_EVERY_SECONDS`), and the request is served without its limit. The short
socket timeouts in settings bound how long a request waits for a dead Redis.
"""

from __future__ import annotations

import functools
import logging
import time
from typing import Any

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

LOG_EVERY_SECONDS = 10.0
_last_logged = 0.0

_FALLBACKS: dict[str, Any] = {
    "add": False,
    "get": None,
    "set": None,
    "touch": False,
    "delete": False,
    "get_many": {},
    "has_key": False,
    "incr": None,
    "set_many": [],
    "delete_many": None,
    "clear": None,
    "get_or_set": None,
}


def _log_unavailable(operation: str, exc: Exception) -> None:
    global _last_logged
    now = time.monotonic()
    if now - _last_logged >= LOG_EVERY_SECONDS:
        _last_logged = now
        logger.warning("cache_unavailable", extra={"operation": operation, "error": type(exc).__name__})


def _fail_open(name: str, fallback: Any) -> Any:
    method = getattr(RedisCache, name)

    @functools.wraps(method)
    def wrapper(self: RedisCache, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except (RedisConnectionError, RedisTimeoutError) as exc:
            _log_unavailable(name, exc)
            if name == "incr":
                # Callers treat a failed increment like a fresh counter.
                return 1
            if name == "get":
                return kwargs.get("default", args[1] if len(args) > 1 else None)
            return fallback() if callable(fallback) else fallback

    return wrapper


class FailOpenRedisCache(RedisCache):
    """RedisCache whose operations degrade to a miss/no-op when Redis is unreachable."""


for _name, _fallback in _FALLBACKS.items():
    _default: Any = dict if isinstance(_fallback, dict) else (list if isinstance(_fallback, list) else _fallback)
    setattr(FailOpenRedisCache, _name, _fail_open(_name, _default))


# Hit/miss counters for /metrics (django-prometheus' cache metrics, as its own backends count them).
_fail_open_get = FailOpenRedisCache.get
_MISS = object()


def _counted_get(self: RedisCache, key: Any, default: Any = None, version: Any = None) -> Any:
    from django_prometheus.cache.metrics import (
        django_cache_get_total,
        django_cache_hits_total,
        django_cache_misses_total,
    )

    django_cache_get_total.labels(backend="redis").inc()
    value = _fail_open_get(self, key, _MISS, version)
    if value is _MISS:
        django_cache_misses_total.labels(backend="redis").inc()
        return default
    django_cache_hits_total.labels(backend="redis").inc()
    return value


FailOpenRedisCache.get = _counted_get  # type: ignore[method-assign, assignment]
