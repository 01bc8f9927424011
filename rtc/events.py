"""Events of P2P rooms (`/ws/rooms/<room_id>/`), declared once (realtime/events.py; docs/protocol.md, "P2P rooms").

Client -> server: offer {target, sdp}, answer {target, sdp}, ice_candidate {target, candidate},
broadcast {data}, admit {user_id}, deny {user_id} (owner only), quality_report {peer?, rtt_ms, packet_loss_pct,
bitrate_kbps, fps} (metrics only).

`from` is always the sender's peer id taken from its connection, never from the payload. The
owner's `deny` reaches the waiting sockets as an `error` with code `lobby_denied`, then close 4403.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from realtime.events import Event, Payload, event, payload

# client -> server types (the consumer's handlers)
OFFER = "offer"
ANSWER = "answer"
ICE_CANDIDATE = "ice_candidate"
BROADCAST = "broadcast"
QUALITY_REPORT = "quality_report"
ADMIT = "admit"
DENY = "deny"
LOBBY_DENIED = "lobby_denied"  # an `error` code, not an event type


@payload
class PeerUser(Payload):
    id: int | None
    username: str | None


@payload
class UserBrief(Payload):
    """Who knocks / who waits: the same shape as the REST API's users."""

    id: int
    username: str
    name: str

    @classmethod
    def of(cls, user: Any) -> UserBrief:
        return cls(id=user.pk, username=user.username, name=user.name)


@payload
class Peer(Payload):
    peer_id: str
    user: PeerUser

    @classmethod
    def of(cls, peer_id: str, info: dict[str, Any] | None) -> Peer:
        info = info or {}
        return cls(peer_id=peer_id, user=PeerUser(id=info.get("user_id"), username=info.get("username")))


@event
class RoomJoined(Event):
    """To the joining socket, first frame."""

    type: ClassVar[Literal["room_joined"]] = "room_joined"
    room_id: str
    peer_id: str
    peers: list[Peer]
    max_participants: int


@event
class PeerJoined(Peer, Event):
    """To the others."""

    type: ClassVar[Literal["peer_joined"]] = "peer_joined"


@event
class PeerLeft(Event):
    """To the others; reason "left" (socket closed) or "expired" (its process stopped refreshing presence)."""

    type: ClassVar[Literal["peer_left"]] = "peer_left"
    peer_id: str
    reason: str = "left"


@event
class RoomPresence(Event):
    """On the personal socket: a room's head count changed (the `/rooms/` list).

    To `directory_group()` for a public room, else to the user groups of its members (owner included).
    """

    type: ClassVar[Literal["room_presence"]] = "room_presence"
    room: str
    participants: int


@event
class Offer(Event):
    type: ClassVar[Literal["offer"]] = "offer"
    from_: str
    sdp: str


@event
class Answer(Event):
    type: ClassVar[Literal["answer"]] = "answer"
    from_: str
    sdp: str


@event
class IceCandidate(Event):
    type: ClassVar[Literal["ice_candidate"]] = "ice_candidate"
    from_: str
    candidate: dict[str, Any] | None


@event
class Broadcast(Event):
    type: ClassVar[Literal["broadcast"]] = "broadcast"
    from_: str
    data_: Any  # the frame key is "data" (`data()` is the payload method)


@event
class LobbyWaiting(Event):
    """To a socket waiting in the lobby."""

    type: ClassVar[Literal["lobby_waiting"]] = "lobby_waiting"
    room_id: str
    title: str
    owner: UserBrief  # whom the knocker waits for


@event
class Knock(Event):
    """To the owner's sockets in the room."""

    type: ClassVar[Literal["knock"]] = "knock"
    user: UserBrief


@event
class Lobby(Event):
    """To the owner on join, if anyone waits: [{user: UserBrief, since}], longest-waiting first."""

    type: ClassVar[Literal["lobby"]] = "lobby"
    waiting: list[dict[str, Any]]


@event
class LobbyUpdate(Event):
    """To the owner when someone stops waiting: who still waits."""

    type: ClassVar[Literal["lobby_update"]] = "lobby_update"
    waiting: list[dict[str, Any]]


@event
class Admitted(Event):
    """To the admitted user's waiting sockets; room_joined follows."""

    type: ClassVar[Literal["admitted"]] = "admitted"
    room_id: str


@event
class Removed(Event):
    """reason "kicked" (membership removed) or "banned" (removed and barred); then close 4403."""

    type: ClassVar[Literal["removed"]] = "removed"
    room_id: str
    reason: str


@event
class RoomClosed(Event):
    """The owner deleted the room; then close 4410."""

    type: ClassVar[Literal["room_closed"]] = "room_closed"
    room_id: str
