"""Input serializers of room frames and output serializers of the REST API (no DB access).

Input fields are strict about JSON types: `"sdp": 5` or `"sdpMLineIndex": "0"` is an
`invalid` error, not silently coerced into something that is then relayed.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from realtime.fields import StrictBooleanField, StrictCharField, StrictIdField
from realtime.outputs import NamedUserBriefOutput, UserBriefOutput
from realtime.webrtc import CandidateInitInput
from rtc.models import Visibility

PEER_ID_FIELD: dict[str, Any] = {"max_length": 64, "allow_blank": False}


class SessionDescriptionInput(serializers.Serializer):
    """`offer` / `answer`: `{target, sdp}`. Size is checked in the handler (its own error code)."""

    target = StrictCharField(**PEER_ID_FIELD)
    sdp = StrictCharField(allow_blank=False, trim_whitespace=False)


class IceCandidateInput(serializers.Serializer):
    """`ice_candidate`: `{target, candidate}`.

    candidate is an RTCIceCandidateInit object, or null for end-of-candidates."""

    target = StrictCharField(**PEER_ID_FIELD)
    candidate = CandidateInitInput(allow_null=True)


class BroadcastInput(serializers.Serializer):
    """`broadcast`: `{data}`, any JSON value, relayed as-is to every other peer (size checked in the handler)."""

    data = serializers.JSONField()  # type: ignore[assignment]  # the frame field is named `data`, like Serializer.data


class LobbyDecisionInput(serializers.Serializer):
    """`admit` / `deny`: `{user_id}` of a user waiting in the lobby."""

    user_id = StrictIdField()


# --- REST output ----------------------------------------------------------------


class PeerUserOutput(UserBriefOutput):
    """Null only for a user known from a presence entry whose row is gone."""

    id = serializers.IntegerField(allow_null=True)
    username = serializers.CharField(allow_null=True)


class PeerOutput(serializers.Serializer):
    peer_id = serializers.CharField()
    user = PeerUserOutput()


class RoomOutput(serializers.Serializer):
    """A room as the caller sees it; `participants` and `is_member` are set by the view/selector."""

    room_id = serializers.CharField()
    title = serializers.CharField()
    owner = NamedUserBriefOutput()
    visibility = serializers.ChoiceField(choices=Visibility.choices)
    lobby_enabled = serializers.BooleanField()
    participants = serializers.IntegerField(help_text="Peers connected now (all processes).")
    is_owner = serializers.SerializerMethodField()
    is_member = serializers.BooleanField()
    created_at = serializers.DateTimeField()

    def get_is_owner(self, room) -> bool:
        return room.owner_id == self.context["request"].user.pk


class RoomOwnerDetailOutput(RoomOutput):
    """The owner's view: with the invite link (share it; rotating it revokes the old one)."""

    invite_token = serializers.CharField()
    invite_url = serializers.CharField()


class RoomCreateInput(serializers.Serializer):
    room_id = StrictCharField(
        required=False, allow_blank=True, max_length=200, help_text="[A-Za-z0-9_-]{1,64}; omitted -> generated."
    )
    title = StrictCharField(required=False, allow_blank=True, max_length=120)
    visibility = serializers.ChoiceField(choices=Visibility.choices, required=False)
    lobby_enabled = StrictBooleanField(required=False)


class RoomUpdateInput(serializers.Serializer):
    title = StrictCharField(required=False, allow_blank=True, max_length=120)
    visibility = serializers.ChoiceField(choices=Visibility.choices, required=False)
    lobby_enabled = StrictBooleanField(required=False)


class RoomJoinInput(serializers.Serializer):
    invite = StrictCharField(required=False, allow_blank=True, max_length=128)


class UserIdInput(serializers.Serializer):
    user_id = StrictIdField()


class MembershipOutput(serializers.Serializer):
    room_id = serializers.CharField(source="room.room_id")
    user = NamedUserBriefOutput()
    role = serializers.CharField()
    created_at = serializers.DateTimeField()


class LobbyEntryOutput(serializers.Serializer):
    user = NamedUserBriefOutput()
    since = serializers.DateTimeField()


class RoomParticipantsOutput(serializers.Serializer):
    room_id = serializers.CharField()
    count = serializers.IntegerField()
    max_participants = serializers.IntegerField()
    participants = PeerOutput(many=True)


class IceServerOutput(serializers.Serializer):
    urls = serializers.ListField(child=serializers.CharField())
    username = serializers.CharField(required=False)
    credential = serializers.CharField(required=False)


class IceConfigOutput(serializers.Serializer):
    iceServers = IceServerOutput(many=True)  # noqa: N815 - the RTCConfiguration field name
    iceTransportPolicy = serializers.ChoiceField(choices=["all", "relay"])  # noqa: N815
    bundlePolicy = serializers.CharField()  # noqa: N815
    rtcpMuxPolicy = serializers.CharField()  # noqa: N815
    ttl = serializers.IntegerField(help_text="Lifetime of the TURN credentials in seconds.")
