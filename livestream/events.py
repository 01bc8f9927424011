"""Event types the live-stream socket sends, and their payload builders (docs/protocol.md, "Live streams")."""

from __future__ import annotations

from typing import Any

from livestream.models import LiveComment, Stream

# server -> client
CONNECTION_ESTABLISHED = "connection_established"  # {stream, role, viewers, peer, peers?}
STREAM_STARTED = "stream_started"  # {stream}
STREAM_ENDED = "stream_ended"  # {stream, reason}; the socket is then closed with 4410
VIEWERS_UPDATE = "viewers_update"  # {count}
USER_JOINED = "user_joined"  # to the streamer only: {user, peer, role}
USER_LEFT = "user_left"  # to the streamer only: {user, peer?}
PEER_LEFT = "peer_left"  # to the streamer only: one viewer socket closed {peer, user_id}
COMMENT = "comment"  # {id, author, text, badge, created_at}
COMMENT_DELETED = "comment_deleted"  # {id}
KICKED = "kicked"  # to the kicked user only, then close 4403: {stream, reason}
WEBRTC_OFFER = "webrtc_offer"  # {from, user, sdp}
WEBRTC_ANSWER = "webrtc_answer"  # {from, user, sdp}
ICE_CANDIDATE = "ice_candidate"  # {from, user, candidate}
REQUEST_OFFER = "request_offer"  # to the streamer: {from, user}


def user_brief(user_id: int, username: str | None) -> dict[str, Any]:
    return {"id": user_id, "username": username}


def stream_payload(stream: Stream) -> dict[str, Any]:
    return {
        "id": stream.pk,
        "streamer": user_brief(stream.streamer_id, stream.streamer.username),
        "title": stream.title,
        "status": stream.status,
        "started_at": stream.started_at,
        "ended_at": stream.ended_at,
        "current_viewers": stream.current_viewers,
        "peak_viewers": stream.peak_viewers,
        "created_at": stream.created_at,
    }


def comment_payload(comment: LiveComment) -> dict[str, Any]:
    return {
        "id": comment.pk,
        "stream_id": comment.stream_id,
        "author": user_brief(comment.author_id, comment.author.username),
        "text": comment.text,
        "badge": comment.badge,
        "created_at": comment.created_at,
    }
