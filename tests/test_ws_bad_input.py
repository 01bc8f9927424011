"""Bad input on every client message type of every socket (chat has its own tests).

One table: endpoint x message type x bad payload -> the `error` code the sender must get.
For every row the test also proves that nothing stored changed (a snapshot of the rows
the message could touch), that no other socket (another user's, another stream's or
room's) received anything, and that the socket still answers `ping` with `pong`.
Cases already covered by an app's own tests are not repeated here (oversized SDP,
someone else's notification id, a room peer of another room, a candidate that is a string).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import pytest
from asgiref.sync import sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.contrib.auth import get_user_model

from accounts.models import Follow
from config.routing import websocket_urlpatterns
from conftest import access_token
from livestream.models import Ban, Kick, LiveComment, Stream
from livestream.services import comment_create, stream_create, stream_start
from notifications import services as notification_services
from notifications.models import Notification
from realtime.auth import websocket_stack
from realtime.events import Event, event
from realtime.groups import connection_group, user_group
from realtime.publish import apublish
from realtime.testing import nested, open_socket, recursion_bomb, recv, recv_type, recv_until, send
from rtc.models import RoomBan, RoomMember
from rtc.services import room_create, room_join

pytestmark = [pytest.mark.django_db(transaction=True)]


@event("test_sentinel")
class Sentinel(Event):
    marker: str


app = websocket_stack(URLRouter(websocket_urlpatterns))
SDP = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
INT64_MAX = 2**63 - 1


@dataclass(frozen=True)
class Ref:
    """A value known only once the scenario exists and its sockets are open (a peer id, a comment id)."""

    key: str
    transform: Callable[[Any], Any] | None = None

    def of(self, ctx: dict[str, Any]) -> Any:
        value = ctx[self.key]
        return self.transform(value) if self.transform else value


def _resolve(value: Any, ctx: dict[str, Any]) -> Any:
    if isinstance(value, Ref):
        return value.of(ctx)
    if isinstance(value, dict):
        return {key: _resolve(item, ctx) for key, item in value.items()}
    return value


@dataclass(frozen=True)
class Case:
    endpoint: str  # "notifications" | "live" | "rooms"
    type: str
    data: Any = None  # the payload; `Ref`s in it are filled in from the scenario
    code: str = "invalid"
    sender: str = "viewer"  # live only: which socket sends ("streamer" or "viewer")
    error_field: str | None = None  # must appear in `errors` (validation errors)
    raw: str | None = None  # send this text instead of {"type", "data"}
    id: str = ""

    def frame(self, ctx: dict[str, Any]) -> str:
        if self.raw is not None:
            return self.raw
        return json.dumps({"type": self.type, "data": _resolve(self.data, ctx)})


class Row(Protocol):
    def __call__(self, event_type: str, data: Any, name: str, code: str = ..., *, field: str | None = ...) -> Case: ...


def _rows(endpoint: str, *, sender: str = "viewer") -> Row:
    """One table row per call: `row(type, data, name, code, field=...)` is the case `<endpoint>-<type>-<name>`."""

    def row(event_type: str, data: Any, name: str, code: str = "invalid", *, field: str | None = None) -> Case:
        case_id = f"{endpoint}-{event_type}-{name}"
        return Case(endpoint, event_type, data, code=code, sender=sender, error_field=field, id=case_id)

    return row


def _wrong_types(
    endpoint: str, event_type: str, base: dict[str, Any], name: str, *, sender: str = "viewer", nullable: bool = False
) -> list[Case]:
    """`name` missing, then as a number / string / list / object / null where another type is expected."""
    rest = {k: v for k, v in base.items() if k != name}
    values: dict[str, Any] = {"list": [base.get(name)], "bool": True}
    if not nullable:
        values["null"] = None
    if isinstance(base.get(name), dict):
        values["string"] = "candidate"
        values["number"] = 5
    else:
        values["object"] = {"value": base.get(name)}
        if isinstance(base.get(name), str):
            values["number"] = 5
        else:
            values["string"] = "7"
            values["float"] = 1.5
    row = _rows(endpoint, sender=sender)
    return [
        row(event_type, rest, f"{name}-missing", field=name),
        *(row(event_type, {**rest, name: value}, f"{name}-{label}", field=name) for label, value in values.items()),
    ]


def _core(endpoint: str) -> list[Case]:
    """The envelope itself, and a malformed `ping`, on every socket."""

    def raw(text: str, code: str, name: str) -> Case:
        return Case(endpoint, "ping", raw=text, code=code, id=f"{endpoint}-{name}")

    auth = _rows(endpoint)
    return [
        raw("{not json", "invalid_json", "not-json"),
        raw("[1, 2]", "invalid_frame", "frame-is-list"),
        raw('{"data": {}}', "invalid_frame", "type-missing"),
        raw('{"type": 5}', "invalid_frame", "type-number"),
        raw('{"type": null}', "invalid_frame", "type-null"),
        raw('{"type": "ping", "data": [1]}', "invalid_frame", "ping-data-list"),
        raw('{"type": "ping", "data": "x"}', "invalid_frame", "ping-data-string"),
        raw(json.dumps({"type": "ping", "data": {"ts": "x" * 70_000}}), "frame_too_large", "ping-oversized"),
        raw(json.dumps({"type": "x" * 200}), "unknown_type", "unknown-type"),
        # ~60 KB of `[`, under the frame limit: used to raise RecursionError and kill the socket (1011).
        raw(recursion_bomb(), "frame_too_deep", "nested-bomb"),
        raw(json.dumps({"type": "ping", "data": {"x": nested(32)}}), "frame_too_deep", "nested-33-levels"),
        # `authenticate` (core): a bad token is an error, the socket keeps its credentials.
        auth("authenticate", {}, "token-missing", field="token"),
        auth("authenticate", {"token": 5}, "token-number", field="token"),
        auth("authenticate", {"token": ["x"]}, "token-list", field="token"),
        auth("authenticate", {"token": "x" * 5000}, "token-oversized", field="token"),
        auth("authenticate", {"token": "not.a.jwt"}, "token-garbage", "token_invalid"),
    ]


_note = _rows("notifications")
NOTIFICATION_CASES = [
    *_core("notifications"),
    *_wrong_types("notifications", "mark_read", {"id": 1}, "id"),
    _note("mark_read", {"id": 0}, "id-zero", field="id"),
    _note("mark_read", {"id": -1}, "id-negative", field="id"),
    _note("mark_read", {"id": 2**63}, "id-over-int64", field="id"),
    _note("mark_read", {"id": 10**40}, "id-huge", field="id"),
    _note("mark_read", {"id": INT64_MAX}, "id-unknown", "notification_not_found"),
    _note("mark_all_read", [1], "list", "invalid_frame"),
    _note("mark_all_read", 5, "number", "invalid_frame"),
    _note("mark_all_read", "all", "string", "invalid_frame"),
]

_viewer = _rows("live")
_streamer = _rows("live", sender="streamer")
ICE = {"candidate": "c", "sdpMid": "0", "sdpMLineIndex": 0}
LIVE_CASES = [
    *_core("live"),
    # stream control: only the streamer, only valid transitions
    _viewer("start_stream", {}, "by-viewer", "forbidden"),
    _streamer("start_stream", {}, "already-live", "invalid_status"),
    _streamer("start_stream", [True], "list", "invalid_frame"),
    _viewer("end_stream", {}, "by-viewer", "forbidden"),
    _streamer("end_stream", "now", "string", "invalid_frame"),
    # comments
    *_wrong_types("live", "comment", {"text": "hi"}, "text"),
    _viewer("comment", {"text": "   "}, "blank"),
    _viewer("comment", {"text": "x" * 501}, "over-limit"),
    _viewer("comment", {"text": "x" * 20_000}, "oversized", field="text"),
    *_wrong_types("live", "delete_comment", {"id": 1}, "id", sender="streamer"),
    _streamer("delete_comment", {"id": 2**63}, "id-over-int64", field="id"),
    _streamer("delete_comment", {"id": -3}, "id-negative", field="id"),
    _streamer("delete_comment", {"id": Ref("other_comment")}, "other-stream", "comment_not_found"),
    _viewer("delete_comment", {"id": Ref("own_comment")}, "by-viewer", "forbidden"),
    # kick: a user id (number or digits) or a username
    _streamer("kick", {}, "user-missing", field="user"),
    _streamer("kick", {"user": None}, "user-null", field="user"),
    _streamer("kick", {"user": ["bob"]}, "user-list", field="user"),
    _streamer("kick", {"user": {"id": 1}}, "user-object", field="user"),
    _streamer("kick", {"user": "x" * 151}, "user-oversized", field="user"),
    _streamer("kick", {"user": "\u00b2"}, "user-superscript-digit", "user_not_found"),
    _streamer("kick", {"user": "9" * 40}, "user-id-huge", "user_not_found"),
    _streamer("kick", {"user": 2**70}, "user-number-huge", field="user"),
    _viewer("kick", {"user": Ref("streamer_id")}, "by-viewer", "forbidden"),
    # signaling
    *_wrong_types("live", "webrtc_offer", {"target": "0" * 32, "sdp": SDP}, "sdp", sender="streamer"),
    *_wrong_types("live", "webrtc_offer", {"target": "0" * 32, "sdp": SDP}, "target", sender="streamer"),
    _viewer("webrtc_offer", {"target": Ref("viewer_peer"), "sdp": SDP}, "by-viewer", "forbidden"),
    _streamer(
        "webrtc_offer", {"target": Ref("viewer_peer", str.upper), "sdp": SDP}, "target-malformed", field="target"
    ),
    *_wrong_types("live", "webrtc_answer", {"sdp": SDP}, "sdp"),
    _viewer("webrtc_answer", {"sdp": SDP, "target": 5}, "target-number", field="target"),
    _viewer("webrtc_answer", {"sdp": SDP, "target": Ref("other_streamer_peer")}, "other-stream", "forbidden"),
    _streamer("webrtc_answer", {"sdp": SDP, "target": Ref("viewer_peer")}, "by-streamer", "forbidden"),
    *_wrong_types("live", "ice_candidate", {"candidate": ICE}, "candidate", nullable=True),
    _viewer("ice_candidate", {"candidate": {"candidate": 5}}, "candidate-string-number", field="candidate"),
    _viewer(
        "ice_candidate", {"candidate": {"candidate": "c", "sdpMLineIndex": "0"}}, "mline-string", field="candidate"
    ),
    _viewer("ice_candidate", {"candidate": {"candidate": "c", "sdpMid": 0}}, "mid-number", field="candidate"),
    _viewer("ice_candidate", {"candidate": {"candidate": "c" * 5000}}, "oversized", field="candidate"),
    _viewer("ice_candidate", {"candidate": None, "target": Ref("other_streamer_peer")}, "other-stream", "forbidden"),
    _streamer("ice_candidate", {"candidate": None}, "streamer-without-target"),
    _streamer(
        "ice_candidate",
        {"candidate": None, "target": Ref("other_viewer_peer")},
        "other-stream-viewer",
        "unknown_target",
    ),
    _viewer("request_offer", {"target": 5}, "target-number", field="target"),
    _viewer("request_offer", {"target": ["x"]}, "target-list", field="target"),
    _viewer("request_offer", {"target": Ref("other_streamer_peer")}, "other-stream", "forbidden"),
    _streamer("request_offer", {}, "by-streamer", "forbidden"),
]

_room = _rows("rooms")
_to_peer = {"target": Ref("peer")}
ROOM_CASES = [
    *_core("rooms"),
    *_wrong_types("rooms", "offer", {"target": "0" * 32, "sdp": SDP}, "sdp"),
    *_wrong_types("rooms", "offer", {"target": "0" * 32, "sdp": SDP}, "target"),
    _room("offer", {"target": "x" * 65, "sdp": SDP}, "target-oversized", field="target"),
    _room("offer", {"target": Ref("own_peer"), "sdp": SDP}, "to-self", "unknown_peer"),
    *_wrong_types("rooms", "answer", {"target": "0" * 32, "sdp": SDP}, "sdp"),
    _room("answer", {"target": {"id": 1}, "sdp": SDP}, "target-object", field="target"),
    _room("answer", {"target": Ref("other_room_peer"), "sdp": SDP}, "other-room", "unknown_peer"),
    _room("ice_candidate", {"candidate": None}, "target-missing", field="target"),
    _room("ice_candidate", _to_peer, "candidate-missing", field="candidate"),
    _room("ice_candidate", {**_to_peer, "candidate": 5}, "number", field="candidate"),
    _room("ice_candidate", {**_to_peer, "candidate": ["c"]}, "list", field="candidate"),
    _room("ice_candidate", {**_to_peer, "candidate": {"candidate": 5}}, "field-number", field="candidate"),
    _room("ice_candidate", {**_to_peer, "candidate": {"candidate": "c" * 5000}}, "oversized", field="candidate"),
    _room(
        "ice_candidate",
        {**_to_peer, "candidate": {"candidate": "c", "sdpMLineIndex": "0"}},
        "mline-string",
        field="candidate",
    ),
    _room("ice_candidate", {"target": Ref("other_room_peer"), "candidate": None}, "other-room", "unknown_peer"),
    _room("broadcast", {"data": None}, "null", field="data"),
    _room("broadcast", {"data": "x" * 40_000}, "oversized", "data_too_large"),
    _room("broadcast", ["x"], "list", "invalid_frame"),
    *_wrong_types("rooms", "admit", {"user_id": 1}, "user_id"),
    _room("admit", {"user_id": 0}, "zero", field="user_id"),
    _room("admit", {"user_id": INT64_MAX + 1}, "beyond-bigint", field="user_id"),
    _room("admit", {"user_id": Ref("third_id")}, "not-waiting", "not_waiting"),
    *_wrong_types("rooms", "deny", {"user_id": 1}, "user_id"),
    _room("deny", {"user_id": Ref("other_id")}, "not-waiting", "not_waiting"),
]

CASES = [*NOTIFICATION_CASES, *LIVE_CASES, *ROOM_CASES]


# --- the sockets of one scenario -----------------------------------------------------------


async def _pong(comm: WebsocketCommunicator) -> None:
    await send(comm, "ping", {"ts": 1})
    await recv_type(comm, "pong", timeout=10)


async def _until_sentinel(comm: WebsocketCommunicator, group: str) -> list[dict[str, Any]]:
    """Publish a marker to the socket's group and return every frame that arrived before it.

    The channel layer delivers one channel's messages in the order they were sent, so
    anything a bad frame relayed to this socket comes before the marker: no sleeps needed.
    """
    marker = uuid.uuid4().hex
    await apublish(group, Sentinel(marker=marker))
    return (await recv_until(comm, "test_sentinel", timeout=10, marker=marker))[:-1]


def _user(name: str) -> Any:
    return get_user_model().objects.create_user(username=name, password="pw-not-used")


def _notification_scenario() -> dict[str, Any]:
    alice, bob, carol = _user("bad_alice"), _user("bad_bob"), _user("bad_carol")
    for follower, followee in ((carol, alice), (carol, bob)):
        follow = Follow.objects.create(follower=follower, followee=followee)
        notification_services.notification_create_for_follow(follow=follow, follower=follower, followee=followee)
    return {"users": {"sender": alice, "other": bob}, "other_notification": Notification.objects.get(recipient=bob).pk}


def _live_scenario() -> dict[str, Any]:
    streamer, viewer, other_streamer, other_viewer = (
        _user("bad_host"),
        _user("bad_viewer"),
        _user("bad_host2"),
        _user("bad_viewer2"),
    )
    stream = stream_start(stream_id=stream_create(streamer=streamer, title="one").pk, user=streamer)
    other = stream_start(stream_id=stream_create(streamer=other_streamer, title="two").pk, user=other_streamer)
    return {
        "users": {
            "streamer": streamer,
            "viewer": viewer,
            "other_streamer": other_streamer,
            "other_viewer": other_viewer,
        },
        "stream": stream.pk,
        "other_stream": other.pk,
        "streamer_id": streamer.pk,
        "own_comment": comment_create(stream_id=stream.pk, author=viewer, text="mine").pk,
        "other_comment": comment_create(stream_id=other.pk, author=other_viewer, text="theirs").pk,
    }


def _room_scenario() -> dict[str, Any]:
    sender, other, third = _user("bad_peer_a"), _user("bad_peer_b"), _user("bad_peer_c")
    room = room_create(owner=sender, room_id=f"bad-{sender.pk}")
    room_join(room_id=room.room_id, user=other, invite=room.invite_token)
    other_room = room_create(owner=third, room_id=f"bad-other-{sender.pk}")
    return {
        "users": {"sender": sender, "other": other, "third": third},
        "other_id": other.pk,
        "third_id": third.pk,
        "room": room.room_id,
        "other_room": other_room.room_id,
    }


def _snapshot() -> dict[str, Any]:
    """Everything a bad frame on these sockets could have written."""
    return {
        "notifications": sorted(Notification.objects.values_list("id", "recipient_id", "read_at")),
        "streams": sorted(Stream.objects.values_list("id", "status", "ended_at")),
        "comments": sorted(LiveComment.objects.values_list("id", "text", "deleted_at")),
        "kicks": Kick.objects.count(),
        "bans": Ban.objects.count(),
        "room_members": sorted(RoomMember.objects.values_list("room_id", "user_id", "role")),
        "room_bans": RoomBan.objects.count(),
    }


Others = list[tuple[WebsocketCommunicator, str]]  # another socket and a group that reaches only it


async def _connect(endpoint: str, ctx: dict[str, Any]) -> tuple[WebsocketCommunicator, Others]:
    """Open the sender's socket and the others' sockets; fill peer ids into `ctx`."""
    tokens = {role: await sync_to_async(access_token)(user) for role, user in ctx["users"].items()}
    if endpoint == "notifications":
        sender = await open_socket(app, f"/ws/notifications/?token={tokens['sender']}")
        other = await open_socket(app, f"/ws/notifications/?token={tokens['other']}")
        for comm in (sender, other):
            await recv_type(comm, "unread_count", timeout=10)
        return sender, [(other, user_group(ctx["users"]["other"].pk))]
    if endpoint == "live":
        sockets: dict[str, WebsocketCommunicator] = {}
        for role, stream in (
            ("streamer", "stream"),
            ("viewer", "stream"),
            ("other_streamer", "other_stream"),
            ("other_viewer", "other_stream"),
        ):
            sockets[role] = await open_socket(app, f"/ws/live/{ctx[stream]}/?token={tokens[role]}")
            ctx[f"{role}_peer"] = (await recv_type(sockets[role], "connection_established", timeout=10))["data"]["peer"]
        sender = sockets.pop(ctx["sender"])
        return sender, [(comm, connection_group(ctx[f"{role}_peer"])) for role, comm in sockets.items()]
    room, other_room = ctx["room"], ctx["other_room"]
    sender = await open_socket(app, f"/ws/rooms/{room}/?token={tokens['sender']}")
    ctx["own_peer"] = (await recv_type(sender, "room_joined", timeout=10))["data"]["peer_id"]
    other = await open_socket(app, f"/ws/rooms/{room}/?token={tokens['other']}")
    ctx["peer"] = (await recv_type(other, "room_joined", timeout=10))["data"]["peer_id"]
    third = await open_socket(app, f"/ws/rooms/{other_room}/?token={tokens['third']}")
    ctx["other_room_peer"] = (await recv_type(third, "room_joined", timeout=10))["data"]["peer_id"]
    return sender, [(other, connection_group(ctx["peer"])), (third, connection_group(ctx["other_room_peer"]))]


SCENARIOS = {"notifications": _notification_scenario, "live": _live_scenario, "rooms": _room_scenario}


@pytest.mark.parametrize("case", CASES, ids=[c.id or f"{c.endpoint}-{c.type}" for c in CASES])
async def test_bad_frame_gets_an_error_and_changes_nothing(case: Case) -> None:
    ctx = await sync_to_async(SCENARIOS[case.endpoint])()
    ctx["sender"] = case.sender
    sender, others = await _connect(case.endpoint, ctx)
    # Every socket has finished connecting (and announcing itself) once it answers a ping;
    # then drop what the setup sent them.
    for comm in (sender, *(c for c, _ in others)):
        await _pong(comm)
    for comm, group in others:
        await _until_sentinel(comm, group)
    before = await sync_to_async(_snapshot)()

    await sender.send_to(text_data=case.frame(ctx))
    error = await recv(sender, 10)

    assert error["type"] == "error", error
    assert error["data"]["code"] == case.code, error
    assert isinstance(error["data"]["message"], str) and error["data"]["message"], error
    assert len(error["data"]["message"]) < 1000, "the message must not echo a huge value back"
    if case.error_field:
        assert case.error_field in error["data"].get("errors", {}), error
    # The socket survives and still answers.
    await send(sender, "ping", {"ts": 1})
    assert (await recv(sender, 10))["type"] == "pong"
    assert await sync_to_async(_snapshot)() == before
    for comm, group in others:
        assert await _until_sentinel(comm, group) == [], "another socket received something"
    for comm in (sender, *(c for c, _ in others)):
        await comm.disconnect()
