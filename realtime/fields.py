"""Strict serializer fields for client input (REST bodies and WebSocket frames).

DRF coerces `5` to `"5"` and `"5"` to `5`; for frames a client builds by hand that
hides mistakes and stores what nobody meant. These fields accept only the JSON
type they name.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from rest_framework import serializers

# Largest value of a PostgreSQL bigint primary key: larger ids are invalid, not a 500.
MAX_DB_ID = 2**63 - 1


class JsonTyped(serializers.Field):
    """A field that takes only JSON values of `json_types` (a boolean is never a number), then parses as usual."""

    json_types: ClassVar[tuple[type, ...]]

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, self.json_types) or (isinstance(data, bool) and bool not in self.json_types):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictCharField(JsonTyped, serializers.CharField):
    """A JSON string only: numbers and booleans are invalid (`"text": 5`)."""

    json_types = (str,)


class StrictIntegerField(JsonTyped, serializers.IntegerField):
    """A JSON integer only: strings, floats and booleans are invalid (`"id": "5"`)."""

    json_types = (int,)


class StrictIdField(StrictIntegerField):
    """A database id: a JSON integer in 1..MAX_DB_ID."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_DB_ID)
        super().__init__(**kwargs)


class StrictBooleanField(JsonTyped, serializers.BooleanField):
    """A JSON boolean only: `"true"`, `1` and `"on"` are invalid."""

    json_types = (bool,)


class StrictFloatField(JsonTyped, serializers.FloatField):
    """A JSON number only (integer or not): strings and booleans are invalid (`"rtt_ms": "12"`)."""

    json_types = (int, float)


_SURROGATE = re.compile("[\ud800-\udfff]")


def plain_string(value: Any, *, max_length: int | None = None) -> bool:
    """True when `value` is a string a `StrictCharField(trim_whitespace=False)` keeps as it is: within
    `max_length`, no NUL, no lone surrogate (DRF's validators). For `fast_validate`s; False: ask the field."""
    if type(value) is not str or (max_length is not None and len(value) > max_length) or "\x00" in value:
        return False
    return value.isascii() or _SURROGATE.search(value) is None


def plain_id(value: Any) -> bool:
    """True when `value` is what `StrictIdField` accepts unchanged (an int in 1..MAX_DB_ID, not a bool)."""
    return type(value) is int and 0 < value <= MAX_DB_ID
