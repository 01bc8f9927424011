"""P2P room signaling: `/ws/rooms/<room_id>/` (optional `?invite=<token>`)."""

from __future__ import annotations

import logging
from typing import Any

from realtime import closecodes, metrics
from realtime.consumers import BaseConsumer, Reject, handles
from realtime.db import db
from realtime.envelope import now_iso
from realtime.errors import Forbidden, InvalidInput, ServiceError
from realtime.events import Event, NamedUserBrief, UserBrief
from realtime.groups import connection_group, lobby_scope, room_group, room_lobby_group, room_scope
from realtime.presence import get_presence_store
from realtime.publish import apublish
from realtime.webrtc import QualityReportInput, sdp_check
from rtc import events
from rtc.selectors import Access, lobby_is_waiting, lobby_waiting, room_access, room_participants
from rtc.serializers import BroadcastInput, IceCandidateInput, LobbyDecisionInput, SessionDescriptionInput
from rtc.services import (
    broadcast_validate,
    lobby_admit,
    lobby_deny,
    max_participants,
    room_id_validate,
    room_join,
    room_presence_announce,
)

logger = logging.getLogger(__name__)


class RoomConsumer(BaseConsumer):
    """One peer of a mesh room.

    Contract (docs/protocol.md, "P2P rooms"):
    * the room id must match `[A-Za-z0-9_-]{1,64}`, else `error` `invalid_room` and close 4404;
    * access comes from the database (`rtc.selectors.room_access`): an unknown room
      and a private room the user may not enter look the same (`error`
      `room_not_found`, close 4404); banned -> `error` `banned`, close 4403;
      members, holders of the current `?invite=` token (who become members) and
      anyone in a public room join; anyone else, if the lobby is on, waits:
      `lobby_waiting`, the owner's sockets get `knock`, and `admit` / `deny` (or
      REST) lets them in (`admitted`, then the normal join) or closes 4403;
    * at most `RTC_MAX_PARTICIPANTS` peers (all processes): the next one gets an
      `error` frame (`room_full`) and close 4413;
    * on join the peer receives `room_joined` with its `peer_id` (this socket's
      connection id) and the other `peers`; the others receive `peer_joined`;
      on close they receive `peer_left` (also when a crashed process's peer expires);
    * `offer` / `answer` / `ice_candidate` reach exactly one `target` that is
      present in THIS room, else `error` `unknown_peer` and nothing is relayed;
      `broadcast` reaches every other peer. `from` is set by the server;
    * kick / ban / delete reach the sockets through the room's groups (`removed`
      then 4403, `room_closed` then 4410), on whichever process holds them.
    """

    async def on_connect(self) -> None:
        self.room_id = ""  # set by on_connect before anything uses it
        self.announced = False
        self.waiting = False
        self.is_owner = False
        self.peer_id = self.connection_id
        raw_room_id = self.scope["url_route"]["kwargs"].get("room_id", "")
        self.room_id = room_id_validate(room_id=raw_room_id)  # NotFound invalid_room -> 4404
        invite = self.query_param("invite")
        # NotFound room_not_found -> 4404 (unknown or hidden alike), Forbidden banned -> 4403
        access = await db(room_access)(room_id=self.room_id, user=self.user, invite=invite)
        self.is_owner = access.kind == Access.OWNER
        self.owner_id = access.room.owner_id
        self.room_title = access.room.title
        self.owner_brief = NamedUserBrief.of(access.room.owner)
        if access.kind == Access.INVITE:
            await db(room_join)(room_id=self.room_id, user=self.user, invite=invite)
        if access.kind == Access.LOBBY:
            await self._wait_in_lobby()
            return
        await self._enter_room()

    async def _wait_in_lobby(self) -> None:
        # Join the lobby group before knocking: an `admitted` sent right after the knock cannot be missed.
        self.waiting = True
        await self.join_group(room_lobby_group(self.room_id))
        brief = NamedUserBrief.of(self.user)
        await self.join_presence(
            lobby_scope(self.room_id), str(self.user.pk), info={"user": brief.data(), "since": now_iso()}
        )
        # Who the knocker waits for: the owner's name is shown, nothing else about the room.
        await self.send_event(events.LobbyWaiting(room_id=self.room_id, title=self.room_title, owner=self.owner_brief))
        await apublish(room_group(self.room_id), events.Knock(user=brief), only_user=self.owner_id)

    async def _leave_lobby(self) -> None:
        """Out of the lobby (admitted, or gone): the owner's sockets get the new `lobby_update`."""
        self.waiting = False
        await self.leave_group(room_lobby_group(self.room_id))
        await self.leave_presence(lobby_scope(self.room_id), str(self.user.pk))
        waiting = await lobby_waiting(room_id=self.room_id)
        await apublish(room_group(self.room_id), events.LobbyUpdate(waiting=waiting), only_user=self.owner_id)

    async def _enter_room(self) -> None:
        self.presence_scope = room_scope(self.room_id)
        # Join the group before reading the peer list: a peer that joins meanwhile is
        # then either in `peers` or announced by `peer_joined` (maybe both; never neither).
        await self.join_group(room_group(self.room_id))
        limit = max_participants()
        change = await self.join_presence(
            self.presence_scope, self.peer_id, info=self.presence_info(), max_members=limit
        )
        if change is None:
            await self.send_error("room_full", f"Room is full: at most {limit} participants.", max_participants=limit)
            raise Reject(closecodes.FULL, "room full")
        peers = await room_participants(room_id=self.room_id, exclude_peer=self.peer_id)
        await self.send_event(
            events.RoomJoined(room_id=self.room_id, peer_id=self.peer_id, peers=peers, max_participants=limit)
        )
        await apublish(
            room_group(self.room_id),
            events.PeerJoined(peer_id=self.peer_id, user=UserBrief.of(self.user)),
            meta={"exclude_peer": self.peer_id},
        )
        self.announced = True
        await room_presence_announce(room_id=self.room_id, participants=change.members)
        if self.is_owner:
            waiting = await lobby_waiting(room_id=self.room_id)
            if waiting:
                await self.send_event(events.Lobby(waiting=waiting))

    def presence_info(self) -> dict[str, Any]:
        """What the room's presence says about this peer (`peers`, REST participants); adapters add keys."""
        return {"user_id": self.user.pk, "username": self.user.username}

    async def on_disconnect(self, code: int) -> None:
        if getattr(self, "waiting", False):
            await self._leave_lobby()
        if not getattr(self, "announced", False):
            return
        change = await self.leave_presence(self.presence_scope, self.peer_id)
        if change.flipped:
            await apublish(
                room_group(self.room_id), events.PeerLeft(peer_id=self.peer_id), meta={"exclude_peer": self.peer_id}
            )
            await room_presence_announce(room_id=self.room_id, participants=change.members)

    def should_deliver(self, message: dict[str, Any]) -> bool:
        # Room events exclude the sending socket, not the sending user: one user may be two peers.
        if (message.get("meta") or {}).get("exclude_peer") == self.connection_id:
            return False
        return super().should_deliver(message)

    async def deliver(self, message: dict[str, Any]) -> None:
        await super().deliver(message)
        if message.get("event") == events.Admitted.type and self.waiting:
            # Admitted: from the lobby into the room, as if the socket had just connected as a member.
            try:
                await self._leave_lobby()
                await self._enter_room()
            except Reject as exc:
                await self.close_with(exc.code, exc.reason)
            except ServiceError as exc:
                await self.send_error(exc.code, exc.message)
                await self.close_with(closecodes.FORBIDDEN, exc.message)
            except Exception:
                logger.exception("room_admit_failed", extra={"consumer": type(self).__name__})
                await self.close_with(closecodes.INTERNAL_ERROR, "internal error")

    # --- client events -----------------------------------------------------------

    @handles(events.ADMIT, LobbyDecisionInput)
    async def on_admit(self, data: dict[str, Any]) -> None:
        """`admit` {user_id} (owner) -> the user's waiting sockets get `admitted` and join."""
        waiting = await lobby_is_waiting(room_id=self.room_id, user_id=data["user_id"])
        await db(lobby_admit)(room_id=self.room_id, actor=self.user, user_id=data["user_id"], waiting=waiting)

    @handles(events.DENY, LobbyDecisionInput)
    async def on_deny(self, data: dict[str, Any]) -> None:
        """`deny` {user_id} (owner) -> the user's waiting sockets get `error` lobby_denied and close 4403."""
        waiting = await lobby_is_waiting(room_id=self.room_id, user_id=data["user_id"])
        await db(lobby_deny)(room_id=self.room_id, actor=self.user, user_id=data["user_id"], waiting=waiting)

    @handles(events.OFFER, SessionDescriptionInput)
    async def on_offer(self, data: dict[str, Any]) -> None:
        """`offer` {target, sdp} -> the target peer gets `offer` {from, sdp}."""
        self._require_in_room()
        await self._relay(data["target"], events.Offer(from_=self.peer_id, sdp=sdp_check(data["sdp"])))

    @handles(events.ANSWER, SessionDescriptionInput)
    async def on_answer(self, data: dict[str, Any]) -> None:
        """`answer` {target, sdp} -> the target peer gets `answer` {from, sdp}."""
        self._require_in_room()
        await self._relay(data["target"], events.Answer(from_=self.peer_id, sdp=sdp_check(data["sdp"])))

    @handles(events.ICE_CANDIDATE, IceCandidateInput)
    async def on_ice_candidate(self, data: dict[str, Any]) -> None:
        candidate = dict(data["candidate"]) if data["candidate"] is not None else None
        await self._relay(data["target"], events.IceCandidate(from_=self.peer_id, candidate=candidate))

    @handles(events.BROADCAST, BroadcastInput)
    async def on_broadcast(self, data: dict[str, Any]) -> None:
        self._require_in_room()
        await apublish(
            room_group(self.room_id),
            events.Broadcast(from_=self.peer_id, data_=broadcast_validate(data=data["data"])),
            meta={"exclude_peer": self.peer_id},
        )

    @handles(events.QUALITY_REPORT, QualityReportInput)
    async def on_quality_report(self, data: dict[str, Any]) -> None:
        """`quality_report` {peer?, rtt_ms, packet_loss_pct, bitrate_kbps, fps} -> the metrics; nothing is relayed."""
        self._require_in_room()
        metrics.quality_report(self, data)

    def _require_in_room(self) -> None:
        if self.waiting or not self.announced:
            raise Forbidden("You are waiting in the lobby; wait for the owner to admit you.", code="lobby_waiting")

    async def _relay(self, target: str, signal: Event) -> None:
        self._require_in_room()
        # Presence in THIS room's scope is the authority: a peer id from another room,
        # a stale one or our own is refused, so signaling never crosses rooms.
        if target == self.peer_id or not await get_presence_store().is_present(self.presence_scope, target):
            raise InvalidInput(
                f"No peer {target[:64]!r} in this room.", code="unknown_peer", extra={"target": target[:64]}
            )
        await apublish(connection_group(target), signal)
