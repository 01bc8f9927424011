"""A server process stopped with SIGTERM (deploy, scale-in) closes its sockets cleanly.

uvicorn closes every WebSocket with 1012 ("service restart": clients reconnect to another
process), the consumers' disconnect runs, so presence is released at once rather than when
its TTL expires, and the process exits within its graceful-shutdown timeout.
"""

from __future__ import annotations

import asyncio
import signal
import time

import pytest
from asgiref.sync import sync_to_async
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from conftest import access_token
from realtime import closecodes
from realtime.presence import get_presence_store
from realtime.testing import recv
from scripts.cluster import GRACEFUL_SHUTDOWN_SECONDS

pytestmark = [pytest.mark.e2e]


async def test_sigterm_closes_sockets_with_1012_and_releases_presence_at_once(live_db, cluster_factory, make_user):
    # A presence TTL far beyond the test: only the consumer's disconnect can release it in time.
    cluster = await sync_to_async(cluster_factory)(1, PRESENCE_TTL_SECONDS="600")
    alice = await sync_to_async(make_user)()
    store = get_presence_store()

    ws = await connect(f"{cluster.servers[0].ws_url}/ws/notifications/?token={access_token(alice)}")
    first = await recv(ws, 15)
    assert first["type"] == "connection_established"
    assert await store.is_present("user", str(alice.pk))

    started = time.monotonic()
    terminating = asyncio.ensure_future(sync_to_async(cluster.terminate)(0))
    with pytest.raises(ConnectionClosed):
        async with asyncio.timeout(GRACEFUL_SHUTDOWN_SECONDS):
            while True:  # frames sent after the handshake (counts, presence) come first
                await ws.recv()
    assert ws.close_code == closecodes.SERVICE_RESTART, (ws.close_code, ws.close_reason)

    exit_code = await terminating
    log = cluster.servers[0].log()
    # uvicorn re-raises the signal once shut down, so a graceful exit reads as "killed by SIGTERM"
    assert exit_code == -signal.SIGTERM and "Finished server process" in log, (exit_code, log[-3000:])
    assert time.monotonic() - started < GRACEFUL_SHUTDOWN_SECONDS
    assert not await store.is_present("user", str(alice.pk)), "disconnect did not run: presence left to the TTL"
    assert '"event": "ws_disconnected"' in log and '"code": 1012' in log, log[-3000:]
