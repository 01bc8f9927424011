"""A real server's log never contains a token or a password, yet every request is logged.

Credentials travel in four places a log could pick up: the `?token=` query string and the
`bearer, <jwt>` subprotocol of a WebSocket handshake, and the JSON bodies of a login and a
registration. The test uses each (valid and invalid), then reads the server's whole log.

The server is uvicorn, as in production: its own lines (startup, and one per handshake with
the path and query string, accepted or refused) go through the same JSON handler and
redaction as the app's (config/uvicorn_logging.json, then settings.LOGGING).
"""

from __future__ import annotations

import asyncio
import json
import uuid

import httpx
import pytest
from asgiref.sync import sync_to_async
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus
from websockets.typing import Origin, Subprotocol

from conftest import access_token
from realtime.testing import recv

pytestmark = [pytest.mark.e2e]


def _is_json_object(line: str) -> bool:
    try:
        return isinstance(json.loads(line), dict)
    except ValueError:
        return False


async def test_tokens_and_passwords_never_reach_the_log(live_db, cluster_factory, make_user) -> None:
    server = cluster_factory(1).servers[0]
    password = f"Pw-{uuid.uuid4().hex}"
    wrong_password = f"Wrong-{uuid.uuid4().hex}"
    new_password = f"New-{uuid.uuid4().hex}"
    user = await sync_to_async(make_user)()
    await sync_to_async(user.set_password)(password)
    await sync_to_async(user.save)()
    token = await sync_to_async(access_token)(user)
    bad_token = f"not-a-jwt-{uuid.uuid4().hex}"
    username = f"reg_{uuid.uuid4().hex[:10]}"

    async with httpx.AsyncClient(base_url=server.http_url, timeout=30) as http:
        login = await http.post("/api/auth/token/", json={"username": user.username, "password": password})
        assert login.status_code == 200, login.text
        issued = login.json()
        failed = await http.post("/api/auth/token/", json={"username": user.username, "password": wrong_password})
        assert failed.status_code == 401
        registered = await http.post(
            "/api/auth/register/",
            json={"username": username, "password": new_password, "email": f"{username}@example.com"},
        )
        assert registered.status_code == 201, registered.text
        me = await http.get("/api/users/me/", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code < 500

    async with connect(f"{server.ws_url}/ws/notifications/?token={token}") as ws:
        assert (await recv(ws, 15))["type"] == "connection_established"
    async with connect(
        f"{server.ws_url}/ws/notifications/", subprotocols=[Subprotocol("bearer"), Subprotocol(issued["access"])]
    ) as ws:
        assert ws.subprotocol == "bearer"
        assert (await recv(ws, 15))["type"] == "connection_established"
    async with connect(f"{server.ws_url}/ws/notifications/?token={bad_token}") as ws:
        assert (await recv(ws, 15))["data"]["code"] == "unauthenticated"
    async with connect(
        f"{server.ws_url}/ws/notifications/", subprotocols=[Subprotocol("bearer"), Subprotocol(bad_token)]
    ) as ws:
        assert (await recv(ws, 15))["data"]["code"] == "unauthenticated"
    # refused at the handshake (another site's page): the server answers HTTP 403 and logs it
    with pytest.raises(InvalidStatus) as refused:
        async with connect(f"{server.ws_url}/ws/notifications/?token={token}", origin=Origin("http://evil.example")):
            pass
    assert refused.value.response.status_code == 403

    # The log is written by another process: wait until the last request has been logged.
    for _ in range(100):
        log = server.log()
        if log.count('"request"') >= 4:
            break
        await asyncio.sleep(0.1)
    secrets = {
        "access token": token,
        "issued access": issued["access"],
        "issued refresh": issued["refresh"],
        "invalid token": bad_token,
        "password": password,
        "wrong password": wrong_password,
        "registration password": new_password,
    }
    for name, secret in secrets.items():
        assert secret not in log, f"the {name} is in the server log"
        # JWTs are long: a logged prefix or signature would leak them just as well.
        assert secret[-20:] not in log, f"part of the {name} is in the server log"

    not_json = [line for line in log.splitlines() if line.strip() and not _is_json_object(line)]
    assert not not_json, f"plain-text lines in the server log: {not_json[:5]}"
    records = [json.loads(line) for line in log.splitlines() if line.strip()]
    assert any(r["logger"] == "uvicorn.error" and r["event"].startswith("Started server process") for r in records)
    handshakes = [
        r["event"] for r in records if r["logger"] == "uvicorn.error" and '"WebSocket /ws/notifications/' in r["event"]
    ]
    assert any("?token=[REDACTED]" in h and h.endswith("[accepted]") for h in handshakes), handshakes
    assert any("?token=[REDACTED]" in h and h.endswith(" 403") for h in handshakes), handshakes

    requests = [json.loads(line) for line in log.splitlines() if line.startswith("{") and '"request"' in line]
    logged = {(r.get("method"), r.get("path"), r.get("status")) for r in requests if r.get("event") == "request"}
    assert {
        ("POST", "/api/auth/token/", 200),
        ("POST", "/api/auth/token/", 401),
        ("POST", "/api/auth/register/", 201),
    } <= logged, logged
    assert all(r.get("request_id") for r in requests if r.get("event") == "request")
