"""REST output serializers whose shape IS an event payload (realtime/events.py).

The declared fields are there for OpenAPI (drf-spectacular) and are checked equal to the
payload's fields by a test (tests/test_event_catalogue.py); the output itself comes from the
payload's builder, so the REST body and the WebSocket `data` cannot drift apart. Datetimes are
rendered by the declared DRF fields, exactly as a plain serializer would.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rest_framework import serializers

from realtime.events import Payload


class PayloadOutput(serializers.Serializer):
    """Subclasses set `payload` (a `@payload` class with an `of(instance)` builder) and declare its fields."""

    payload: ClassVar[type[Payload]]

    def to_representation(self, instance: Any) -> dict[str, Any]:
        data = self.payload.of(instance).data()  # type: ignore[attr-defined]
        return _render(self, data)


class UserBriefOutput(serializers.Serializer):
    """The REST side of `realtime.events.UserBrief`: a user inside another object."""

    id = serializers.IntegerField()
    username = serializers.CharField()


class NamedUserBriefOutput(UserBriefOutput):
    """The REST side of `realtime.events.NamedUserBrief`."""

    name = serializers.CharField()


def _render(serializer: serializers.Serializer, data: dict[str, Any]) -> dict[str, Any]:
    data = dict(data)
    for name, field in serializer.fields.items():
        value = data.get(name)
        if value is None:
            continue
        if isinstance(field, serializers.DateTimeField):
            data[name] = field.to_representation(value)
        elif isinstance(field, serializers.Serializer) and isinstance(value, dict):
            data[name] = _render(field, value)
    return data
