"""End to end on real daphne processes sharing Redis: revocation closes sockets on whichever
process holds them, and rate limits / lockouts are counted once for all processes."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from chat.models import Message
from conftest import PASSWORD
from realtime import closecodes
from realtime.testing import frames_until_close, recv_type

pytestmark = [pytest.mark.e2e]

WAIT = 15.0


async def test_deactivation_closes_the_socket_on_another_process_and_nothing_is_stored_after(cluster, chat_pair):
    a, conversation = chat_pair["a"], chat_pair["conversation"]
    token_a, token_b = chat_pair["token_a"], chat_pair["token_b"]
    url = f"{cluster.servers[0].ws_url}/ws/chat/{conversation.pk}/?token="
    ws_a = await connect(url + token_a, open_timeout=WAIT)
    await recv_type(ws_a, "connection_established", timeout=WAIT)
    ws_b = await connect(f"{cluster.servers[1].ws_url}/ws/chat/{conversation.pk}/?token={token_b}", open_timeout=WAIT)
    await recv_type(ws_b, "connection_established", timeout=WAIT)

    # a keeps writing while the account is deactivated from this (third) process.
    sent = 0

    async def keep_sending() -> None:
        nonlocal sent
        try:
            while True:
                await ws_a.send(
                    json.dumps({"type": "chat_message", "data": {"text": f"m{sent}", "client_id": f"k{sent}"}})
                )
                sent += 1
                await asyncio.sleep(0.005)
        except ConnectionClosed:
            pass

    sender = asyncio.ensure_future(keep_sending())
    await recv_type(ws_b, "chat_message", timeout=WAIT)  # writing is under way

    def deactivate() -> Any:
        a.is_active = False
        a.save()
        return timezone.now()

    deactivated_at = await sync_to_async(deactivate)()
    code, frames = await frames_until_close(ws_a, timeout=WAIT)
    await sender
    assert code == closecodes.UNAUTHENTICATED
    # The revocation's frame, or (if a frame in flight got there first) the refused write's.
    assert any(
        f["type"] == "error" and f["data"]["code"] in ("credentials_revoked", "account_inactive") for f in frames
    )
    stored = await sync_to_async(
        lambda: list(Message.objects.filter(conversation=conversation).values_list("created_at", flat=True))
    )()
    assert stored and len(stored) < sent + 1
    assert max(stored) <= deactivated_at
    # The old token opens nothing, and still nothing more was stored.
    again = await connect(url + token_a, open_timeout=WAIT)
    code, _ = await frames_until_close(again, timeout=WAIT)
    assert code == closecodes.UNAUTHENTICATED
    assert await sync_to_async(Message.objects.filter(conversation=conversation).count)() == len(stored)
    await ws_b.close()


def test_lockout_and_throttles_hold_across_two_processes(cluster_factory, live_db, make_user):
    servers = cluster_factory(2, LOGIN_LOCKOUT_ATTEMPTS="4", THROTTLE_LOGIN="1000/min", THROTTLE_REGISTER="3/h").servers
    user = make_user()
    with httpx.Client(timeout=WAIT) as http:
        # failures spread over both processes
        for i in range(4):
            response = http.post(
                f"{servers[i % 2].http_url}/api/auth/token/",
                json={"username": user.username, "password": "wrong-password"},
            )
            assert response.status_code == 401
        for server in servers:
            response = http.post(
                f"{server.http_url}/api/auth/token/", json={"username": user.username, "password": PASSWORD}
            )
            assert response.status_code == 429, response.text
            assert int(response.headers["Retry-After"]) > 0
        # registrations: 3 per address in all, wherever they land
        codes = [
            http.post(
                f"{servers[i % 2].http_url}/api/auth/register/",
                json={"username": f"reg{i}_{user.pk}", "password": "a-long-passphrase-1"},
            ).status_code
            for i in range(4)
        ]
        assert codes == [201, 201, 201, 429]
