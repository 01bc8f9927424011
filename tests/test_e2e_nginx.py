"""The shipped nginx.conf, run by Debian's nginx in front of two real server processes:
HTTP is redirected to HTTPS, pages and WebSockets work over TLS, a chat message crosses
from one upstream process to the other, and the access log has request ids but no tokens."""

from __future__ import annotations

import re
import ssl
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.typing import Origin

from chat.services import conversation_get_or_create_direct
from conftest import _unavailable
from realtime.testing import recv_type, send
from scripts.cluster import BASE_DIR
from tests.nginx import Nginx, nginx_binary

WAIT = 15.0

pytestmark = [pytest.mark.e2e]


@pytest.fixture
def nginx(cluster: Any, tmp_path: Path) -> Iterator[Nginx]:
    binary = nginx_binary()
    if binary is None:
        _unavailable("nginx is not installed (apt-get install nginx-light)")
    front = Nginx(workdir=tmp_path, upstreams=[f"127.0.0.1:{server.port}" for server in cluster.servers], binary=binary)
    front.start()
    yield front
    front.stop()


def test_plain_http_is_redirected_to_https(nginx: Nginx) -> None:
    response = httpx.get(f"http://127.0.0.1:{nginx.http_port}/login/?next=/chat/", timeout=WAIT)
    assert response.status_code == 301
    assert response.headers["Location"] == "https://127.0.0.1/login/?next=/chat/"


def test_pages_over_tls_carry_nginx_request_id(nginx: Nginx) -> None:
    with httpx.Client(
        base_url=f"https://localhost:{nginx.https_port}",
        verify=ssl.create_default_context(cafile=nginx.cafile),
        timeout=WAIT,
    ) as client:
        assert client.get("/health/").status_code == 200
        login = client.get("/login/")
    assert login.status_code == 200 and "csrfmiddlewaretoken" in login.text
    nginx.stop()  # flushes the access log
    (line,) = nginx.log_lines("/login/")
    rid = re.search(r"rid=(\w+)", line).group(1)
    assert login.headers["X-Request-ID"] == rid


@pytest.fixture
def pair(live_db: None, make_user: Any, token_for: Any) -> tuple[Any, Any, Any]:
    a, b = make_user(), make_user()
    conversation, _ = conversation_get_or_create_direct(user=a, other=b)
    return a, b, conversation


async def test_chat_over_wss_crosses_upstream_processes(
    nginx: Nginx, pair: tuple[Any, Any, Any], token_for: Any
) -> None:
    a, b, conversation = pair
    base = f"wss://localhost:{nginx.https_port}/ws/chat/{conversation.pk}/?token="
    origin = Origin(
        f"https://localhost:{nginx.https_port}"
    )  # what a browser on the site sends; checked through the proxy
    tls = ssl.create_default_context(cafile=nginx.cafile)
    async with connect(base + token_for(a), ssl=tls, origin=origin, open_timeout=WAIT) as ws_a:
        await recv_type(ws_a, "connection_established", timeout=WAIT)
        # least_conn: the second socket goes to the process that holds none.
        async with connect(base + token_for(b), ssl=tls, origin=origin, open_timeout=WAIT) as ws_b:
            await recv_type(ws_b, "connection_established", timeout=WAIT)
            await send(ws_a, "chat_message", {"text": "through nginx", "client_id": "nginx-1"})
            got = await recv_type(ws_b, "chat_message", timeout=WAIT)
            assert got["data"]["text"] == "through nginx" and got["data"]["sender"]["id"] == a.pk
    nginx.stop()
    lines = nginx.log_lines(f"/ws/chat/{conversation.pk}/")
    assert len(lines) == 2, lines
    upstreams = {re.search(r"up=(\S+)", line).group(1) for line in lines}
    assert len(upstreams) == 2, lines  # a and b were served by different processes
    assert all(" 101 " in line for line in lines)
    assert "token" not in nginx.access_log.read_text()


def test_container_healthcheck_passes_against_a_server(cluster: Any) -> None:
    port = cluster.servers[0].port
    result = subprocess.run(
        [sys.executable, "scripts/healthcheck.py", "--port", str(port)],
        cwd=BASE_DIR,
        env={"PATH": "/usr/bin:/bin", "ALLOWED_HOSTS": "localhost,127.0.0.1"},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
