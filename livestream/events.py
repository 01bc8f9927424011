"""Event types the live-stream socket sends, declared once (realtime/events.py; docs/protocol.md, "Live streams")."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar, Literal

from livestream.models import LiveComment, Stream
from realtime.events import OMIT, Event, Payload, UserBrief, event, payload


@payload
class StreamData(Payload):
    id: int
    streamer: UserBrief
    title: str
    status: str
    started_at: datetime | None
    ended_at: datetime | None
    current_viewers: int
    peak_viewers: int
    created_at: datetime

    @classmethod
    def of(cls, stream: Stream) -> StreamData:
        return cls(
            id=stream.pk,
            streamer=UserBrief.of(stream.streamer),
            title=stream.title,
            status=stream.status,
            started_at=stream.started_at,
            ended_at=stream.ended_at,
            current_viewers=stream.current_viewers,
            peak_viewers=stream.peak_viewers,
            created_at=stream.created_at,
        )


@payload
class StreamPeer(Payload):
    """A viewer socket already watching, for the streamer to offer to."""

    peer: str
    user: UserBrief
    role: str | None


@event
class ConnectionEstablished(Event):
    type: ClassVar[Literal["connection_established"]] = "connection_established"
    stream: int
    status: str
    role: str
    viewers: int
    peer: str
    # the streamer's sockets only
    peers: list[StreamPeer] = OMIT


@event
class StreamStarted(Event):
    type: ClassVar[Literal["stream_started"]] = "stream_started"
    stream: StreamData


@event
class StreamEnded(Event):
    """Then the socket is closed with 4410."""

    type: ClassVar[Literal["stream_ended"]] = "stream_ended"
    stream: StreamData
    reason: str


@event
class ViewersUpdate(Event):
    type: ClassVar[Literal["viewers_update"]] = "viewers_update"
    count: int


@event
class UserJoined(Event):
    """To the streamer only: a user's first socket joined."""

    type: ClassVar[Literal["user_joined"]] = "user_joined"
    user: UserBrief
    peer: str
    role: str
    viewers: int


@event
class UserLeft(Event):
    """To the streamer only: the user's last socket left (`peer` None when a crashed process's viewer expired)."""

    type: ClassVar[Literal["user_left"]] = "user_left"
    user: UserBrief
    peer: str | None
    viewers: int


@event
class PeerLeft(Event):
    """To the streamer only: one viewer socket closed."""

    type: ClassVar[Literal["peer_left"]] = "peer_left"
    peer: str
    user_id: int


@event
class Comment(Event):
    type: ClassVar[Literal["comment"]] = "comment"
    id: int
    stream_id: int
    author: UserBrief
    text: str
    badge: str
    created_at: datetime

    @classmethod
    def of(cls, comment: LiveComment) -> Comment:
        return cls(
            id=comment.pk,
            stream_id=comment.stream_id,
            author=UserBrief(id=comment.author_id, username=comment.author.username),
            text=comment.text,
            badge=comment.badge,
            created_at=comment.created_at,
        )


@event
class CommentDeleted(Event):
    type: ClassVar[Literal["comment_deleted"]] = "comment_deleted"
    id: int


@event
class Kicked(Event):
    """To the kicked user only, then close 4403."""

    type: ClassVar[Literal["kicked"]] = "kicked"
    stream: int
    reason: str
    user: UserBrief


@payload
class Signal(Payload):
    """Who signals: `from` is the sender socket's connection id, set by the server."""

    from_: str
    user: UserBrief
    role: str


@event
class WebrtcOffer(Signal, Event):
    type: ClassVar[Literal["webrtc_offer"]] = "webrtc_offer"
    sdp: str


@event
class WebrtcAnswer(Signal, Event):
    type: ClassVar[Literal["webrtc_answer"]] = "webrtc_answer"
    sdp: str


@event
class IceCandidate(Signal, Event):
    type: ClassVar[Literal["ice_candidate"]] = "ice_candidate"
    candidate: dict[str, Any] | None


@event
class RequestOffer(Signal, Event):
    type: ClassVar[Literal["request_offer"]] = "request_offer"


@event
class ViewerQuality(Signal, Event):
    """To the streamer: one viewer's `quality_report` (figures may be null: not measured yet)."""

    type: ClassVar[Literal["viewer_quality"]] = "viewer_quality"
    rtt_ms: float | None
    packet_loss_pct: float | None
    bitrate_kbps: float | None
    fps: float | None
