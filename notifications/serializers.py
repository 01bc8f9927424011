from __future__ import annotations

from rest_framework import serializers

from notifications.models import Notification
from realtime.fields import StrictIdField


class ActorSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField()


class NotificationSerializer(serializers.ModelSerializer):
    """Same fields as the `new_notification` WebSocket payload, plus read_at."""

    actor = ActorSerializer(allow_null=True, read_only=True)
    target = serializers.JSONField(source="target_summary", read_only=True)
    read = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ["id", "type", "actor", "target", "text", "created_at", "priority", "group_key", "read", "read_at"]
        read_only_fields = fields

    def get_read(self, obj: Notification) -> bool:
        return obj.read_at is not None


class NotificationGroupSerializer(serializers.Serializer):
    group_key = serializers.CharField()
    type = serializers.CharField()
    target = serializers.JSONField()
    count = serializers.IntegerField()
    unread = serializers.IntegerField(help_text="How many in the group are unread.")
    actors_count = serializers.IntegerField()
    latest_actors = serializers.ListField(child=serializers.CharField(), help_text="Up to 3 usernames, newest first.")
    latest_notification_id = serializers.IntegerField()
    latest_created_at = serializers.DateTimeField()
    priority = serializers.CharField()
    text = serializers.CharField(help_text='e.g. "alice and 3 others liked your post"')


class NotificationListQuerySerializer(serializers.Serializer):
    unread = serializers.BooleanField(required=False, default=False)
    grouped = serializers.BooleanField(required=False, default=False)


class UnreadCountSerializer(serializers.Serializer):
    count = serializers.IntegerField()


class MarkAllReadResultSerializer(serializers.Serializer):
    marked = serializers.IntegerField()
    count = serializers.IntegerField(help_text="Unread count afterwards.")


class NotificationRefInput(serializers.Serializer):
    """`mark_read` {id} on the personal socket."""

    id = StrictIdField()
