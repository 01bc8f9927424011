#!/usr/bin/env python
"""Container health checks (Dockerfile HEALTHCHECK, docker-compose `healthcheck`).

    python scripts/healthcheck.py            # web: GET /ready/ on this container's server
    python scripts/healthcheck.py --worker   # worker: the database and Redis answer

The web check sends a `Host` that ALLOWED_HOSTS accepts: a plain request to
127.0.0.1 gets 400 as soon as ALLOWED_HOSTS names the real site, the container is
never healthy, and nginx (which waits for a healthy web) never starts.
Exit status 0 = healthy, 1 = not.
"""

from __future__ import annotations

import argparse
import http.client
import os
import sys
from pathlib import Path


def probe_host(allowed_hosts: str) -> str:
    """A host name that Django's ALLOWED_HOSTS check accepts: the first concrete entry
    (".example.com" allows example.com itself), or localhost when there is none."""
    for entry in allowed_hosts.split(","):
        entry = entry.strip()
        if entry and entry != "*" and "*" not in entry:
            return entry.lstrip(".") or "localhost"
    return "localhost"


def check_web(port: int, timeout: float) -> bool:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", "/ready/", headers={"Host": probe_host(os.environ.get("ALLOWED_HOSTS", ""))})
        response = connection.getresponse()
        if response.status != 200:
            print(f"/ready/ answered {response.status}: {response.read(300)!r}", file=sys.stderr)
        return response.status == 200
    except OSError as exc:
        print(f"/ready/ unreachable: {exc}", file=sys.stderr)
        return False
    finally:
        connection.close()


def check_worker() -> bool:
    """The worker serves nothing: healthy means its process can reach what it needs."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    # One plain connection with a short timeout (libpq reads PGCONNECT_TIMEOUT), not a pool
    # that retries for 10 s: the answer must come within the healthcheck's timeout.
    os.environ["DB_POOL"] = "false"
    os.environ.setdefault("PGCONNECT_TIMEOUT", "3")
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    try:
        connection.ensure_connection()
        if settings.REDIS_URL:
            import redis

            redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2).ping()
    except Exception as exc:
        print(f"worker dependency unreachable: {exc.__class__.__name__}: {exc}", file=sys.stderr)
        return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", action="store_true")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--timeout", type=float, default=4.0)
    args = parser.parse_args()
    sys.exit(0 if (check_worker() if args.worker else check_web(args.port, args.timeout)) else 1)


if __name__ == "__main__":
    main()
