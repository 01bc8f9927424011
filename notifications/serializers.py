from __future__ import annotations

from rest_framework import serializers

from notifications.events import NotificationListed
from notifications.models import NotificationType, Priority
from realtime.fields import StrictIdField
from realtime.outputs import NamedUserBriefOutput, PayloadOutput


class NotificationOutput(PayloadOutput):
    """Same fields as the `new_notification` WebSocket payload, plus read_at."""

    payload = NotificationListed  # rendered by the payload; the fields below are for OpenAPI

    id = serializers.IntegerField(read_only=True)
    type = serializers.ChoiceField(choices=NotificationType.choices, read_only=True)
    actor = NamedUserBriefOutput(allow_null=True, read_only=True)
    target = serializers.JSONField(read_only=True)
    text = serializers.CharField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    priority = serializers.ChoiceField(choices=Priority.choices, read_only=True)
    group_key = serializers.CharField(read_only=True)
    read = serializers.BooleanField(read_only=True)
    read_at = serializers.DateTimeField(allow_null=True, read_only=True)


class NotificationGroupOutput(serializers.Serializer):
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


class NotificationListQueryInput(serializers.Serializer):
    unread = serializers.BooleanField(required=False, default=False)
    grouped = serializers.BooleanField(required=False, default=False)


class UnreadCountOutput(serializers.Serializer):
    count = serializers.IntegerField()


class MarkAllReadOutput(serializers.Serializer):
    marked = serializers.IntegerField()
    count = serializers.IntegerField(help_text="Unread count afterwards.")


class NotificationRefInput(serializers.Serializer):
    """`mark_read` {id} on the personal socket."""

    id = StrictIdField()
