"""The authorization matrix: every REST operation and every WebSocket route x every principal.

Principals (tests/authz.py): anonymous (no credentials), a garbage token, an expired
access token, a refresh token used as an access token, a stranger (a real user with no
relation to the resource), the owner / member, and a banned / kicked / removed user
(`NA` where the resource has no such state). Every request carries a real JWT in the
`Authorization: Bearer` header (or `?token=` on sockets), so the real authentication
classes and middleware run.

REST rows come from the OpenAPI schema generated in-process: one `Rest` row per
(METHOD, path template) in `REST`. A row says how to fill the path parameters, the
query and a valid body for the owner's resources, and the status each principal gets.
WebSocket rows (`WS`) are keyed by the route pattern in `config.routing` and expect a
close code, or the first event of an accepted socket.

Where a stranger gets 404 / 4404, `test_stranger_cannot_tell_a_hidden_resource_from_an_unknown_one`
also asks for an id that names nothing and expects the very same answer (status and body,
close code and error frames): existence does not leak.

Adding an endpoint or a route: add its row here, or `test_every_rest_operation_has_a_row`
/ `test_every_websocket_route_has_a_row` fail. Cells for behaviour that another branch is
about to deliver carry `pending={principal: reason}` (strict xfail): they start failing
the day that behaviour lands, and the mark must then be removed. A row for an operation
that another branch adds says `lands_with="<branch>"`: its cells xfail while the operation
is absent and run for real once it is there; `test_operation_awaited_from_another_branch_has_landed`
then fails until `lands_with` is dropped.
"""

from __future__ import annotations

import contextlib
import functools
import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any
from urllib.parse import urlencode

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import transaction
from django.test import override_settings
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from config.routing import websocket_urlpatterns
from realtime import closecodes
from tests.authz import (
    ANONYMOUS,
    BAD_CREDENTIALS,
    BANNED,
    NA,
    OWNER,
    PASSWORD,
    PRINCIPALS,
    STRANGER,
    World,
    build_world,
    credentials,
    fresh_ip,
)

FAST_HASHER = ["django.contrib.auth.hashers.MD5PasswordHasher"]

Expect = Any  # an HTTP status / close code, an event type, or NA


def authed(stranger: Expect, owner: Expect, banned: Expect = NA) -> dict[str, Expect]:
    """An operation that needs a valid access token: every bad credential is a 401."""
    return {**dict.fromkeys(BAD_CREDENTIALS, 401), STRANGER: stranger, OWNER: owner, BANNED: banned}


def anyone(status: int) -> dict[str, Expect]:
    """An operation open to everyone whatever the Authorization header says."""
    return {**dict.fromkeys(PRINCIPALS, status), BANNED: NA}


def _none(w: World) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class Rest:
    method: str
    path: str  # the template exactly as in /api/schema/
    expect: dict[str, Expect]
    params: Callable[[World], dict[str, Any]] = _none
    query: Callable[[World], dict[str, Any]] = _none
    body: Callable[[World], Any] | None = None
    setup: Callable[[World], None] | None = None  # state the owner's call needs (runs inside the cell's savepoint)
    pending: dict[str, str] = field(default_factory=dict)  # principal -> why the cell is xfail for now
    lands_with: str = ""  # the operation comes with another branch: its cells xfail while it is absent
    hides_existence: bool = True  # a stranger's 404 must read exactly like one for an id that names nothing

    @property
    def key(self) -> tuple[str, str]:
        return (self.method, self.path)


def _from_world(**paths: str) -> Callable[[World], dict[str, Any]]:
    """Parameters read off the world: `_from_world(id="post.pk")` gives `{"id": w.post.pk}`."""
    getters = {name: attrgetter(path) for name, path in paths.items()}
    return lambda w: {name: get(w) for name, get in getters.items()}


_username = _from_world(username="owner.username")
_alice = _from_world(username="alice.username")
_bob = _from_world(username="bob.username")
_post = _from_world(id="post.pk")
_conversation = _from_world(id="conversation.pk")
_item = _from_world(id="item.pk")
_live = _from_world(id="live_stream.pk")
_room = _from_world(room_id="room_id")
_bob_in_lobby = _from_world(room_id="room_id", user_id="bob.pk")
_alice_id = _from_world(user_id="alice.pk")
_banned_id = _from_world(user_id="banned.pk")
_message_id = _from_world(message_id="message.pk")
CONVERSATION = "/api/chat/conversations/{id}"
LOBBY_USER = "/api/rtc/rooms/{room_id}/lobby/{user_id}"
ITEM_REPLACED = {"title": "replaced", "description": "", "status": "inactive"}


def _invite(w: World) -> dict[str, Any]:
    return {"invite": w.room.invite_token if w.room is not None else "no-invite-yet"}


def _knock(w: World) -> None:
    """bob waits in the lobby of the owner's room (as his socket would put him there)."""
    from asgiref.sync import async_to_sync

    from realtime.presence import get_presence_store

    info = {
        "user": {"id": w.bob.pk, "username": w.bob.username, "name": w.bob.username},
        "since": "2026-01-01T00:00:00+00:00",
    }
    async_to_sync(get_presence_store().join)(f"lobby:{w.room_id}", str(w.bob.pk), "matrix-knock", info=info)


def _new_user(w: World) -> dict[str, Any]:
    name = f"mx_new_{uuid.uuid4().hex[:8]}"
    return {"username": name, "password": PASSWORD, "email": f"{name}@example.com"}


REST: list[Rest] = [
    # accounts: registration and tokens ignore the Authorization header
    Rest("POST", "/api/auth/register/", anyone(201), body=_new_user),
    Rest("POST", "/api/auth/token/", anyone(200), body=lambda w: {"username": w.owner.username, "password": PASSWORD}),
    Rest(
        "POST", "/api/auth/token/refresh/", anyone(200), body=lambda w: {"refresh": str(RefreshToken.for_user(w.owner))}
    ),
    # logout needs no access token, but a bad one in the header is still refused (JWT authentication runs)
    Rest(
        "POST",
        "/api/auth/logout/",
        {**anyone(204), **dict.fromkeys(BAD_CREDENTIALS, 401), ANONYMOUS: 204},
        body=lambda w: {"refresh": str(RefreshToken.for_user(w.owner))},
    ),
    Rest("GET", "/api/users/", authed(200, 200)),
    Rest("GET", "/api/users/{username}/", authed(200, 200), params=_username),
    Rest("POST", "/api/users/{username}/follow/", authed(201, 201), params=_alice),
    Rest("DELETE", "/api/users/{username}/follow/", authed(204, 204), params=_alice),
    Rest("GET", "/api/users/{username}/followers/", authed(200, 200), params=_username),
    Rest("GET", "/api/users/{username}/following/", authed(200, 200), params=_username),
    Rest("GET", "/api/users/me/", authed(200, 200)),
    # operations: cluster figures are for staff only (nobody in the matrix is staff;
    # realtime/tests/test_metrics.py covers staff)
    Rest("GET", "/api/stats/", authed(403, 403)),
    Rest("PATCH", "/api/users/me/", authed(200, 200), body=lambda w: {"bio": "updated"}),
    # chat: a conversation is the members' only; strangers get 404 (existence hidden)
    Rest("GET", "/api/chat/conversations/", authed(200, 200)),
    Rest("POST", "/api/chat/conversations/", authed(201, 200), body=lambda w: {"user": w.alice.username}),
    Rest("GET", "/api/chat/conversations/{id}/", authed(404, 200), params=_conversation),
    Rest("GET", "/api/chat/conversations/{id}/messages/", authed(404, 200), params=_conversation),
    Rest("POST", f"{CONVERSATION}/messages/", authed(404, 201), params=_conversation, body=lambda w: {"text": "hi"}),
    Rest("POST", f"{CONVERSATION}/read/", authed(404, 200), params=_conversation, body=_message_id),
    # social: everyone reads; only the author edits or deletes
    Rest("GET", "/api/feed/", authed(200, 200)),
    Rest("GET", "/api/posts/", authed(200, 200)),
    Rest("POST", "/api/posts/", authed(201, 201), body=lambda w: {"text": "a new post"}),
    Rest("GET", "/api/posts/{id}/", authed(200, 200), params=_post),
    Rest("PATCH", "/api/posts/{id}/", authed(403, 200), params=_post, body=lambda w: {"text": "edited"}),
    Rest("DELETE", "/api/posts/{id}/", authed(403, 204), params=_post),
    Rest("GET", "/api/posts/{id}/comments/", authed(200, 200), params=_post),
    Rest("POST", "/api/posts/{id}/comments/", authed(201, 201), params=_post, body=lambda w: {"text": "a comment"}),
    Rest("POST", "/api/posts/{id}/like/", authed(201, 201), params=_post),
    Rest("DELETE", "/api/posts/{id}/like/", authed(204, 204), params=_post),
    Rest("DELETE", "/api/comments/{id}/", authed(403, 204), params=lambda w: {"id": w.comment.pk}),
    # items: the owner's only; others' items are outside the queryset (404)
    Rest("GET", "/api/items/", authed(200, 200)),
    Rest("POST", "/api/items/", authed(201, 201), body=lambda w: {"title": "new item"}),
    Rest("GET", "/api/items/{id}/", authed(404, 200), params=_item),
    Rest("PUT", "/api/items/{id}/", authed(404, 200), params=_item, body=lambda w: ITEM_REPLACED),
    Rest("PATCH", "/api/items/{id}/", authed(404, 200), params=_item, body=lambda w: {"title": "patched"}),
    Rest("DELETE", "/api/items/{id}/", authed(404, 204), params=_item),
    Rest("POST", "/api/items/{id}/process/", authed(404, 202), params=_item),
    Rest("POST", "/api/items/bulk/", authed(201, 201), body=lambda w: {"items": [{"title": "one"}, {"title": "two"}]}),
    Rest(
        "PATCH", "/api/items/bulk/status/", authed(404, 200), body=lambda w: {"ids": [w.item.pk], "status": "inactive"}
    ),
    # live: streams are public to read; the streamer (and moderators) act; `banned` is banned from the channel
    Rest("GET", "/api/live/streams/", authed(200, 200, 200)),
    Rest("POST", "/api/live/streams/", authed(201, 201, 201), body=lambda w: {"title": "another stream"}),
    Rest("GET", "/api/live/streams/{id}/", authed(200, 200, 200), params=_live),
    Rest("GET", "/api/live/streams/{id}/comments/", authed(200, 200, 200), params=_live),
    Rest(
        "POST", "/api/live/streams/{id}/start/", authed(403, 200, 403), params=lambda w: {"id": w.scheduled_stream.pk}
    ),
    Rest("POST", "/api/live/streams/{id}/end/", authed(403, 200, 403), params=_live),
    Rest("POST", "/api/live/streams/{id}/kick/", authed(403, 200, 403), params=_live, body=_bob),
    Rest("POST", "/api/live/streams/{id}/ban/", authed(403, 200, 403), params=_live, body=_bob),
    # each caller manages the roles of their own channel
    Rest("GET", "/api/live/moderators/", authed(200, 200, 200)),
    # (alice is the owner's moderator and VIP: only the owner can remove her; others' 404 is about their own channel)
    Rest("POST", "/api/live/moderators/", authed(201, 201, 201), body=_bob),
    Rest("DELETE", "/api/live/moderators/", authed(404, 204, 404), query=_alice, hides_existence=False),
    Rest("GET", "/api/live/vips/", authed(200, 200, 200)),
    Rest("POST", "/api/live/vips/", authed(201, 201, 201), body=_bob),
    Rest("DELETE", "/api/live/vips/", authed(404, 204, 404), query=_alice, hides_existence=False),
    # each caller lists and lifts the bans of their own channel (the banned user's own list has no such ban)
    Rest("GET", "/api/live/bans/", authed(200, 200, 200)),
    Rest(
        "DELETE",
        "/api/live/bans/",
        authed(404, 204, 404),
        query=lambda w: {"username": w.banned.username},
        hides_existence=False,
    ),
    # notifications: the recipient's only
    Rest("GET", "/api/notifications/", authed(200, 200)),
    Rest("GET", "/api/notifications/unread-count/", authed(200, 200)),
    Rest("POST", "/api/notifications/read-all/", authed(200, 200)),
    Rest(
        "POST",
        "/api/notifications/{notification_id}/read/",
        authed(404, 200),
        params=lambda w: {"notification_id": w.notification.pk},
    ),
    # rtc: rooms are owned and private (h2). The owner's room has no lobby, alice is a member,
    # `banned` is banned: a stranger gets 404 like for an unknown room, the banned user 403.
    Rest("GET", "/api/rtc/rooms/", authed(200, 200, 200)),
    Rest("POST", "/api/rtc/rooms/", authed(201, 201, 201), body=lambda w: {"title": "mine"}),
    Rest("GET", "/api/rtc/rooms/{room_id}/", authed(404, 200, 403), params=_room),
    Rest(
        "PATCH", "/api/rtc/rooms/{room_id}/", authed(404, 200, 403), params=_room, body=lambda w: {"title": "renamed"}
    ),
    Rest("DELETE", "/api/rtc/rooms/{room_id}/", authed(404, 204, 403), params=_room),
    Rest("POST", "/api/rtc/rooms/{room_id}/invite/", authed(404, 200, 403), params=_room),
    # with the invite token a stranger becomes a member; a banned user never does
    Rest("POST", "/api/rtc/rooms/{room_id}/join/", authed(201, 200, 403), params=_room, body=_invite),
    Rest("GET", "/api/rtc/rooms/{room_id}/participants/", authed(404, 200, 403), params=_room),
    Rest("GET", "/api/rtc/rooms/{room_id}/lobby/", authed(404, 200, 403), params=_room),
    Rest("POST", f"{LOBBY_USER}/admit/", authed(404, 204, 403), params=_bob_in_lobby, setup=_knock),
    Rest("POST", f"{LOBBY_USER}/deny/", authed(404, 204, 403), params=_bob_in_lobby, setup=_knock),
    Rest("POST", "/api/rtc/rooms/{room_id}/kick/", authed(404, 204, 403), params=_room, body=_alice_id),
    Rest("POST", "/api/rtc/rooms/{room_id}/ban/", authed(404, 204, 403), params=_room, body=_alice_id),
    # (the banned user cannot lift their own ban)
    Rest("DELETE", "/api/rtc/rooms/{room_id}/ban/", authed(404, 204, 403), params=_room, query=_banned_id),
    Rest("GET", "/api/rtc/config/", authed(404, 200, 403), query=lambda w: {"room": w.room_id}),
    # the seeds' aliases (rtc/seed_api.py) apply the same rules
    Rest("GET", "/rooms", authed(200, 200, 200)),
    Rest("GET", "/rooms/{room_id}/peers/", authed(404, 200, 403), params=_room),
    Rest("GET", "/webrtc/config/", authed(404, 200, 403), query=lambda w: {"room": w.room_id}),
    Rest("GET", "/webrtc/rooms/{room_id}/participants/", authed(404, 200, 403), params=_room),
    Rest("GET", "/webrtc/health/", anyone(200)),
    Rest("GET", "/webrtc/stats/", authed(200, 200, 200)),
    Rest("GET", "/webrtc/webrtc-metrics/", authed(200, 200, 200)),
]

REST_BY_KEY = {row.key: row for row in REST}
# Rows where a stranger is told "not found" about something that exists: existence must not leak.
HIDING_ROWS = [
    pytest.param(
        row,
        id=f"{row.method} {row.path}",
        marks=[pytest.mark.xfail(strict=True, reason=row.pending[STRANGER])] if STRANGER in row.pending else [],
    )
    for row in REST
    if row.expect[STRANGER] == 404 and row.hides_existence and (row.params is not _none or row.query is not _none)
]


def _unknown(value: Any) -> Any:
    """A value of the same kind as a real path parameter that names nothing."""
    return 2**62 if isinstance(value, int) else f"mx-unknown-{uuid.uuid4().hex[:8]}"


@functools.cache
def schema_operations() -> frozenset[tuple[str, str]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return frozenset((method.upper(), path) for path, operations in schema["paths"].items() for method in operations)


def _cells(rows: list[Any], key: Callable[[Any], str]) -> Iterator[Any]:
    for row in rows:
        for principal in PRINCIPALS:
            if row.expect.get(principal) is NA:
                continue  # no such state for this resource (the row still says so explicitly)
            marks = []
            if principal in row.pending:
                marks.append(pytest.mark.xfail(strict=True, reason=row.pending[principal]))
            yield pytest.param(row, principal, id=f"{key(row)}-{principal}", marks=marks)


# --- every operation and route has a row ------------------------------------------------------


def test_every_rest_operation_has_a_row() -> None:
    missing = sorted(schema_operations() - set(REST_BY_KEY))
    assert not missing, f"operations without a row in tests/test_authz_matrix.py REST: {missing}"


def test_every_rest_row_is_an_operation() -> None:
    stale = sorted({row.key for row in REST if not row.lands_with} - schema_operations())
    assert not stale, f"rows for operations that are not in /api/schema/: {stale}"
    assert len(REST_BY_KEY) == len(REST), "two rows for one operation"


@pytest.mark.parametrize(
    "row",
    [
        pytest.param(
            row,
            id=f"{row.method} {row.path}",
            marks=pytest.mark.xfail(strict=True, reason=f"awaiting {row.lands_with}"),
        )
        for row in REST
        if row.lands_with
    ],
)
def test_operation_awaited_from_another_branch_has_landed(row: Rest) -> None:
    """Once it lands, drop the row's `lands_with` (this and its cells then pass for real)."""
    assert row.key in schema_operations()


def test_every_row_names_every_principal() -> None:
    for row in [*REST, *WS]:
        assert set(row.expect) == set(PRINCIPALS), row


# --- REST -------------------------------------------------------------------------------------


@pytest.fixture(scope="class")
def rest_world(django_db_setup: Any, django_db_blocker: Any) -> Iterator[World]:
    """Built once for all REST cells inside an outer transaction; each cell runs in a
    savepoint of it (pytest-django's `db`), so what one cell changes never reaches another."""
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=FAST_HASHER):
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield build_world()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


def call(
    row: Rest,
    principal: str,
    world: World,
    *,
    params: dict[str, Any] | None = None,
    query: dict[str, Any] | None = None,
) -> Any:
    client = APIClient()
    headers: dict[str, str] = {"REMOTE_ADDR": fresh_ip()}
    token = credentials(principal, world)
    if token is not None:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    path = row.path.format(**(row.params(world) if params is None else params))
    query = row.query(world) if query is None else query
    if query:
        path = f"{path}?{urlencode(query)}"
    body = row.body(world) if row.body else None
    payload = json.dumps(body) if body is not None else ""
    return client.generic(row.method, path, payload, content_type="application/json", **headers)  # type: ignore[arg-type]


@contextlib.contextmanager
def _prepared(row: Rest, world: World) -> Iterator[None]:
    """A row whose operation has not landed yet is an xfail; otherwise its setup runs, with the fast hasher on."""
    if row.lands_with and row.key not in schema_operations():
        pytest.xfail(f"awaiting {row.lands_with}: the operation is not there yet")
    with override_settings(PASSWORD_HASHERS=FAST_HASHER):
        if row.setup is not None:
            row.setup(world)
        yield


@pytest.mark.usefixtures("rest_world")
class TestRestMatrix:
    @pytest.mark.parametrize(("row", "principal"), list(_cells(REST, lambda r: f"{r.method} {r.path}")))
    def test_status(self, row: Rest, principal: str, rest_world: World, db: None) -> None:
        expected = row.expect[principal]
        with _prepared(row, rest_world):
            response = call(row, principal, rest_world)
        assert response.status_code == expected, (
            f"{row.method} {row.path} as {principal}: {response.status_code} {response.content[:300]!r}"
        )

    @pytest.mark.parametrize("row", HIDING_ROWS)
    def test_stranger_cannot_tell_a_hidden_resource_from_an_unknown_one(
        self, row: Rest, rest_world: World, db: None
    ) -> None:
        """Where a stranger gets 404, the answer is the same, body included, as for an id nothing has."""
        with _prepared(row, rest_world):
            hidden = call(row, STRANGER, rest_world)
            unknown = call(
                row,
                STRANGER,
                rest_world,
                params={k: _unknown(v) for k, v in row.params(rest_world).items()},
                query={k: _unknown(v) for k, v in row.query(rest_world).items()},
            )
        assert hidden.status_code == 404
        assert (hidden.status_code, hidden.json()) == (unknown.status_code, unknown.json())


# --- WebSocket --------------------------------------------------------------------------------

ACCEPTED_CHAT = "connection_established"
ACCEPTED_ROOM = "room_joined"
ACCEPTED_SEED004 = "room-state"
UNAUTHENTICATED = closecodes.UNAUTHENTICATED


def ws_open(stranger: Expect, owner: Expect, banned: Expect = NA) -> dict[str, Expect]:
    return {**dict.fromkeys(BAD_CREDENTIALS, UNAUTHENTICATED), STRANGER: stranger, OWNER: owner, BANNED: banned}


@dataclass(frozen=True)
class Ws:
    route: str  # str(pattern) of the entry in config.routing.websocket_urlpatterns
    path: Callable[[World], str]
    expect: dict[str, Expect]  # a close code, or the first event of an accepted socket
    pending: dict[str, str] = field(default_factory=dict)
    unknown: Callable[[World], str] | None = None  # the same route for an id nothing has (where strangers get 4404)
    unknown_pending: str = ""  # why the stranger can still tell the two apart, for now (strict xfail)


WS: list[Ws] = [
    Ws("ws/notifications/", lambda w: "/ws/notifications/", ws_open(ACCEPTED_CHAT, ACCEPTED_CHAT)),
    Ws(
        "ws/chat/<int:conversation_id>/",
        lambda w: f"/ws/chat/{w.conversation.pk}/",
        ws_open(closecodes.NOT_FOUND, ACCEPTED_CHAT),
        unknown=lambda w: f"/ws/chat/{2**62}/",
    ),
    # streams are public; the channel's banned user is refused
    Ws(
        "ws/live/<int:stream_id>/",
        lambda w: f"/ws/live/{w.live_stream.pk}/",
        ws_open(ACCEPTED_CHAT, ACCEPTED_CHAT, closecodes.FORBIDDEN),
    ),
    Ws(
        "^ws/rooms/(?P<room_id>[^/]*)/$",
        lambda w: f"/ws/rooms/{w.room_id}/",
        ws_open(closecodes.NOT_FOUND, ACCEPTED_ROOM, closecodes.FORBIDDEN),
        unknown=lambda w: f"/ws/rooms/mx-unknown-{w.room_id}/",
    ),
    # the seeds' sockets (rtc/seed_consumers.py): the rooms' rules; seed 004 closes 1008 for any refusal
    Ws(
        "^ws/(?P<room_id>[^/]+)$",
        lambda w: f"/ws/{w.room_id}",
        ws_open(closecodes.NOT_FOUND, ACCEPTED_ROOM, closecodes.FORBIDDEN),
        unknown=lambda w: f"/ws/mx-unknown-{w.room_id}",
    ),
    Ws(
        "^webrtc/ws/(?P<room_id>[^/]+)/?$",
        lambda w: f"/webrtc/ws/{w.room_id}",
        {**dict.fromkeys(BAD_CREDENTIALS, 1008), STRANGER: 1008, OWNER: ACCEPTED_SEED004, BANNED: 1008},
    ),
    # no such socket: the same close for everyone, credentials or not (uvicorn answers HTTP 404 instead)
    Ws("^.*$", lambda w: "/ws/no-such-socket/", dict.fromkeys(PRINCIPALS, closecodes.NOT_FOUND)),
]

WS_BY_ROUTE = {row.route: row for row in WS}


def test_every_websocket_route_has_a_row() -> None:
    routes = {str(pattern.pattern) for pattern in websocket_urlpatterns}
    assert not sorted(routes - set(WS_BY_ROUTE)), (
        f"routes without a row in tests/test_authz_matrix.py WS: {sorted(routes - set(WS_BY_ROUTE))}"
    )
    assert not sorted(set(WS_BY_ROUTE) - routes), (
        f"rows for routes that do not exist: {sorted(set(WS_BY_ROUTE) - routes)}"
    )


async def outcome(path: str) -> Expect:
    """The close code the server sent, or the first event of an accepted socket."""
    return (await _outcome_and_errors(path))[0]


async def _outcome_and_errors(path: str) -> tuple[Expect, list[dict[str, Any]]]:
    """`outcome`, and the `error` frames that came before it."""
    from config.asgi import application

    comm = WebsocketCommunicator(application, path)
    connected, code = await comm.connect(timeout=10)
    if not connected:
        return code, []
    errors: list[dict[str, Any]] = []
    try:
        while True:
            message = await comm.receive_output(timeout=10)
            if message["type"] == "websocket.close":
                return message["code"], errors
            frame = json.loads(message["text"])
            if frame["type"] in (ACCEPTED_CHAT, ACCEPTED_ROOM, ACCEPTED_SEED004):
                return frame["type"], errors
            if frame["type"] == "error":  # native {type, data}; the gRTC socket's frames are flat
                errors.append(frame.get("data", frame))
    finally:
        await comm.disconnect()


@pytest.fixture(scope="class")
def ws_world(redis_url: str, postgres_required: None, django_db_setup: Any, django_db_blocker: Any) -> Iterator[World]:
    """Built once for all socket cells and committed, so the consumers' own database
    connections see it; removed again when the class is done. Opening a socket in these
    cells changes no row (only presence in Redis, which the socket's close releases)."""
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=FAST_HASHER):
        world = build_world()
        try:
            yield world
        finally:
            world.delete()


class TestWebSocketMatrix:
    @pytest.mark.parametrize(("row", "principal"), list(_cells(WS, lambda r: r.route)))
    async def test_outcome(self, row: Ws, principal: str, ws_world: World) -> None:
        token = await sync_to_async(credentials)(principal, ws_world)
        path = row.path(ws_world) + (f"?token={token}" if token is not None else "")
        assert await outcome(path) == row.expect[principal], f"{row.route} as {principal}"

    @pytest.mark.parametrize(
        "row",
        [
            pytest.param(
                row,
                id=row.route,
                marks=[pytest.mark.xfail(strict=True, reason=row.unknown_pending)] if row.unknown_pending else [],
            )
            for row in WS
            if row.unknown is not None
        ],
    )
    async def test_stranger_cannot_tell_a_hidden_resource_from_an_unknown_one(self, row: Ws, ws_world: World) -> None:
        token = await sync_to_async(credentials)(STRANGER, ws_world)
        hidden = await _outcome_and_errors(f"{row.path(ws_world)}?token={token}")
        assert row.unknown is not None
        unknown = await _outcome_and_errors(f"{row.unknown(ws_world)}?token={token}")
        assert hidden == unknown
        assert hidden[0] == closecodes.NOT_FOUND


# --- pages that act: the admin; and every web page needs a login -------------------------------
# Pages authenticate with the session only: a JWT in the Authorization header (even a
# superuser's) is not a login there.

PAGE_PRINCIPALS = ("anonymous", "superuser_bearer_token", "user_session", "staff_session", "superuser_session")


@dataclass(frozen=True)
class Page:
    method: str
    path: Callable[[Any], str]  # (the target user) -> path
    expect: dict[str, int]
    target_survives: dict[str, bool] = field(default_factory=dict)


def _to_admin_login(anonymous: int = 302, **rest: int) -> dict[str, int]:
    return {"anonymous": anonymous, "superuser_bearer_token": anonymous, "user_session": anonymous, **rest}


PAGES: dict[str, Page] = {
    "admin-index": Page("GET", lambda t: "/admin/", _to_admin_login(staff_session=200, superuser_session=200)),
    "admin-user-list": Page(
        "GET", lambda t: "/admin/accounts/user/", _to_admin_login(staff_session=403, superuser_session=200)
    ),
    "admin-user-delete": Page(
        "POST",
        lambda t: f"/admin/accounts/user/{t.pk}/delete/",
        _to_admin_login(staff_session=403, superuser_session=302),
        target_survives={"superuser_session": False},
    ),
}


@pytest.mark.django_db
@pytest.mark.parametrize("principal", PAGE_PRINCIPALS)
@pytest.mark.parametrize("name", list(PAGES))
def test_admin_page(name: str, principal: str, django_user_model: Any) -> None:
    from django.test import Client

    from conftest import access_token

    page = PAGES[name]
    with override_settings(PASSWORD_HASHERS=FAST_HASHER):
        target = django_user_model.objects.create_user(username=f"mx_target_{uuid.uuid4().hex[:6]}", password=PASSWORD)
        people = {
            "user_session": django_user_model.objects.create_user(
                username=f"mx_user_{uuid.uuid4().hex[:6]}", password=PASSWORD
            ),
            "staff_session": django_user_model.objects.create_user(
                username=f"mx_staff_{uuid.uuid4().hex[:6]}", password=PASSWORD, is_staff=True
            ),
            "superuser_session": django_user_model.objects.create_superuser(
                username=f"mx_root_{uuid.uuid4().hex[:6]}", password=PASSWORD
            ),
        }
    client = Client(REMOTE_ADDR=fresh_ip())
    headers: dict[str, str] = {}
    if principal == "superuser_bearer_token":
        headers["HTTP_AUTHORIZATION"] = f"Bearer {access_token(people['superuser_session'])}"
    elif principal in people:
        client.force_login(people[principal])
    data = {"post": "yes"} if page.method == "POST" else None
    response = client.generic(
        page.method,
        page.path(target),
        urlencode(data) if data else "",
        content_type="application/x-www-form-urlencoded",
        **headers,  # type: ignore[arg-type]
    )
    assert response.status_code == page.expect[principal], f"{name} as {principal}: {response.status_code}"
    if principal in ("anonymous", "superuser_bearer_token", "user_session"):
        assert response["Location"].startswith("/admin/login/"), response["Location"]
    survives = page.target_survives.get(principal, True)
    assert django_user_model.objects.filter(pk=target.pk).exists() == survives


def _sample_path(pattern: Any) -> str:
    from django.urls import reverse

    converters = {"int": 1, "str": "x", "slug": "x", "path": "x"}
    kwargs = {
        name: converters.get(type(conv).__name__.replace("Converter", "").lower(), "x")
        for name, conv in pattern.pattern.converters.items()
    }
    return reverse(pattern.name, kwargs=kwargs)


OPEN_PAGES = {"signup", "login", "logout"}  # the way in and out


@pytest.mark.django_db
def test_every_web_page_needs_a_login() -> None:
    from django.test import Client

    from web.urls import urlpatterns

    client = Client()
    checked = 0
    for pattern in urlpatterns:
        if pattern.name in OPEN_PAGES:
            continue
        path = _sample_path(pattern)
        response = client.get(path)
        assert response.status_code == 302 and response["Location"].startswith("/login/"), (
            f"{pattern.name} ({path}): {response.status_code}"
        )
        checked += 1
    assert checked >= 5
