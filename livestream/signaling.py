"""WebRTC signaling of a live stream: who may signal whom, and the relay.

Signaling is relayed only between the streamer and a viewer socket of the same stream,
addressed by connection id (`peer`); the server sets `from`, `user` and `role`. Presence is
the authority on who is connected: `stream_peer:<id>` holds the viewer sockets (valid targets
of the streamer), `stream_host:<id>` the streamer's sockets (where viewers' frames go).

The consumer builds a `Sender` at connect and calls these functions; they raise `ServiceError`s
that become `error` frames, and never touch the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from livestream import events
from livestream.presence import publish_to_streamer
from realtime.errors import Forbidden, InvalidInput
from realtime.groups import connection_group, stream_host_scope, stream_peer_scope
from realtime.presence import get_presence_store
from realtime.publish import apublish
from realtime.webrtc import sdp_check


@dataclass(frozen=True)
class Sender:
    """The signaling socket: its stream, its connection id, who it is and its role there."""

    stream_id: int
    connection_id: str
    user: events.UserBrief
    role: str
    is_streamer: bool

    def signal(self, signal: type[events.Signal], **payload: Any) -> Any:
        return signal(from_=self.connection_id, user=self.user, role=self.role, **payload)


async def _to_viewer(sender: Sender, target: str | None, event: Any) -> None:
    if not target:
        raise InvalidInput("The streamer must name the viewer's peer id in `target`.", code="invalid", field="target")
    if not await get_presence_store().is_present(stream_peer_scope(sender.stream_id), target):
        raise InvalidInput("No such viewer in this stream.", code="unknown_target")
    await apublish(connection_group(target), event)


async def _to_streamer(sender: Sender, target: str | None, event: Any) -> None:
    if target:
        if not await get_presence_store().is_present(stream_host_scope(sender.stream_id), target):
            # Another viewer, or a socket of another stream: viewers may only talk to the streamer.
            raise Forbidden("Viewers can only signal the streamer of this stream.")
        await apublish(connection_group(target), event)
        return
    if not await publish_to_streamer(sender.stream_id, event):
        raise InvalidInput("The streamer is not connected.", code="streamer_offline")


async def offer_send(*, sender: Sender, target: str, sdp: str) -> None:
    """The streamer offers to one viewer socket."""
    if not sender.is_streamer:
        raise Forbidden("Only the streamer sends offers; send request_offer instead.")
    await _to_viewer(sender, target, sender.signal(events.WebrtcOffer, sdp=sdp_check(sdp)))


async def answer_send(*, sender: Sender, target: str | None, sdp: str) -> None:
    """A viewer answers the streamer (one streamer socket by `target`, else all of them)."""
    if sender.is_streamer:
        raise Forbidden("The streamer sends offers, not answers.")
    await _to_streamer(sender, target, sender.signal(events.WebrtcAnswer, sdp=sdp_check(sdp)))


async def candidate_send(*, sender: Sender, target: str | None, candidate: dict[str, Any] | None) -> None:
    """An ICE candidate, either way (null = end of candidates)."""
    event = sender.signal(events.IceCandidate, candidate=candidate)
    if sender.is_streamer:
        await _to_viewer(sender, target, event)
    else:
        await _to_streamer(sender, target, event)


async def offer_request(*, sender: Sender, target: str | None) -> None:
    """A viewer asks the streamer for an offer."""
    if sender.is_streamer:
        raise Forbidden("Only viewers request offers.")
    await _to_streamer(sender, target, sender.signal(events.RequestOffer))


async def quality_report(*, sender: Sender, report: dict[str, Any]) -> None:
    """A viewer's call-quality summary goes to the streamer's sockets (none connected: dropped, no error)."""
    if sender.is_streamer:
        return
    figures = {key: report.get(key) for key in ("rtt_ms", "packet_loss_pct", "bitrate_kbps", "fps")}
    await publish_to_streamer(sender.stream_id, sender.signal(events.ViewerQuality, **figures))
