"""What WebRTC signaling shares across apps (live streams and P2P rooms): the candidate shape, the SDP limit,
the call-quality report."""

from __future__ import annotations

from django.conf import settings
from rest_framework import serializers

from realtime.errors import InvalidInput
from realtime.fields import StrictCharField, StrictFloatField, StrictIntegerField

# An RTCIceCandidateInit's candidate line is ~100-200 bytes; 2 KiB leaves room for any real one.
MAX_CANDIDATE_LENGTH = 2048


class CandidateInitInput(serializers.Serializer):
    """An RTCIceCandidateInit (what `RTCIceCandidate.toJSON()` gives); other keys are dropped."""

    candidate = StrictCharField(allow_blank=True, trim_whitespace=False, max_length=MAX_CANDIDATE_LENGTH)
    sdpMid = StrictCharField(allow_null=True, allow_blank=True, required=False, max_length=64)  # noqa: N815 - WebRTC's name
    sdpMLineIndex = StrictIntegerField(allow_null=True, required=False, min_value=0, max_value=65535)  # noqa: N815
    usernameFragment = StrictCharField(allow_null=True, allow_blank=True, required=False, max_length=256)  # noqa: N815


def sdp_check(sdp: str) -> str:
    """Refuse session descriptions above `LIVE_MAX_SDP_BYTES` (`sdp_too_large`; its own code, not `invalid`)."""
    limit = int(settings.LIVE_MAX_SDP_BYTES)
    if len(sdp.encode("utf-8")) > limit:
        raise InvalidInput(f"SDP exceeds {limit} bytes.", code="sdp_too_large", field="sdp")
    return sdp


class QualityReportInput(serializers.Serializer):
    """`quality_report`: a client's getStats() summary of one connection, every few seconds.

    Every figure may be null (not measured yet); `peer` names the other end when the sender has several.
    """

    peer = StrictCharField(required=False, max_length=64)
    rtt_ms = StrictFloatField(allow_null=True, min_value=0, max_value=60_000)
    packet_loss_pct = StrictFloatField(allow_null=True, min_value=0, max_value=100)
    bitrate_kbps = StrictFloatField(allow_null=True, min_value=0, max_value=1_000_000)
    fps = StrictFloatField(allow_null=True, min_value=0, max_value=240)
