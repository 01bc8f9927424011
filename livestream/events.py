"""Event types the live-stream socket sends, declared once (realtime/events.py; docs/protocol.md, "Live streams")."""

from __future__ import annotations

from datetime import datetime
from typing import Any

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


@event("connection_established")
class ConnectionEstablished(Event):
    stream: int
    status: str
    role: str
    viewers: int
    peer: str
    # the streamer's sockets only
    peers: list[StreamPeer] = OMIT


@event("stream_started")
class StreamStarted(Event):
    stream: StreamData


@event("stream_ended")
class StreamEnded(Event):
    """Then the socket is closed with 4410."""

    stream: StreamData
    reason: str


@event("viewers_update")
class ViewersUpdate(Event):
    count: int


@event("user_joined")
class UserJoined(Event):
    """To the streamer only: a user's first socket joined."""

    user: UserBrief
    peer: str
    role: str
    viewers: int


@event("user_left")
class UserLeft(Event):
    """To the streamer only: the user's last socket left (`peer` None when a crashed process's viewer expired)."""

    user: UserBrief
    peer: str | None
    viewers: int


@event("peer_left")
class PeerLeft(Event):
    """To the streamer only: one viewer socket closed."""

    peer: str
    user_id: int


@event("comment")
class Comment(Event):
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
            author=UserBrief.of(comment.author),
            text=comment.text,
            badge=comment.badge,
            created_at=comment.created_at,
        )


@event("comment_deleted")
class CommentDeleted(Event):
    id: int


@event("kicked")
class Kicked(Event):
    """To the kicked user only, then close 4403."""

    stream: int
    reason: str
    user: UserBrief


@payload
class Signal(Payload):
    """Who signals: `from` is the sender socket's connection id, set by the server."""

    from_: str
    user: UserBrief
    role: str


@event("webrtc_offer")
class WebrtcOffer(Signal, Event):
    sdp: str


@event("webrtc_answer")
class WebrtcAnswer(Signal, Event):
    sdp: str


@event("ice_candidate")
class IceCandidate(Signal, Event):
    candidate: dict[str, Any] | None


@event("request_offer")
class RequestOffer(Signal, Event):
    pass


@event("viewer_quality")
class ViewerQuality(Signal, Event):
    """To the streamer: one viewer's `quality_report` (figures may be null: not measured yet)."""

    rtt_ms: float | None
    packet_loss_pct: float | None
    bitrate_kbps: float | None
    fps: float | None
