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
from dataclasses import dataclass, field
from typing import Any

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

Data = Any  # a payload, or a callable(ctx) -> payload for ids that only exist at run time


@dataclass(frozen=True)
class Case:
    endpoint: str  # "notifications" | "live" | "rooms"
    type: str
    data: Data = None
    code: str = "invalid"
    sender: str = "viewer"  # live only: which socket sends ("streamer" or "viewer")
    error_field: str | None = None  # must appear in `errors` (validation errors)
    raw: str | None = None  # send this text instead of {"type", "data"}
    id: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def frame(self, ctx: dict[str, Any]) -> str:
        if self.raw is not None:
            return self.raw
        data = self.data(ctx) if callable(self.data) else self.data
        return json.dumps({"type": self.type, "data": data})


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
    cases = [
        Case(endpoint, event_type, rest, sender=sender, error_field=name, id=f"{endpoint}-{event_type}-{name}-missing")
    ]
    for label, value in values.items():
        cases.append(
            Case(
                endpoint,
                event_type,
                {**rest, name: value},
                sender=sender,
                error_field=name,
                id=f"{endpoint}-{event_type}-{name}-{label}",
            )
        )
    return cases


def _core(endpoint: str) -> list[Case]:
    """The envelope itself, and a malformed `ping`, on every socket."""
    return [
        Case(endpoint, "ping", raw="{not json", code="invalid_json", id=f"{endpoint}-not-json"),
        Case(endpoint, "ping", raw="[1, 2]", code="invalid_frame", id=f"{endpoint}-frame-is-list"),
        Case(endpoint, "ping", raw='{"data": {}}', code="invalid_frame", id=f"{endpoint}-type-missing"),
        Case(endpoint, "ping", raw='{"type": 5}', code="invalid_frame", id=f"{endpoint}-type-number"),
        Case(endpoint, "ping", raw='{"type": null}', code="invalid_frame", id=f"{endpoint}-type-null"),
        Case(
            endpoint, "ping", raw='{"type": "ping", "data": [1]}', code="invalid_frame", id=f"{endpoint}-ping-data-list"
        ),
        Case(
            endpoint,
            "ping",
            raw='{"type": "ping", "data": "x"}',
            code="invalid_frame",
            id=f"{endpoint}-ping-data-string",
        ),
        Case(
            endpoint,
            "ping",
            raw=json.dumps({"type": "ping", "data": {"ts": "x" * 70_000}}),
            code="frame_too_large",
            id=f"{endpoint}-ping-oversized",
        ),
        Case(endpoint, "ping", raw=json.dumps({"type": "x" * 200}), code="unknown_type", id=f"{endpoint}-unknown-type"),
        # ~60 KB of `[`, under the frame limit: used to raise RecursionError and kill the socket (1011).
        Case(endpoint, "ping", raw=recursion_bomb(), code="frame_too_deep", id=f"{endpoint}-nested-bomb"),
        Case(
            endpoint,
            "ping",
            raw=json.dumps({"type": "ping", "data": {"x": nested(32)}}),
            code="frame_too_deep",
            id=f"{endpoint}-nested-33-levels",
        ),
        # `authenticate` (core): a bad token is an error, the socket keeps its credentials.
        Case(endpoint, "authenticate", {}, error_field="token", id=f"{endpoint}-authenticate-token-missing"),
        Case(endpoint, "authenticate", {"token": 5}, error_field="token", id=f"{endpoint}-authenticate-token-number"),
        Case(endpoint, "authenticate", {"token": ["x"]}, error_field="token", id=f"{endpoint}-authenticate-token-list"),
        Case(
            endpoint,
            "authenticate",
            {"token": "x" * 5000},
            error_field="token",
            id=f"{endpoint}-authenticate-token-oversized",
        ),
        Case(
            endpoint,
            "authenticate",
            {"token": "not.a.jwt"},
            code="token_invalid",
            id=f"{endpoint}-authenticate-token-garbage",
        ),
    ]


def _peer(key: str) -> Callable[[dict[str, Any]], str]:
    return lambda ctx: ctx[key]


NOTIFICATION_CASES = [
    *_core("notifications"),
    *_wrong_types("notifications", "mark_read", {"id": 1}, "id"),
    Case("notifications", "mark_read", {"id": 0}, error_field="id", id="notifications-mark_read-id-zero"),
    Case("notifications", "mark_read", {"id": -1}, error_field="id", id="notifications-mark_read-id-negative"),
    Case("notifications", "mark_read", {"id": 2**63}, error_field="id", id="notifications-mark_read-id-over-int64"),
    Case("notifications", "mark_read", {"id": 10**40}, error_field="id", id="notifications-mark_read-id-huge"),
    Case(
        "notifications",
        "mark_read",
        {"id": INT64_MAX},
        code="notification_not_found",
        id="notifications-mark_read-id-unknown",
    ),
    Case(
        "notifications",
        "mark_all_read",
        [1],
        raw=json.dumps({"type": "mark_all_read", "data": [1]}),
        code="invalid_frame",
        id="notifications-mark_all_read-list",
    ),
    Case(
        "notifications",
        "mark_all_read",
        raw='{"type": "mark_all_read", "data": 5}',
        code="invalid_frame",
        id="notifications-mark_all_read-number",
    ),
    Case(
        "notifications",
        "mark_all_read",
        raw='{"type": "mark_all_read", "data": "all"}',
        code="invalid_frame",
        id="notifications-mark_all_read-string",
    ),
]

LIVE_CASES = [
    *_core("live"),
    # stream control: only the streamer, only valid transitions
    Case("live", "start_stream", {}, code="forbidden", id="live-start_stream-by-viewer"),
    Case("live", "start_stream", {}, code="invalid_status", sender="streamer", id="live-start_stream-already-live"),
    Case(
        "live",
        "start_stream",
        raw='{"type": "start_stream", "data": [true]}',
        code="invalid_frame",
        sender="streamer",
        id="live-start_stream-list",
    ),
    Case("live", "end_stream", {}, code="forbidden", id="live-end_stream-by-viewer"),
    Case(
        "live",
        "end_stream",
        raw='{"type": "end_stream", "data": "now"}',
        code="invalid_frame",
        sender="streamer",
        id="live-end_stream-string",
    ),
    # comments
    *_wrong_types("live", "comment", {"text": "hi"}, "text"),
    Case("live", "comment", {"text": "   "}, id="live-comment-blank"),
    Case("live", "comment", {"text": "x" * 501}, id="live-comment-over-limit"),
    Case("live", "comment", {"text": "x" * 20_000}, error_field="text", id="live-comment-oversized"),
    *_wrong_types("live", "delete_comment", {"id": 1}, "id", sender="streamer"),
    Case(
        "live",
        "delete_comment",
        {"id": 2**63},
        sender="streamer",
        error_field="id",
        id="live-delete_comment-id-over-int64",
    ),
    Case(
        "live", "delete_comment", {"id": -3}, sender="streamer", error_field="id", id="live-delete_comment-id-negative"
    ),
    Case(
        "live",
        "delete_comment",
        lambda ctx: {"id": ctx["other_comment"]},
        code="comment_not_found",
        sender="streamer",
        id="live-delete_comment-other-stream",
    ),
    Case(
        "live",
        "delete_comment",
        lambda ctx: {"id": ctx["own_comment"]},
        code="forbidden",
        id="live-delete_comment-by-viewer",
    ),
    # kick: a user id (number or digits) or a username
    Case("live", "kick", {}, sender="streamer", error_field="user", id="live-kick-user-missing"),
    Case("live", "kick", {"user": None}, sender="streamer", error_field="user", id="live-kick-user-null"),
    Case("live", "kick", {"user": ["bob"]}, sender="streamer", error_field="user", id="live-kick-user-list"),
    Case("live", "kick", {"user": {"id": 1}}, sender="streamer", error_field="user", id="live-kick-user-object"),
    Case("live", "kick", {"user": "x" * 151}, sender="streamer", error_field="user", id="live-kick-user-oversized"),
    Case(
        "live",
        "kick",
        {"user": "\u00b2"},
        code="user_not_found",
        sender="streamer",
        id="live-kick-user-superscript-digit",
    ),
    Case("live", "kick", {"user": "9" * 40}, code="user_not_found", sender="streamer", id="live-kick-user-id-huge"),
    Case("live", "kick", {"user": 2**70}, sender="streamer", error_field="user", id="live-kick-user-number-huge"),
    Case("live", "kick", lambda ctx: {"user": ctx["streamer_id"]}, code="forbidden", id="live-kick-by-viewer"),
    # signaling
    *_wrong_types("live", "webrtc_offer", {"target": "0" * 32, "sdp": SDP}, "sdp", sender="streamer"),
    *_wrong_types("live", "webrtc_offer", {"target": "0" * 32, "sdp": SDP}, "target", sender="streamer"),
    Case(
        "live",
        "webrtc_offer",
        lambda ctx: {"target": ctx["viewer_peer"], "sdp": SDP},
        code="forbidden",
        id="live-webrtc_offer-by-viewer",
    ),
    Case(
        "live",
        "webrtc_offer",
        lambda ctx: {"target": ctx["viewer_peer"].upper(), "sdp": SDP},
        sender="streamer",
        error_field="target",
        id="live-webrtc_offer-target-malformed",
    ),
    *_wrong_types("live", "webrtc_answer", {"sdp": SDP}, "sdp"),
    Case(
        "live", "webrtc_answer", {"sdp": SDP, "target": 5}, error_field="target", id="live-webrtc_answer-target-number"
    ),
    Case(
        "live",
        "webrtc_answer",
        lambda ctx: {"sdp": SDP, "target": ctx["other_streamer_peer"]},
        code="forbidden",
        id="live-webrtc_answer-other-stream",
    ),
    Case(
        "live",
        "webrtc_answer",
        lambda ctx: {"sdp": SDP, "target": ctx["viewer_peer"]},
        code="forbidden",
        sender="streamer",
        id="live-webrtc_answer-by-streamer",
    ),
    *_wrong_types(
        "live",
        "ice_candidate",
        {"candidate": {"candidate": "c", "sdpMid": "0", "sdpMLineIndex": 0}},
        "candidate",
        nullable=True,
    ),
    Case(
        "live",
        "ice_candidate",
        {"candidate": {"candidate": 5}},
        error_field="candidate",
        id="live-ice_candidate-candidate-string-number",
    ),
    Case(
        "live",
        "ice_candidate",
        {"candidate": {"candidate": "c", "sdpMLineIndex": "0"}},
        error_field="candidate",
        id="live-ice_candidate-mline-string",
    ),
    Case(
        "live",
        "ice_candidate",
        {"candidate": {"candidate": "c", "sdpMid": 0}},
        error_field="candidate",
        id="live-ice_candidate-mid-number",
    ),
    Case(
        "live",
        "ice_candidate",
        {"candidate": {"candidate": "c" * 5000}},
        error_field="candidate",
        id="live-ice_candidate-oversized",
    ),
    Case(
        "live",
        "ice_candidate",
        lambda ctx: {"candidate": None, "target": ctx["other_streamer_peer"]},
        code="forbidden",
        id="live-ice_candidate-other-stream",
    ),
    Case(
        "live", "ice_candidate", {"candidate": None}, sender="streamer", id="live-ice_candidate-streamer-without-target"
    ),
    Case(
        "live",
        "ice_candidate",
        lambda ctx: {"candidate": None, "target": ctx["other_viewer_peer"]},
        code="unknown_target",
        sender="streamer",
        id="live-ice_candidate-other-stream-viewer",
    ),
    Case("live", "request_offer", {"target": 5}, error_field="target", id="live-request_offer-target-number"),
    Case("live", "request_offer", {"target": ["x"]}, error_field="target", id="live-request_offer-target-list"),
    Case(
        "live",
        "request_offer",
        lambda ctx: {"target": ctx["other_streamer_peer"]},
        code="forbidden",
        id="live-request_offer-other-stream",
    ),
    Case("live", "request_offer", {}, code="forbidden", sender="streamer", id="live-request_offer-by-streamer"),
]

ROOM_CASES = [
    *_core("rooms"),
    *_wrong_types("rooms", "offer", {"target": "0" * 32, "sdp": SDP}, "sdp"),
    *_wrong_types("rooms", "offer", {"target": "0" * 32, "sdp": SDP}, "target"),
    Case("rooms", "offer", {"target": "x" * 65, "sdp": SDP}, error_field="target", id="rooms-offer-target-oversized"),
    Case(
        "rooms",
        "offer",
        lambda ctx: {"target": ctx["own_peer"], "sdp": SDP},
        code="unknown_peer",
        id="rooms-offer-to-self",
    ),
    *_wrong_types("rooms", "answer", {"target": "0" * 32, "sdp": SDP}, "sdp"),
    Case("rooms", "answer", {"target": {"id": 1}, "sdp": SDP}, error_field="target", id="rooms-answer-target-object"),
    Case(
        "rooms",
        "answer",
        lambda ctx: {"target": ctx["other_room_peer"], "sdp": SDP},
        code="unknown_peer",
        id="rooms-answer-other-room",
    ),
    Case("rooms", "ice_candidate", {"candidate": None}, error_field="target", id="rooms-ice_candidate-target-missing"),
    Case(
        "rooms",
        "ice_candidate",
        lambda ctx: {"target": ctx["peer"]},
        error_field="candidate",
        id="rooms-ice_candidate-candidate-missing",
    ),
    Case(
        "rooms",
        "ice_candidate",
        lambda ctx: {"target": ctx["peer"], "candidate": 5},
        error_field="candidate",
        id="rooms-ice_candidate-number",
    ),
    Case(
        "rooms",
        "ice_candidate",
        lambda ctx: {"target": ctx["peer"], "candidate": ["c"]},
        error_field="candidate",
        id="rooms-ice_candidate-list",
    ),
    Case(
        "rooms",
        "ice_candidate",
        lambda ctx: {"target": ctx["peer"], "candidate": {"candidate": 5}},
        error_field="candidate",
        id="rooms-ice_candidate-field-number",
    ),
    Case(
        "rooms",
        "ice_candidate",
        lambda ctx: {"target": ctx["peer"], "candidate": {"candidate": "c" * 5000}},
        error_field="candidate",
        id="rooms-ice_candidate-oversized",
    ),
    Case(
        "rooms",
        "ice_candidate",
        lambda ctx: {"target": ctx["peer"], "candidate": {"candidate": "c", "sdpMLineIndex": "0"}},
        error_field="candidate",
        id="rooms-ice_candidate-mline-string",
    ),
    Case(
        "rooms",
        "ice_candidate",
        lambda ctx: {"target": ctx["other_room_peer"], "candidate": None},
        code="unknown_peer",
        id="rooms-ice_candidate-other-room",
    ),
    Case("rooms", "broadcast", {"data": None}, error_field="data", id="rooms-broadcast-null"),
    Case("rooms", "broadcast", {"data": "x" * 40_000}, code="data_too_large", id="rooms-broadcast-oversized"),
    Case(
        "rooms",
        "broadcast",
        raw='{"type": "broadcast", "data": ["x"]}',
        code="invalid_frame",
        id="rooms-broadcast-list",
    ),
    *_wrong_types("rooms", "admit", {"user_id": 1}, "user_id"),
    Case("rooms", "admit", {"user_id": 0}, error_field="user_id", id="rooms-admit-zero"),
    Case("rooms", "admit", {"user_id": INT64_MAX + 1}, error_field="user_id", id="rooms-admit-beyond-bigint"),
    Case(
        "rooms",
        "admit",
        lambda ctx: {"user_id": ctx["users"]["third"].pk},
        code="not_waiting",
        id="rooms-admit-not-waiting",
    ),
    *_wrong_types("rooms", "deny", {"user_id": 1}, "user_id"),
    Case(
        "rooms",
        "deny",
        lambda ctx: {"user_id": ctx["users"]["other"].pk},
        code="not_waiting",
        id="rooms-deny-not-waiting",
    ),
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
