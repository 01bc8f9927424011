"""`/ws/live/<stream_id>/`: one socket per viewer or streamer of a live stream.

Contract (docs/protocol.md, "Live streams"):
* connect: unknown stream 4404; banned or kicked 4403; ended stream 4410; a new
  viewer beyond `LIVE_MAX_VIEWERS` gets an error frame and 4413. Then
  `connection_established` {stream, status, role, viewers, peer, peers?}.
* the role (streamer / moderator / vip / viewer) comes from the database at
  connect time, never from a frame; services re-check rights on every write.
  A banned user has no role.
* every socket joins its stream's group and its streamer's group: a ban is
  published to the latter and closes the user's sockets on all the streamer's
  streams (4403), on every process.
* viewers are counted per user across processes (presence `stream:<id>`); the
  streamer gets `user_joined` / `user_left` when a user's presence flips and
  everyone gets `viewers_update` {count}.
* signaling is relayed only between the streamer and a viewer socket of this
  stream, addressed by connection id (`peer`); the server sets `from`.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings

from livestream import events, signaling
from livestream.models import Badge, StreamStatus
from livestream.presence import (
    announce_viewer_joined,
    announce_viewer_left,
    grace_backstop,
    publish_to_streamer,
    streamer_gone,
)
from livestream.selectors import is_barred_from, live_access
from livestream.serializers import (
    AnswerInput,
    CommentCreateInput,
    CommentDeleteInput,
    IceCandidateInput,
    KickInput,
    OfferInput,
    RequestOfferInput,
)
from livestream.services import (
    comment_create,
    comment_delete,
    stream_end,
    stream_start,
    stream_streamer_returned,
    user_kick_by_ref,
)
from realtime import closecodes, metrics
from realtime.consumers import BaseConsumer, Reject, handles
from realtime.db import db
from realtime.errors import Forbidden
from realtime.groups import (
    stream_group,
    stream_host_scope,
    stream_peer_scope,
    streamer_group,
    streamer_scope,
    viewer_scope,
)
from realtime.presence import get_presence_store
from realtime.webrtc import QualityReportInput

logger = logging.getLogger(__name__)


class LiveConsumer(BaseConsumer):
    # --- lifecycle -------------------------------------------------------------

    async def on_connect(self) -> None:
        self.stream_id = int(self.scope["url_route"]["kwargs"]["stream_id"])
        self.counted = False
        access = await db(live_access)(stream_id=self.stream_id, user=self.user)  # NotFound 4404 / Forbidden 4403
        if access.status == StreamStatus.ENDED:
            await self.send_error("stream_ended", "This stream has ended.")
            raise Reject(closecodes.GONE, "stream ended")
        self.role = access.role
        self.status = access.status
        self.streamer_id = access.streamer_id
        self.is_streamer = access.role == Badge.STREAMER
        self.sender = signaling.Sender(
            stream_id=self.stream_id,
            connection_id=self.connection_id,
            user=events.UserBrief(id=self.user.pk, username=self.user.username),
            role=access.role,
            is_streamer=self.is_streamer,
        )
        store = get_presence_store()
        await self.join_group(stream_group(self.stream_id))
        await self.join_group(streamer_group(self.streamer_id))
        # Joined first, checked again: a ban or kick committed after `live_access` read the
        # database was either seen here or is published to a group this socket is already in.
        if not self.is_streamer and await db(is_barred_from)(
            stream_id=self.stream_id, streamer_id=self.streamer_id, user_id=self.user.pk
        ):
            raise Forbidden("You were removed from this stream.", code="banned")

        if self.is_streamer:
            await self.join_presence(streamer_scope(self.stream_id), str(self.user.pk))
            await self.join_presence(stream_host_scope(self.stream_id), self.connection_id)
            if self.status == StreamStatus.LIVE:
                await db(stream_streamer_returned)(stream_id=self.stream_id)
            # Viewers already watching: the (re)connected streamer offers to each of them.
            info = await store.member_info(stream_peer_scope(self.stream_id))
            peers = [
                events.StreamPeer(
                    peer=conn,
                    user=events.UserBrief(id=i.get("user_id"), username=i.get("username")),
                    role=i.get("role"),
                )
                for conn, i in info.items()
            ]
            await self.send_event(
                events.ConnectionEstablished(
                    stream=self.stream_id,
                    status=self.status,
                    role=self.role,
                    viewers=await store.count(viewer_scope(self.stream_id)),
                    peer=self.connection_id,
                    peers=peers,
                )
            )
            return

        limit = int(settings.LIVE_MAX_VIEWERS)
        change = await self.join_presence(
            viewer_scope(self.stream_id), str(self.user.pk), info={"username": self.user.username}, max_members=limit
        )
        if change is None:
            await self.send_error(
                "stream_full", f"This stream has reached its maximum of {limit} viewers.", max_viewers=limit
            )
            raise Reject(closecodes.FULL, "stream full")
        await self.join_presence(
            stream_peer_scope(self.stream_id),
            self.connection_id,
            info={"user_id": self.user.pk, "username": self.user.username, "role": self.role},
        )
        self.counted = True
        await self.send_event(
            events.ConnectionEstablished(
                stream=self.stream_id,
                status=self.status,
                role=self.role,
                viewers=change.members,
                peer=self.connection_id,
            )
        )
        if change.flipped:
            await announce_viewer_joined(
                stream_id=self.stream_id,
                user=events.UserBrief.of(self.user),
                peer=self.connection_id,
                role=self.role,
                count=change.members,
            )

    async def on_disconnect(self, code: int) -> None:
        if not hasattr(self, "is_streamer"):
            return
        if self.is_streamer:
            await self.leave_presence(stream_host_scope(self.stream_id), self.connection_id)
            change = await self.leave_presence(streamer_scope(self.stream_id), str(self.user.pk))
            if change.flipped and self.status == StreamStatus.LIVE:
                await streamer_gone(self.stream_id)
            return
        if not self.counted:
            return
        await self.leave_presence(stream_peer_scope(self.stream_id), self.connection_id)
        await publish_to_streamer(self.stream_id, events.PeerLeft(peer=self.connection_id, user_id=self.user.pk))
        change = await self.leave_presence(viewer_scope(self.stream_id), str(self.user.pk))
        if change.flipped:
            await announce_viewer_left(
                stream_id=self.stream_id,
                user=events.UserBrief.of(self.user),
                count=change.members,
                peer=self.connection_id,
            )

    async def on_heartbeat(self) -> None:
        # Backstop for the grace timer: if the process that scheduled it died, any socket of the
        # stream notices the absent streamer; a short lock keeps it to one check per interval.
        if not self.is_streamer and self.status == StreamStatus.LIVE:
            await grace_backstop(self.stream_id, self.streamer_id)

    async def deliver(self, message: dict[str, Any]) -> None:
        event = message.get("event")
        if event == events.StreamStarted.type:
            self.status = StreamStatus.LIVE
        elif event == events.StreamEnded.type:
            self.status = StreamStatus.ENDED
        await super().deliver(message)

    # --- stream control and chat -----------------------------------------------------

    @handles("start_stream")
    async def on_start_stream(self, data: dict[str, Any]) -> None:
        await db(stream_start)(stream_id=self.stream_id, user=self.user)

    @handles("end_stream")
    async def on_end_stream(self, data: dict[str, Any]) -> None:
        await db(stream_end)(stream_id=self.stream_id, user=self.user)

    @handles("comment", CommentCreateInput)
    async def on_comment(self, data: dict[str, Any]) -> None:
        await db(comment_create)(stream_id=self.stream_id, author=self.user, text=data["text"])

    @handles("delete_comment", CommentDeleteInput)
    async def on_delete_comment(self, data: dict[str, Any]) -> None:
        await db(comment_delete)(comment_id=data["id"], actor=self.user, stream_id=self.stream_id)

    @handles("kick", KickInput)
    async def on_kick(self, data: dict[str, Any]) -> None:
        await db(user_kick_by_ref)(stream_id=self.stream_id, actor=self.user, ref=data["user"])

    # --- signaling (livestream.signaling) ----------------------------------------------

    @handles("webrtc_offer", OfferInput)
    async def on_webrtc_offer(self, data: dict[str, Any]) -> None:
        await signaling.offer_send(sender=self.sender, target=data["target"], sdp=data["sdp"])

    @handles("webrtc_answer", AnswerInput)
    async def on_webrtc_answer(self, data: dict[str, Any]) -> None:
        await signaling.answer_send(sender=self.sender, target=data.get("target"), sdp=data["sdp"])

    @handles("ice_candidate", IceCandidateInput)
    async def on_ice_candidate(self, data: dict[str, Any]) -> None:
        candidate = dict(data["candidate"]) if data.get("candidate") is not None else None
        await signaling.candidate_send(sender=self.sender, target=data.get("target"), candidate=candidate)

    @handles("request_offer", RequestOfferInput)
    async def on_request_offer(self, data: dict[str, Any]) -> None:
        await signaling.offer_request(sender=self.sender, target=data.get("target"))

    @handles("quality_report", QualityReportInput)
    async def on_quality_report(self, data: dict[str, Any]) -> None:
        """A viewer's figures reach the streamer (`viewer_quality`); everyone's feed the metrics."""
        metrics.quality_report(self, data)
        await signaling.quality_report(sender=self.sender, report=data)
