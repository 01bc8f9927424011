"""Fixtures of the fault tests: a private Redis, a cuttable path to PostgreSQL, nginx over a cluster."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

from conftest import _unavailable
from tests.faults.harness import PrivateRedis, TcpProxy
from tests.nginx import Nginx, nginx_binary


@pytest.fixture
def private_redis() -> Iterator[PrivateRedis]:
    """A Redis of this test alone, which it may stop and start (never the machine's shared one)."""
    if PrivateRedis.binary() is None:
        _unavailable("redis-server is not installed")
    redis = PrivateRedis().start()
    yield redis
    redis.stop()


@pytest.fixture
def db_proxy(server_env: dict[str, str]) -> Iterator[tuple[TcpProxy, str]]:
    """(proxy, DATABASE_URL through it): cut the proxy and the servers lose PostgreSQL."""
    parts = urlsplit(server_env["DATABASE_URL"])
    proxy = TcpProxy(parts.hostname or "127.0.0.1", parts.port or 5432).start()
    netloc = parts.netloc.rsplit("@", 1)
    through = f"{netloc[0]}@127.0.0.1:{proxy.port}" if len(netloc) == 2 else f"127.0.0.1:{proxy.port}"
    yield proxy, urlunsplit(parts._replace(netloc=through))
    proxy.close()


@pytest.fixture
def front(tmp_path: Path) -> Iterator[Callable[[Any], Nginx]]:
    """front(cluster) -> the shipped nginx.conf run by Debian's nginx in front of the cluster's processes."""
    binary = nginx_binary()
    started: list[Nginx] = []

    def start(cluster: Any) -> Nginx:
        if binary is None:
            _unavailable("nginx is not installed (apt-get install nginx-light)")
        nginx = Nginx(
            workdir=tmp_path / f"nginx{len(started)}",
            upstreams=[f"127.0.0.1:{server.port}" for server in cluster.servers],
            binary=binary,
        )
        started.append(nginx)
        return nginx.start()

    yield start
    for nginx in started:
        nginx.stop()
