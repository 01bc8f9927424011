"""The seeds' signaling sockets, as thin adapters over `RoomConsumer` (docs/protocol.md, "Seed sockets").

* gRTC (seeds 000/001): `ws://host/ws/<room_id>?peer_id=<id>&token=<jwt>`; flat frames
  `{type: "offer", target_peer_id, offer}`, `answer`, `ice-candidate` / `ice_candidate`,
  `broadcast` with `data` (a string or any JSON);
* seed 004: `ws://host/webrtc/ws/<room_id>?token=<jwt>`; frames `{type, payload, target_id?}` of seven
  types (`room-state`, `user-joined`, `user-left`, `offer`, `answer`, `ice-candidate`, `error`); auth
  failures close 1008 and server errors 1011.

Each adapter only translates frames: inbound seed frames become native envelopes before the base
consumer parses them (so limits, validation, error frames and the `@handles` dispatch are the
native ones), and every outbound native frame is rewritten just before it is sent. Access rules,
capacity, the lobby, kicks and bans, and relaying only within the room are `RoomConsumer`'s. A seed
peer and a native peer in the same room see each other.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from django.conf import settings

from realtime import closecodes
from realtime.consumers import Reject
from realtime.events import Event
from realtime.jsonlimits import loads as json_loads
from realtime.jsonlimits import max_depth
from rtc.consumers import RoomConsumer
from rtc.seed_api import SEED_PEER_KEY, peer_id_of
from rtc.selectors import room_peer_infos

GRTC_PEER_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


def _decode(text: str) -> dict[str, Any] | None:
    """The frame as an object with a string `type`, or None (the base consumer then answers the raw text)."""
    try:
        frame = json_loads(text, limit=max_depth() + 1)
    except ValueError:  # JSONTooDeep is a ValueError too: the native parse reports either
        return None
    return frame if isinstance(frame, dict) and isinstance(frame.get("type"), str) else None


def _sdp(description: Any) -> Any:
    """An RTCSessionDescriptionInit `{type, sdp}` as the seeds send it, or the SDP string itself."""
    return description.get("sdp") if isinstance(description, dict) else description


class SeedRoomConsumer(RoomConsumer):
    """Translates frames between a seed's wire format and the native room protocol."""

    # --- inbound ---------------------------------------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if text_data is not None and len(text_data) <= settings.WS_MAX_FRAME_BYTES:
            frame = _decode(text_data)
            if frame is not None:
                native = self.to_native(frame)
                text_data = json.dumps({"type": native[0], "data": native[1]})
        await super().receive(text_data=text_data, bytes_data=bytes_data)

    def to_native(self, frame: dict[str, Any]) -> tuple[str, Any]:
        """(native type, data) of a seed frame; the adapters below map their own types."""
        return frame["type"], frame.get("data")

    async def _relay(self, target: str, signal: Event) -> None:
        await super()._relay(await self.server_peer_id(target), signal)

    async def server_peer_id(self, name: str) -> str:
        """The server's peer id for the id a seed client addresses (unknown names pass through)."""
        for server_id, known in self.peer_names.items():
            if known == name:
                return server_id
        await self._learn_peer_names()
        return next((server_id for server_id, known in self.peer_names.items() if known == name), name)

    async def _learn_peer_names(self) -> None:
        infos = await room_peer_infos(room_id=self.room_id)
        self.peer_names.update({peer: peer_id_of(peer, info) for peer, info in infos.items()})

    async def peer_name(self, server_id: str) -> str:
        if server_id not in self.peer_names:
            await self._learn_peer_names()
        return self.peer_names.get(server_id, server_id)

    # --- outbound --------------------------------------------------------------------------

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.peer_names: dict[str, str] = {}  # server peer id -> the id this client knows it by

        # Rewrite at the ASGI edge, below everything the native consumer does with a frame
        # (metrics, the catalogue check of the tests), so the native frame is what is checked.
        async def send_translated(message: dict[str, Any]) -> None:
            if message.get("type") == "websocket.send" and message.get("text") is not None:
                native = json.loads(message["text"])
                translated = await self.from_native(native["type"], native.get("data") or {}, native)
                message = {**message, "text": json.dumps(translated)}
            await send(message)

        await super().__call__(scope, receive, send_translated)

    async def from_native(self, native_type: str, data: dict[str, Any], envelope: dict[str, Any]) -> dict[str, Any]:
        """The seed's frame for a native one; the adapters below map their own types."""
        return envelope


class GrtcRoomConsumer(SeedRoomConsumer):
    """gRTC's `/ws/<room_id>?peer_id=…` (seeds 000/001), over the native room.

    Frames, both ways, are flat: `{"type": "offer", "target_peer_id", "offer"}` in, `{"type": "offer",
    "from_peer_id", "target_peer_id", "offer"}` out. The client names itself with `?peer_id=`
    (`[A-Za-z0-9_.:-]{1,64}`, else one is made up); other peers address it by that name, and a name
    already present in the room is refused (`error` `peer_id_taken`, close 4403).
    """

    async def on_connect(self) -> None:
        requested = self.query_param("peer_id", max_length=200)
        if requested is not None and not GRTC_PEER_ID.match(requested):
            await self.send_error("invalid_peer_id", "peer_id must match [A-Za-z0-9_.:-]{1,64}.")
            raise Reject(closecodes.FORBIDDEN, "invalid peer_id")
        self.seed_peer_id = requested or f"peer-{uuid.uuid4().hex[:8]}"
        await super().on_connect()

    async def _enter_room(self) -> None:
        # Best effort: two sockets joining with the same name at the same instant could both pass
        # this check; each still relays correctly by server peer id, only the name is ambiguous.
        infos = await room_peer_infos(room_id=self.room_id)
        if any(peer_id_of(peer, info) == self.seed_peer_id for peer, info in infos.items()):
            await self.send_error("peer_id_taken", f"A peer named {self.seed_peer_id!r} is in this room already.")
            raise Reject(closecodes.FORBIDDEN, "peer_id taken")
        self.peer_names[self.peer_id] = self.seed_peer_id
        await super()._enter_room()

    def presence_info(self) -> dict[str, Any]:
        return {**super().presence_info(), SEED_PEER_KEY: self.seed_peer_id}

    def to_native(self, frame: dict[str, Any]) -> tuple[str, Any]:
        kind = frame["type"]
        if kind in ("offer", "answer"):
            return kind, {"target": frame.get("target_peer_id"), "sdp": _sdp(frame.get(kind))}
        if kind in ("ice-candidate", "ice_candidate"):
            return "ice_candidate", {"target": frame.get("target_peer_id"), "candidate": frame.get("candidate")}
        if kind == "broadcast":
            return "broadcast", {"data": frame.get("data")}
        return kind, {key: value for key, value in frame.items() if key != "type"}

    async def from_native(self, native_type: str, data: dict[str, Any], envelope: dict[str, Any]) -> dict[str, Any]:
        me = getattr(self, "seed_peer_id", None)  # None before on_connect (an authentication error)
        if native_type in ("offer", "answer"):
            sender = await self.peer_name(data["from"])
            description = {"type": native_type, "sdp": data["sdp"]}
            return {"type": native_type, "from_peer_id": sender, "target_peer_id": me, native_type: description}
        if native_type == "ice_candidate":
            sender = await self.peer_name(data["from"])
            return {
                "type": "ice-candidate",
                "from_peer_id": sender,
                "target_peer_id": me,
                "candidate": data["candidate"],
            }
        if native_type == "broadcast":
            return {"type": "broadcast", "from_peer_id": await self.peer_name(data["from"]), "data": data["data"]}
        if native_type == "room_joined":
            peers = [await self.peer_name(peer["peer_id"]) for peer in data["peers"]]
            return {**data, "type": native_type, "peer_id": me, "peers": peers}
        if native_type in ("peer_joined", "peer_left"):
            return {**data, "type": native_type, "peer_id": await self.peer_name(data["peer_id"])}
        if "type" in data:  # an error about a frame names its type: keep both
            data = {**data, "message_type": data["type"]}
        return {**data, "type": native_type}


# seed 004: auth failures are 1008 (policy violation); access refused is one too
SEED004_CLOSE_CODES = {
    closecodes.UNAUTHENTICATED: 1008,
    closecodes.FORBIDDEN: 1008,
    closecodes.NOT_FOUND: 1008,
}


class Seed004RoomConsumer(SeedRoomConsumer):
    """Seed 004's `/webrtc/ws/<room_id>?token=<jwt>`, over the native room.

    Out: `{"type", "room_id", "payload", "sender_id"?, "target_id"?, "timestamp"}`; `room-state` first
    (`payload.participants`), `user-joined` / `user-left`, `offer` / `answer` (`payload` the
    RTCSessionDescriptionInit), `ice-candidate` (`payload` the RTCIceCandidateInit), `error`
    (`payload` `{code, message}`). In: `{"type": "offer" | "answer" | "ice-candidate", "target_id",
    "payload"}`. Other native events keep their type, with their data as `payload`.
    """

    async def close_with(self, code: int, reason: str = "") -> None:
        await super().close_with(SEED004_CLOSE_CODES.get(code, code), reason)

    def to_native(self, frame: dict[str, Any]) -> tuple[str, Any]:
        kind, payload = frame["type"], frame.get("payload")
        if kind in ("offer", "answer"):
            return kind, {"target": frame.get("target_id"), "sdp": _sdp(payload)}
        if kind in ("ice-candidate", "ice_candidate"):
            return "ice_candidate", {"target": frame.get("target_id"), "candidate": payload}
        if kind == "broadcast":
            return kind, {"data": payload}
        return kind, payload if payload is not None else {}

    async def from_native(self, native_type: str, data: dict[str, Any], envelope: dict[str, Any]) -> dict[str, Any]:
        frame: dict[str, Any] = {"room_id": self.scope["url_route"]["kwargs"].get("room_id", "")}
        if native_type in ("offer", "answer"):
            frame.update(type=native_type, sender_id=data["from"], target_id=self.peer_id)
            frame["payload"] = {"type": native_type, "sdp": data["sdp"]}
        elif native_type == "ice_candidate":
            frame.update(type="ice-candidate", sender_id=data["from"], target_id=self.peer_id)
            frame["payload"] = data["candidate"]
        elif native_type == "broadcast":
            frame.update(type=native_type, sender_id=data["from"], payload=data["data"])
        elif native_type == "room_joined":
            participants = [_participant(peer) for peer in data["peers"]]
            frame.update(type="room-state", target_id=data["peer_id"])
            frame["payload"] = {
                "peer_id": data["peer_id"],
                "participants": participants,
                "max_participants": data["max_participants"],
            }
        elif native_type == "peer_joined":
            frame.update(type="user-joined", sender_id=data["peer_id"], payload=_participant(data))
        elif native_type == "peer_left":
            frame.update(type="user-left", sender_id=data["peer_id"], payload=data)
        else:
            frame.update(type=native_type.replace("_", "-"), payload=data)
        frame["timestamp"] = envelope.get("timestamp")
        return frame


def _participant(peer: dict[str, Any]) -> dict[str, Any]:
    user = peer.get("user") or {}
    return {"peer_id": peer["peer_id"], "user_id": user.get("id"), "username": user.get("username")}
