"""Input and output serializers of the live-stream REST API.

Inputs are strict about JSON types: `"title": 5` is an error, not the title "5".
"""

from __future__ import annotations

from rest_framework import serializers

from livestream.models import ChannelRole, LiveComment, Stream
from realtime.fields import StrictCharField


class UserBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()


class StreamOutputSerializer(serializers.ModelSerializer):
    streamer = UserBriefSerializer()

    class Meta:
        model = Stream
        fields = ["id", "streamer", "title", "status", "started_at", "ended_at", "current_viewers", "peak_viewers", "created_at"]


class StreamCreateSerializer(serializers.Serializer):
    title = StrictCharField(max_length=140)


class CommentOutputSerializer(serializers.ModelSerializer):
    author = UserBriefSerializer()

    class Meta:
        model = LiveComment
        fields = ["id", "stream_id", "author", "text", "badge", "created_at"]


class UsernameSerializer(serializers.Serializer):
    username = StrictCharField(max_length=150)


class ChannelRoleOutputSerializer(serializers.ModelSerializer):
    user = UserBriefSerializer()

    class Meta:
        model = ChannelRole
        fields = ["user", "role", "created_at"]


class ModerationResultSerializer(serializers.Serializer):
    stream = serializers.IntegerField()
    user = UserBriefSerializer()
    action = serializers.ChoiceField(choices=["kicked", "banned"])
