"""A real coturn (use-auth-secret) on loopback, TURN-only policy: two aiortc peers
connect with nothing but the credentials from /api/rtc/config/; with a server
secret that coturn does not share, they cannot."""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from aiortc import RTCConfiguration, RTCIceServer, RTCIceTransportPolicy
from asgiref.sync import sync_to_async

from conftest import _unavailable
from rtc.tests.peers import RoomPeer
from rtc.tests.rooms import room_with_members
from scripts.cluster import free_port

pytestmark = [pytest.mark.e2e, pytest.mark.webrtc]

TURN_SECRET = f"coturn-{uuid.uuid4().hex}"


@dataclass
class Turn:
    port: int
    process: subprocess.Popen
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@pytest.fixture
def turnserver() -> Iterator[Turn]:
    binary = os.environ.get("TURNSERVER_PATH") or shutil.which("turnserver")
    if not binary:
        _unavailable("turnserver (coturn) is not installed")
    workdir = Path(tempfile.mkdtemp(prefix="coturn-"))
    port = free_port(socket.SOCK_DGRAM)
    min_port = random.randrange(40000, 59000, 100)
    log_path = workdir / "turn.log"
    process = subprocess.Popen(
        [
            binary,
            "-n",
            "--listening-ip=127.0.0.1",
            "--relay-ip=127.0.0.1",
            f"--listening-port={port}",
            "--use-auth-secret",
            f"--static-auth-secret={TURN_SECRET}",
            "--realm=test",
            "--no-tls",
            "--no-dtls",
            "--no-cli",
            "--no-rfc5780",
            "--allow-loopback-peers",
            f"--min-port={min_port}",
            f"--max-port={min_port + 99}",
            f"--pidfile={workdir / 'turn.pid'}",
            f"--userdb={workdir / 'turndb'}",
            "--log-file=stdout",
            "--simple-log",
            "--verbose",
        ],
        stdout=log_path.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    turn = Turn(port=port, process=process, log_path=log_path)
    deadline = time.monotonic() + 20
    while "Total General servers" not in turn.log():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"turnserver did not start:\n{turn.log()[-3000:]}")
        time.sleep(0.1)
    yield turn
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)
    shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture
def users(live_db, make_user):
    return [make_user() for _ in range(3)]


@pytest.fixture
def tokens(users, token_for):
    """Tokens of the two room members (the third user is a stranger to the room)."""
    return [token_for(user) for user in users[:2]]


@pytest.fixture
def room(users):
    return room_with_members(users[0], users[1], prefix="turn").room_id


async def _rtc_configuration(server, token: str, room: str) -> tuple[RTCConfiguration, dict]:
    async with httpx.AsyncClient(base_url=server.http_url, timeout=20) as client:
        response = await client.get(
            "/api/rtc/config/", params={"room": room}, headers={"Authorization": f"Bearer {token}"}
        )
    assert response.status_code == 200, response.text
    body = response.json()
    servers = [
        RTCIceServer(urls=s["urls"], username=s.get("username"), credential=s.get("credential"))
        for s in body["iceServers"]
    ]
    policy = RTCIceTransportPolicy.RELAY if body["iceTransportPolicy"] == "relay" else RTCIceTransportPolicy.ALL
    return RTCConfiguration(iceServers=servers, iceTransportPolicy=policy), body


async def _connect_pair(server, tokens: list[str], room: str) -> tuple[list[RoomPeer], dict]:
    peers = []
    body: dict = {}
    for name, token in zip(["a", "b"], tokens, strict=True):
        configuration, body = await _rtc_configuration(server, token, room)
        peers.append(RoomPeer(name, server.ws_url, token, room, configuration, expected=1))
    for peer in peers:
        await peer.start()
    return peers, body


async def _wait_done(peers: list[RoomPeer], timeout: float) -> bool:
    try:
        await asyncio.wait_for(asyncio.gather(*(peer.done.wait() for peer in peers)), timeout=timeout)
        return True
    except TimeoutError:
        return False


async def test_peers_connect_through_coturn_with_credentials_from_config(
    cluster_factory, turnserver, tokens, room, users, token_for
):
    cluster = cluster_factory(
        1,
        RTC_TURN_URLS=f"turn:127.0.0.1:{turnserver.port}?transport=udp",
        RTC_TURN_SECRET=TURN_SECRET,
        RTC_TURN_ONLY="true",
    )
    server = cluster.servers[0]
    async with httpx.AsyncClient(base_url=server.http_url, timeout=20) as client:
        stranger = await sync_to_async(token_for)(users[2])
        refused = await client.get(
            "/api/rtc/config/", params={"room": room}, headers={"Authorization": f"Bearer {stranger}"}
        )
    assert (
        refused.status_code == 404 and "iceServers" not in refused.json()
    )  # no TURN credentials for a room one may not join
    peers, body = await _connect_pair(server, tokens, room)
    try:
        assert body["iceTransportPolicy"] == "relay"
        assert [s["urls"] for s in body["iceServers"]] == [[f"turn:127.0.0.1:{turnserver.port}?transport=udp"]]
        assert TURN_SECRET not in str(body)
        connected = await _wait_done(peers, timeout=60)
        assert connected, (
            [p.received for p in peers],
            [p.errors for p in peers],
            [pc.connectionState for p in peers for pc in p.pcs.values()],
            turnserver.log()[-3000:],
        )
        assert {msg for p in peers for msg in p.received} == {("a", "b"), ("b", "a")}
        # Only relayed candidates were offered, and coturn really allocated relays for them.
        sdps = [sdp for p in peers for sdp in p.sent_sdps]
        candidates = [line for sdp in sdps for line in sdp.splitlines() if line.startswith("a=candidate:")]
        assert candidates and all(" typ relay" in line for line in candidates), candidates
        assert "ALLOCATE processed, success" in turnserver.log()
    finally:
        await asyncio.gather(*(peer.close() for peer in peers), return_exceptions=True)


async def test_peers_do_not_connect_when_server_secret_differs_from_coturn(cluster_factory, turnserver, tokens, room):
    cluster = cluster_factory(
        1,
        RTC_TURN_URLS=f"turn:127.0.0.1:{turnserver.port}?transport=udp",
        RTC_TURN_SECRET="not-the-coturn-secret",
        RTC_TURN_ONLY="true",
    )
    peers, _ = await _connect_pair(cluster.servers[0], tokens, room)
    try:
        # No relay allocation succeeds, so no candidate exists under the relay policy.
        connected = await _wait_done(peers, timeout=20)
        assert not connected
        assert not any(p.received for p in peers)
        states = {pc.connectionState for p in peers for pc in p.pcs.values()}
        assert states and "connected" not in states, states
        candidates = [
            line for p in peers for sdp in p.sent_sdps for line in sdp.splitlines() if line.startswith("a=candidate:")
        ]
        assert candidates == []
        assert "ALLOCATE processed, success" not in turnserver.log()
    finally:
        await asyncio.gather(*(peer.close() for peer in peers), return_exceptions=True)
