"""The gRTC seeds' REST examples, run verbatim against a real server process (DEBUG on, as the seeds run).

The curl lines are copied from the seed texts (the file and section are named above each); the test
only points them at the test server and adds the one thing our API requires, an
`Authorization: Bearer <token>` header. The HTTP blocks of seed 001's "API REST Endpoints" section
have no curl form; they are sent as written (method, path, body) with httpx.
"""

from __future__ import annotations

import json
import shlex
import subprocess
from typing import Any

import httpx
import pytest
from asgiref.sync import sync_to_async

from conftest import access_token
from rtc.tests.rooms import aroom_with_members

pytestmark = [pytest.mark.e2e]

SEED_HOSTS = ("http://localhost:8000", "http://localhost:8001")

# 001_5e047e7c3c46c5ac.txt, "Testing con Curl" / "Crear item"
CURL_CREATE = """curl -X POST http://localhost:8000/api/items/ \\
  -H "Content-Type: application/json" \\
  -d '{"title":"Test Item","description":"Testing","status":"active"}'"""

# 001_5e047e7c3c46c5ac.txt, "Testing con Curl" / "Listar items"
CURL_LIST = "curl http://localhost:8000/api/items/"

# 001_5e047e7c3c46c5ac.txt, "Testing con Curl" / "Crear items en bulk"
CURL_BULK = """curl -X POST http://localhost:8000/api/items/bulk \\
  -H "Content-Type: application/json" \\
  -d '[
    {"title":"Item 1","status":"active"},
    {"title":"Item 2","status":"pending"},
    {"title":"Item 3","status":"inactive"}
  ]'"""

# 002_f6574a2c3d17a4c2.txt, "Verificar" / "Health check"
CURL_HEALTH = "curl http://localhost:8001/health"


def run_curl(command: str, base_url: str, token: str | None) -> tuple[int, Any]:
    """Run a seed's curl line in a shell, as written, against `base_url` with the bearer token added.

    Returns (HTTP status, JSON body)."""
    assert command.startswith("curl ")
    for seed_host in SEED_HOSTS:
        command = command.replace(seed_host, base_url)
    extra = "-sS -w '\\n%{http_code}' " + (f"-H {shlex.quote(f'Authorization: Bearer {token}')} " if token else "")
    done = subprocess.run(
        ["bash", "-c", command.replace("curl ", f"curl {extra}", 1)], capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 0, done.stderr
    body, _, code = done.stdout.rpartition("\n")
    assert code.isdigit(), done.stdout[:500]
    return int(code), json.loads(body) if body else None


@pytest.fixture
def user_and_token(live_db: None, make_user: Any) -> tuple[Any, str]:
    user = make_user()
    return user, access_token(user)


def test_seed_curl_examples_work_verbatim(cluster: Any, user_and_token: tuple[Any, str]) -> None:
    base = cluster.servers[0].http_url
    _, token = user_and_token

    code, created = run_curl(CURL_CREATE, base, token)
    assert code == 201, created
    assert (created["title"], created["description"], created["status"]) == ("Test Item", "Testing", "active")

    code, bulk = run_curl(CURL_BULK, base, token)
    assert code == 201, bulk
    assert [(item["title"], item["status"]) for item in bulk] == [
        ("Item 1", "active"),
        ("Item 2", "pending"),
        ("Item 3", "inactive"),
    ]

    code, listed = run_curl(CURL_LIST, base, token)
    assert code == 200, listed
    assert sorted(item["title"] for item in listed["results"]) == ["Item 1", "Item 2", "Item 3", "Test Item"]

    assert run_curl(CURL_HEALTH, base, None) == (200, {"status": "ok"})


def test_seed_rest_endpoint_list_works_as_written(cluster: Any, user_and_token: tuple[Any, str]) -> None:
    """001_5e047e7c3c46c5ac.txt, "API REST Endpoints": each request as the seed writes it (no trailing slashes)."""
    _, token = user_and_token
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=cluster.servers[0].http_url, headers=headers, timeout=20) as http:
        # POST /api/items/ {"title": "Mi Item", "description": "Descripción", "status": "active"}
        made = http.post("/api/items/", json={"title": "Mi Item", "description": "Descripción", "status": "active"})
        assert made.status_code == 201, made.text
        item_id = made.json()["id"]
        # POST /api/items/bulk [{"title": "Item 1", "status": "active"}, {"title": "Item 2", "status": "pending"}]
        bulk = http.post(
            "/api/items/bulk", json=[{"title": "Item 1", "status": "active"}, {"title": "Item 2", "status": "pending"}]
        )
        assert bulk.status_code == 201, bulk.text
        ids = [item_id, *(item["id"] for item in bulk.json())]
        # GET /api/items/?skip=0&limit=100&status=active
        listed = http.get("/api/items/?skip=0&limit=100&status=active")
        assert listed.status_code == 200, listed.text
        assert sorted(item["title"] for item in listed.json()["results"]) == ["Item 1", "Mi Item"]
        skipped = http.get("/api/items/?skip=1&limit=100&status=active").json()["results"]
        assert len(skipped) == 1
        # GET /api/items/{item_id}
        assert http.get(f"/api/items/{item_id}").json()["title"] == "Mi Item"
        # PUT /api/items/{item_id} {"title": "Nuevo título", "status": "inactive"}
        put = http.put(f"/api/items/{item_id}", json={"title": "Nuevo título", "status": "inactive"})
        assert put.status_code == 200, put.text
        assert (put.json()["title"], put.json()["status"]) == ("Nuevo título", "inactive")
        # PATCH /api/items/bulk/status?new_status=active [1, 2, 3, 4, 5] (here: this user's ids)
        patched = http.patch("/api/items/bulk/status?new_status=active", json=ids)
        assert patched.status_code == 200, patched.text
        assert patched.json() == {"updated": 3, "ids": ids, "status": "active"}
        missing = http.patch("/api/items/bulk/status", json=ids)
        assert missing.status_code == 400
        assert "new_status" in missing.json()["errors"]
        # DELETE /api/items/{item_id}
        assert http.delete(f"/api/items/{item_id}").status_code == 204
        assert http.get(f"/api/items/{item_id}").status_code == 404


async def test_seed_rooms_endpoints(cluster: Any, live_db: None, make_user: Any) -> None:
    """001_5e047e7c3c46c5ac.txt, "Rooms": GET /rooms and GET /rooms/{room_id}/peers (with a peer connected)."""
    from websockets.asyncio.client import connect

    from realtime.testing import recv_type

    owner, stranger = await sync_to_async(make_user)(), await sync_to_async(make_user)()
    owner_token, stranger_token = await sync_to_async(access_token)(owner), await sync_to_async(access_token)(stranger)
    room = (await aroom_with_members(owner, prefix="seedrooms")).room_id
    server = cluster.servers[0]
    sock = await connect(f"{server.ws_url}/ws/rooms/{room}/?token={owner_token}", open_timeout=20)
    try:
        peer_id = (await recv_type(sock, "room_joined", timeout=15))["data"]["peer_id"]
        async with httpx.AsyncClient(base_url=server.http_url, timeout=20) as http:
            mine = {"Authorization": f"Bearer {owner_token}"}
            rooms = (await http.get("/rooms", headers=mine)).json()
            assert {"room_id": room, "title": rooms["rooms"][0]["title"], "peers": 1} in rooms["rooms"]
            peers = await http.get(f"/rooms/{room}/peers", headers=mine)
            assert peers.json() == {"room_id": room, "peers": [peer_id], "count": 1}
            # The rtc access rules apply: a private room is a 404 for a stranger, and not listed.
            theirs = {"Authorization": f"Bearer {stranger_token}"}
            assert (await http.get(f"/rooms/{room}/peers", headers=theirs)).status_code == 404
            assert room not in [r["room_id"] for r in (await http.get("/rooms", headers=theirs)).json()["rooms"]]
            assert (await http.get("/rooms")).status_code == 401
    finally:
        await sock.close()
