"""Event types of P2P rooms (`/ws/rooms/<room_id>/`) and their payload builders.

Server -> client:
    room_joined    {room_id, peer_id, peers: [Peer], max_participants}   (to the joining socket)
    peer_joined    {peer_id, user}                                        (to the others)
    peer_left      {peer_id, reason}                                      (to the others)
    offer          {from, sdp}            answer {from, sdp}
    ice_candidate  {from, candidate}      broadcast {from, data}
    lobby_waiting  {room_id}                                              (to a socket waiting in the lobby)
    knock          {user: UserBrief}                                      (to the owner's sockets in the room)
    lobby          {waiting: [{user: UserBrief, since}]}                  (to the owner on join, if anyone waits)
    lobby_update   {waiting: [{user: UserBrief, since}]}                  (to the owner when someone stops waiting)
    admitted       {room_id}                                              (to the admitted user's waiting sockets; room_joined follows)
    removed        {room_id, reason: "kicked"|"banned"}                   (then close 4403)
    room_closed    {room_id}                                              (the owner deleted the room; then close 4410)
    error          {code: "lobby_denied", ...}                            (the owner denied; then close 4403)
Client -> server:
    offer {target, sdp}, answer {target, sdp}, ice_candidate {target, candidate}, broadcast {data}
    admit {user_id}, deny {user_id}                                       (owner only)

Peer = {peer_id, user: {id, username}}; UserBrief = {id, username, name}. `from` is always the sender's peer id
taken from its connection, never from the payload.
"""

from __future__ import annotations

from typing import Any

ROOM_JOINED = "room_joined"
PEER_JOINED = "peer_joined"
PEER_LEFT = "peer_left"
OFFER = "offer"
ANSWER = "answer"
ICE_CANDIDATE = "ice_candidate"
BROADCAST = "broadcast"
LOBBY_WAITING = "lobby_waiting"
KNOCK = "knock"
LOBBY = "lobby"
LOBBY_UPDATE = "lobby_update"
ADMITTED = "admitted"
REMOVED = "removed"
ROOM_CLOSED = "room_closed"
ADMIT = "admit"
DENY = "deny"
LOBBY_DENIED = "lobby_denied"  # an `error` code, not an event type

# Events relayed to exactly one target peer.
SIGNALS = (OFFER, ANSWER, ICE_CANDIDATE)


def user_payload(user_id: int | None, username: str | None) -> dict[str, Any]:
    return {"id": user_id, "username": username}


def user_brief(user: Any) -> dict[str, Any]:
    """Who knocks / who waits: the same shape as the REST API's users."""
    return {"id": user.pk, "username": user.username, "name": user.name}


def peer_payload(peer_id: str, info: dict[str, Any] | None) -> dict[str, Any]:
    info = info or {}
    return {"peer_id": peer_id, "user": user_payload(info.get("user_id"), info.get("username"))}


def room_joined_payload(*, room_id: str, peer_id: str, peers: list[dict[str, Any]], max_participants: int) -> dict[str, Any]:
    return {"room_id": room_id, "peer_id": peer_id, "peers": peers, "max_participants": max_participants}


def peer_left_payload(peer_id: str, *, reason: str = "left") -> dict[str, Any]:
    # reason: "left" (socket closed) or "expired" (its process stopped refreshing presence)
    return {"peer_id": peer_id, "reason": reason}


def removed_payload(room_id: str, *, reason: str) -> dict[str, Any]:
    # reason: "kicked" (membership removed) or "banned" (membership removed and barred)
    return {"room_id": room_id, "reason": reason}
