"""The WebSocket Origin check: exact origins (scheme, host, port) only.

A browser attaches the session cookie to every handshake, so the Origin header
is what stops a page elsewhere (another port on the same host included) from
opening a socket as the user.
"""

from __future__ import annotations

import pytest
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.test import Client, override_settings
from django.urls import path

from realtime import closecodes
from realtime.auth import websocket_stack
from realtime.consumers import BaseConsumer
from realtime.testing import recv

pytestmark = [pytest.mark.django_db(transaction=True)]


class PlainConsumer(BaseConsumer):
    """No client types of its own."""


ROUTES = [path("ws/plain/", PlainConsumer.as_asgi())]

SITE = override_settings(ALLOWED_HOSTS=["localhost", "app.example.com"], WS_ALLOWED_ORIGINS=[], CSRF_TRUSTED_ORIGINS=[])


@pytest.fixture
def session_cookie(django_user_model) -> bytes:
    user = django_user_model.objects.create_user(username="cookie", password="x-very-secret")
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


async def handshake(headers: list[tuple[bytes, bytes]], url: str = "/ws/plain/", scheme: str | None = None):
    # Built under the test's settings, as the server builds it at start-up.
    comm = WebsocketCommunicator(websocket_stack(URLRouter(ROUTES)), url, headers=headers)
    if scheme:
        comm.scope["scheme"] = scheme
    connected, _ = await comm.connect()
    return comm, connected


def from_browser(cookie: bytes, origin: bytes, host: bytes) -> list[tuple[bytes, bytes]]:
    """The headers of a browser's handshake: the page's origin, the host it connects to, the session cookie."""
    return [(b"origin", origin), (b"host", host), (b"cookie", cookie)]


async def assert_authenticated(comm: WebsocketCommunicator) -> None:
    await comm.send_json_to({"type": "ping", "data": {}})
    assert (await recv(comm, 2))["type"] == "pong"
    await comm.disconnect()


@SITE
async def test_same_origin_with_session_cookie_is_accepted(session_cookie):
    comm, connected = await handshake(from_browser(session_cookie, b"http://localhost:8000", b"localhost:8000"))
    assert connected
    await assert_authenticated(comm)


@SITE
@pytest.mark.parametrize(
    ("origin", "host"),
    [
        pytest.param(b"http://localhost:31337", b"localhost:8000", id="other-port-on-an-allowed-host"),
        pytest.param(b"https://localhost:8000", b"localhost:8000", id="other-scheme"),
        # a host outside ALLOWED_HOSTS is not our origin even when Origin and Host agree
        pytest.param(b"http://evil.example", b"evil.example", id="host-outside-allowed-hosts"),
    ],
)
async def test_another_origin_is_refused_with_session_cookie(session_cookie, origin, host):
    _comm, connected = await handshake(from_browser(session_cookie, origin, host))
    assert not connected


@SITE
async def test_origin_without_host_header_matches_nothing(session_cookie):
    _comm, connected = await handshake([(b"origin", b"http://localhost"), (b"cookie", session_cookie)])
    assert not connected


@SITE
@pytest.mark.parametrize(
    "origin", [b"null", b"*", b"localhost:8000", b"http://localhost:8000/path", b"http://localhost:bad", b"\xff\xfe"]
)
async def test_malformed_origins_are_refused(session_cookie, origin):
    _comm, connected = await handshake(from_browser(session_cookie, origin, b"localhost:8000"))
    assert not connected


@SITE
async def test_default_port_is_the_same_origin(session_cookie):
    comm, connected = await handshake(
        from_browser(session_cookie, b"https://app.example.com", b"app.example.com:443"), scheme="wss"
    )
    assert connected
    await assert_authenticated(comm)


@override_settings(
    ALLOWED_HOSTS=["app.example.com"], BEHIND_TLS_PROXY=True, WS_ALLOWED_ORIGINS=[], CSRF_TRUSTED_ORIGINS=[]
)
async def test_behind_tls_proxy_the_forwarded_scheme_decides(session_cookie):
    proxied = [(b"host", b"app.example.com"), (b"x-forwarded-proto", b"https"), (b"cookie", session_cookie)]
    comm, connected = await handshake([(b"origin", b"https://app.example.com"), *proxied])
    assert connected
    await assert_authenticated(comm)
    comm, connected = await handshake([(b"origin", b"http://app.example.com"), *proxied])
    assert not connected


@override_settings(ALLOWED_HOSTS=["app.example.com"], BEHIND_TLS_PROXY=False)
async def test_forwarded_proto_is_ignored_unless_behind_a_tls_proxy(session_cookie):
    headers = [
        (b"origin", b"https://app.example.com"),
        (b"host", b"app.example.com"),
        (b"x-forwarded-proto", b"https"),
        (b"cookie", session_cookie),
    ]
    _comm, connected = await handshake(headers)
    assert not connected


@override_settings(
    ALLOWED_HOSTS=["api.example.com"],
    WS_ALLOWED_ORIGINS=["https://app.example.com:8443"],
    CSRF_TRUSTED_ORIGINS=["https://admin.example.com", "https://*.example.org"],
)
async def test_configured_origins_match_exactly(session_cookie):
    def headers(origin: bytes) -> list[tuple[bytes, bytes]]:
        return [(b"origin", origin), (b"host", b"api.example.com"), (b"cookie", session_cookie)]

    for origin in (b"https://app.example.com:8443", b"https://ADMIN.example.com"):
        comm, connected = await handshake(headers(origin))
        assert connected, origin
        await assert_authenticated(comm)
    for origin in (
        b"https://app.example.com",
        b"http://app.example.com:8443",
        b"https://admin.example.com:444",
        b"https://www.example.org",
    ):
        comm, connected = await handshake(headers(origin))
        assert not connected, origin


@SITE
async def test_no_origin_is_not_a_browser_and_still_needs_credentials():
    comm, connected = await handshake([(b"host", b"localhost:8000")])
    assert connected
    assert (await recv(comm, 2))["data"]["code"] == "unauthenticated"
    assert (await comm.receive_output(timeout=2))["code"] == closecodes.UNAUTHENTICATED
