"""Input serializers (socket frames and REST bodies) and REST output serializers.

Input fields are strict about JSON types: `"text": 5` or `"is_typing": "yes"` is an error,
not silently coerced. Limits that depend on settings (text length, member count) are
checked by the services, so both transports share one rule.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from chat.events import MessageData
from realtime.fields import MAX_DB_ID, StrictBooleanField, StrictCharField, StrictIdField, plain_id, plain_string
from realtime.outputs import PayloadOutput, UserBriefOutput

# --- inputs ---------------------------------------------------------------------


class MessageCreateInput(serializers.Serializer):
    text = StrictCharField(
        trim_whitespace=False, allow_blank=True, help_text="Non-blank, at most CHAT_MAX_MESSAGE_LENGTH characters."
    )
    client_id = StrictCharField(
        required=False,
        allow_null=True,
        allow_blank=True,
        max_length=64,
        help_text="Client-chosen id; resending it returns the stored message.",
    )

    @staticmethod
    def fast_validate(data: dict[str, Any]) -> dict[str, Any] | None:
        """`validated_data` for a plainly valid frame without building the serializer; None: ask it."""
        if not plain_string(data.get("text")):
            return None
        validated = {"text": data["text"]}
        if "client_id" in data:
            client_id = data["client_id"]
            # The field trims whitespace (then checks the length): only a trimmed, non-empty id skips it.
            if client_id is not None and not (
                plain_string(client_id, max_length=64) and client_id and client_id == client_id.strip()
            ):
                return None
            validated["client_id"] = client_id
        return validated


class TypingInput(serializers.Serializer):
    is_typing = StrictBooleanField()


class MessageRefInput(serializers.Serializer):
    message_id = StrictIdField()

    @staticmethod
    def fast_validate(data: dict[str, Any]) -> dict[str, Any] | None:
        """`validated_data` for a plainly valid frame without building the serializer; None: ask it."""
        return {"message_id": data["message_id"]} if plain_id(data.get("message_id")) else None


class ConversationCreateInput(serializers.Serializer):
    user = StrictCharField(
        required=False, max_length=150, help_text="Username: create or return the direct conversation with them."
    )
    title = StrictCharField(required=False, max_length=120, help_text="Group title (with `members`).")
    members = serializers.ListField(
        child=StrictCharField(max_length=150),
        required=False,
        max_length=200,
        help_text="Usernames of the other group members.",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if ("user" in attrs) == ("members" in attrs):
            raise serializers.ValidationError(
                'Send either {"user": <username>} or {"title", "members": [<username>, ...]}.'
            )
        if "members" in attrs and not attrs.get("title", "").strip():
            raise serializers.ValidationError({"title": ["A group needs a title."]})
        return attrs


class MessagePageQuery(serializers.Serializer):
    before = serializers.IntegerField(required=False, min_value=1, max_value=MAX_DB_ID)
    after = serializers.IntegerField(required=False, min_value=0, max_value=MAX_DB_ID)
    limit = serializers.IntegerField(required=False, min_value=1, max_value=100, default=50)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "before" in attrs and "after" in attrs:
            raise serializers.ValidationError("Use either before or after, not both.")
        return attrs


# --- outputs --------------------------------------------------------------------


class MessageOutput(PayloadOutput):
    """A stored message: the same fields as the `chat_message` WebSocket data."""

    payload = MessageData  # the `chat_message` event's data; the fields below are for OpenAPI

    id = serializers.IntegerField()
    conversation = serializers.IntegerField(source="conversation_id")
    sender = UserBriefOutput()
    text = serializers.CharField()
    created_at = serializers.DateTimeField()
    client_id = serializers.CharField(allow_null=True)


class MemberOutput(serializers.Serializer):
    id = serializers.IntegerField(source="user_id")
    username = serializers.CharField(source="user.username")
    last_delivered_message_id = serializers.IntegerField()
    last_read_message_id = serializers.IntegerField()


class ConversationOutput(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    title = serializers.CharField()
    created_at = serializers.DateTimeField()
    last_message_at = serializers.DateTimeField(
        allow_null=True, help_text="Last activity (creation or latest message)."
    )
    last_message = MessageOutput(allow_null=True)
    unread_count = serializers.IntegerField()
    last_read_message_id = serializers.IntegerField(source="my_last_read")
    last_delivered_message_id = serializers.IntegerField(source="my_last_delivered")
    members = MemberOutput(many=True, source="memberships.all")


class MessagePageOutput(serializers.Serializer):
    results = MessageOutput(many=True)
    has_more = serializers.BooleanField(
        help_text="More messages exist in the paging direction (older for before/none, newer for after)."
    )
    oldest_id = serializers.IntegerField(allow_null=True, help_text="Pass as ?before= for the previous (older) page.")
    newest_id = serializers.IntegerField(allow_null=True, help_text="Pass as ?after= for the next (newer) page.")


class ReadInput(serializers.Serializer):
    message_id = StrictIdField()


class ReadOutput(serializers.Serializer):
    conversation = serializers.IntegerField()
    user = serializers.IntegerField()
    last_read_message_id = serializers.IntegerField()
    last_delivered_message_id = serializers.IntegerField()
    unread_count = serializers.IntegerField()
