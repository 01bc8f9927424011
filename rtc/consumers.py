"""P2P room signaling: `/ws/rooms/<room_id>/`."""

from __future__ import annotations

from typing import Any

from realtime import closecodes
from realtime.consumers import BaseConsumer, Reject
from realtime.errors import InvalidInput, NotFound
from realtime.groups import connection_group, room_group
from realtime.presence import get_presence_store
from realtime.publish import apublish
from rtc import events
from rtc.selectors import room_participants
from rtc.serializers import BroadcastSerializer, IceCandidateSerializer, SessionDescriptionSerializer
from rtc.services import broadcast_validate, max_participants, room_id_validate, room_scope, sdp_validate


class RoomConsumer(BaseConsumer):
    """One peer of a mesh room.

    Contract:
    * the room id must match `[A-Za-z0-9_-]{1,64}`, else an `error` frame
      (`invalid_room`) and close 4404;
    * at most `RTC_MAX_PARTICIPANTS` peers (all processes): the next one gets an
      `error` frame (`room_full`) and close 4413;
    * on join the peer receives `room_joined` with its `peer_id` (this socket's
      connection id) and the other `peers`; the others receive `peer_joined`;
      on close they receive `peer_left` (also when a crashed process's peer expires);
    * `offer` / `answer` / `ice_candidate` reach exactly one `target` that is
      present in THIS room, else `error` `unknown_peer` and nothing is relayed;
      `broadcast` reaches every other peer. `from` is set by the server.
    """

    handlers = {
        events.OFFER: ("relay_offer", SessionDescriptionSerializer),
        events.ANSWER: ("relay_answer", SessionDescriptionSerializer),
        events.ICE_CANDIDATE: ("relay_candidate", IceCandidateSerializer),
        events.BROADCAST: ("broadcast", BroadcastSerializer),
    }

    async def on_connect(self) -> None:
        self.room_id: str | None = None
        self.announced = False
        raw_room_id = self.scope["url_route"]["kwargs"].get("room_id", "")
        try:
            self.room_id = room_id_validate(room_id=raw_room_id)
        except NotFound as exc:
            await self.send_error(exc.code, exc.message)
            raise Reject(closecodes.NOT_FOUND, "invalid room id") from exc
        self.peer_id = self.connection_id
        self.presence_scope = room_scope(self.room_id)
        # Join the group before reading the peer list: a peer that joins meanwhile is
        # then either in `peers` or announced by `peer_joined` (maybe both; never neither).
        await self.join_group(room_group(self.room_id))
        change = await self.join_presence(self.presence_scope, self.peer_id, info={"user_id": self.user.pk, "username": self.user.username})
        limit = max_participants()
        # The join and the count are one atomic step in the store, so concurrent joins
        # on different processes cannot both squeeze into the last seat.
        if change is None or change.members > limit:
            await self.leave_presence(self.presence_scope, self.peer_id)
            await self.send_error("room_full", f"Room is full: at most {limit} participants.", max_participants=limit)
            raise Reject(closecodes.FULL, "room full")
        peers = await room_participants(room_id=self.room_id, exclude_peer=self.peer_id)
        await self.send_event(
            events.ROOM_JOINED,
            events.room_joined_payload(room_id=self.room_id, peer_id=self.peer_id, peers=peers, max_participants=limit),
        )
        await apublish(
            room_group(self.room_id),
            events.PEER_JOINED,
            events.peer_payload(self.peer_id, {"user_id": self.user.pk, "username": self.user.username}),
            meta={"exclude_peer": self.peer_id},
        )
        self.announced = True

    async def on_disconnect(self, code: int) -> None:
        if not getattr(self, "announced", False):
            return
        change = await self.leave_presence(self.presence_scope, self.peer_id)
        if change.flipped:
            await apublish(
                room_group(self.room_id), events.PEER_LEFT, events.peer_left_payload(self.peer_id), meta={"exclude_peer": self.peer_id}
            )

    def should_deliver(self, message: dict[str, Any]) -> bool:
        # Room events exclude the sending socket, not the sending user: one user may be two peers.
        if (message.get("meta") or {}).get("exclude_peer") == self.connection_id:
            return False
        return super().should_deliver(message)

    # --- client events -----------------------------------------------------------

    async def relay_offer(self, data: dict[str, Any]) -> None:
        """`offer` {target, sdp} -> the target peer gets `offer` {from, sdp}."""
        await self._relay(events.OFFER, data["target"], {"from": self.peer_id, "sdp": sdp_validate(sdp=data["sdp"])})

    async def relay_answer(self, data: dict[str, Any]) -> None:
        """`answer` {target, sdp} -> the target peer gets `answer` {from, sdp}."""
        await self._relay(events.ANSWER, data["target"], {"from": self.peer_id, "sdp": sdp_validate(sdp=data["sdp"])})

    async def relay_candidate(self, data: dict[str, Any]) -> None:
        candidate = dict(data["candidate"]) if data["candidate"] is not None else None
        await self._relay(events.ICE_CANDIDATE, data["target"], {"from": self.peer_id, "candidate": candidate})

    async def broadcast(self, data: dict[str, Any]) -> None:
        await apublish(
            room_group(self.room_id), events.BROADCAST, {"from": self.peer_id, "data": broadcast_validate(data=data["data"])}, meta={"exclude_peer": self.peer_id}
        )

    async def _relay(self, event_type: str, target: str, payload: dict[str, Any]) -> None:
        # Presence in THIS room's scope is the authority: a peer id from another room,
        # a stale one or our own is refused, so signaling never crosses rooms.
        if target == self.peer_id or not await get_presence_store().is_present(self.presence_scope, target):
            raise InvalidInput(f"No peer {target[:64]!r} in this room.", code="unknown_peer", extra={"target": target[:64]})
        await apublish(connection_group(target), event_type, payload)
