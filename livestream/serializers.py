"""Input and output serializers of the live-stream REST API and socket.

Inputs are strict about JSON types: `"title": 5` is an error, not the title "5".
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from livestream.models import Ban, ChannelRole, LiveComment, Stream
from realtime.fields import MAX_DB_ID, JsonTyped, StrictCharField, StrictIdField
from realtime.outputs import UserBriefOutput
from realtime.webrtc import CandidateInitInput


class StreamOutput(serializers.ModelSerializer):
    streamer = UserBriefOutput()

    class Meta:
        model = Stream
        fields = [
            "id",
            "streamer",
            "title",
            "status",
            "started_at",
            "ended_at",
            "current_viewers",
            "peak_viewers",
            "created_at",
        ]


class StreamCreateInput(serializers.Serializer):
    title = StrictCharField(max_length=140)


class CommentOutput(serializers.ModelSerializer):
    author = UserBriefOutput()

    class Meta:
        model = LiveComment
        fields = ["id", "stream_id", "author", "text", "badge", "created_at"]


class UsernameInput(serializers.Serializer):
    username = StrictCharField(max_length=150)


class ChannelRoleOutput(serializers.ModelSerializer):
    user = UserBriefOutput()

    class Meta:
        model = ChannelRole
        fields = ["user", "role", "created_at"]


class BanOutput(serializers.ModelSerializer):
    user = UserBriefOutput()

    class Meta:
        model = Ban
        fields = ["user", "created_at"]


class ModerationResultOutput(serializers.Serializer):
    stream = serializers.IntegerField()
    user = UserBriefOutput()
    action = serializers.ChoiceField(choices=["kicked", "banned"])


# --- socket input (/ws/live/<id>/) ------------------------------------------------------


class KickRefField(serializers.CharField):
    """A user id (integer) or a username (string); anything else is invalid."""

    def to_internal_value(self, data: Any) -> str:
        if isinstance(data, bool) or not isinstance(data, (str, int)):
            self.fail("invalid")
        if isinstance(data, int) and not 0 < data <= MAX_DB_ID:
            raise serializers.ValidationError("A user id must be a positive 64-bit integer.")
        return super().to_internal_value(str(data))


PEER_ID: dict[str, Any] = {"regex": r"^[0-9a-f]{32}$", "max_length": 32}


class PeerIdField(JsonTyped, serializers.RegexField):
    """A connection id (32 lowercase hex); a number is invalid rather than compared as a string."""

    json_types = (str,)


class CommentCreateInput(serializers.Serializer):
    text = StrictCharField(allow_blank=True, trim_whitespace=False, max_length=10_000)


class CommentDeleteInput(serializers.Serializer):
    id = StrictIdField()


class KickInput(serializers.Serializer):
    user = KickRefField(max_length=150, help_text="user id or username")


class OfferInput(serializers.Serializer):
    target = PeerIdField(**PEER_ID)
    sdp = StrictCharField(trim_whitespace=False)


class AnswerInput(serializers.Serializer):
    target = PeerIdField(**PEER_ID, required=False)
    sdp = StrictCharField(trim_whitespace=False)


class IceCandidateInput(serializers.Serializer):
    target = PeerIdField(**PEER_ID, required=False)
    candidate = CandidateInitInput(allow_null=True)


class RequestOfferInput(serializers.Serializer):
    target = PeerIdField(**PEER_ID, required=False)
