"""Events of P2P rooms (`/ws/rooms/<room_id>/`), declared once (realtime/events.py; docs/protocol.md, "P2P rooms").

Client -> server: offer {target, sdp}, answer {target, sdp}, ice_candidate {target, candidate},
broadcast {data}, admit {user_id}, deny {user_id} (owner only), quality_report {peer?, rtt_ms, packet_loss_pct,
bitrate_kbps, fps} (metrics only).

`from` is always the sender's peer id taken from its connection, never from the payload. The
owner's `deny` reaches the waiting sockets as an `error` with code `lobby_denied`, then close 4403.
"""

from __future__ import annotations

from typing import Any

from realtime.events import Event, NamedUserBrief, Payload, UserBrief, event, payload

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
class Peer(Payload):
    peer_id: str
    user: UserBrief

    @classmethod
    def of(cls, peer_id: str, info: dict[str, Any] | None) -> Peer:
        info = info or {}
        return cls(peer_id=peer_id, user=UserBrief(id=info.get("user_id"), username=info.get("username")))


@event("room_joined")
class RoomJoined(Event):
    """To the joining socket, first frame."""

    room_id: str
    peer_id: str
    peers: list[Peer]
    max_participants: int


@event("peer_joined")
class PeerJoined(Peer, Event):
    """To the others."""


@event("peer_left")
class PeerLeft(Event):
    """To the others; reason "left" (socket closed) or "expired" (its process stopped refreshing presence)."""

    peer_id: str
    reason: str = "left"


@event("room_presence")
class RoomPresence(Event):
    """On the personal socket: a room's head count changed (the `/rooms/` list).

    To `directory_group()` for a public room, else to the user groups of its members (owner included).
    """

    room: str
    participants: int


@event("offer")
class Offer(Event):
    from_: str
    sdp: str


@event("answer")
class Answer(Event):
    from_: str
    sdp: str


@event("ice_candidate")
class IceCandidate(Event):
    from_: str
    candidate: dict[str, Any] | None


@event("broadcast")
class Broadcast(Event):
    from_: str
    data_: Any  # the frame key is "data" (`data()` is the payload method)


@event("lobby_waiting")
class LobbyWaiting(Event):
    """To a socket waiting in the lobby."""

    room_id: str
    title: str
    owner: NamedUserBrief  # whom the knocker waits for


@event("knock")
class Knock(Event):
    """To the owner's sockets in the room."""

    user: NamedUserBrief


@event("lobby")
class Lobby(Event):
    """To the owner on join, if anyone waits: [{user: NamedUserBrief, since}], longest-waiting first."""

    waiting: list[dict[str, Any]]


@event("lobby_update")
class LobbyUpdate(Event):
    """To the owner when someone stops waiting: who still waits."""

    waiting: list[dict[str, Any]]


@event("admitted")
class Admitted(Event):
    """To the admitted user's waiting sockets; room_joined follows."""

    room_id: str


@event("removed")
class Removed(Event):
    """reason "kicked" (membership removed) or "banned" (removed and barred); then close 4403."""

    room_id: str
    reason: str


@event("room_closed")
class RoomClosed(Event):
    """The owner deleted the room; then close 4410."""

    room_id: str
