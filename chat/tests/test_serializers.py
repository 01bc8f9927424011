"""The hot frames' `fast_validate`: whatever it accepts, the serializer accepts with the same result."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework import serializers

from chat.serializers import MessageCreateInput, MessageRefInput
from realtime.fields import MAX_DB_ID

TEXTS: list[Any] = ["hi", "", "  padded  ", "é ünïcode ✓", "a\x00b", "lone \ud800", 5, None, True, ["x"], "x" * 5000]
CLIENT_IDS: list[Any] = ["c-1", "", " c-2 ", "x" * 64, "x" * 65, " " * 3, "a\x00", "\udfff", 7, None, False]
MESSAGE_IDS: list[Any] = [1, 42, MAX_DB_ID, MAX_DB_ID + 1, 0, -3, True, False, 1.0, "5", None, [1]]


def _frames_of_messages() -> list[dict[str, Any]]:
    frames: list[dict[str, Any]] = [{}, {"client_id": "c"}, {"text": "hi", "extra": 1}]
    for text in TEXTS:
        frames.append({"text": text})
        frames += [{"text": text, "client_id": client_id} for client_id in CLIENT_IDS]
    return frames


def _agree(input_class: type[serializers.Serializer], data: dict[str, Any]) -> bool:
    fast = input_class.fast_validate(data)
    if fast is None:
        return True  # the serializer decides, as before
    serializer = input_class(data=data)
    return serializer.is_valid() and dict(serializer.validated_data) == fast


@pytest.mark.parametrize("data", _frames_of_messages(), ids=repr)
def test_a_chat_message_the_fast_path_accepts_validates_to_the_same_data(data: dict[str, Any]) -> None:
    assert _agree(MessageCreateInput, data)


@pytest.mark.parametrize("message_id", MESSAGE_IDS, ids=repr)
def test_a_receipt_the_fast_path_accepts_validates_to_the_same_data(message_id: Any) -> None:
    assert _agree(MessageRefInput, {"message_id": message_id})


def test_the_fast_path_takes_the_frames_clients_send() -> None:
    assert MessageCreateInput.fast_validate({"text": "hello ✓", "client_id": "c-1"}) == {
        "text": "hello ✓",
        "client_id": "c-1",
    }
    assert MessageRefInput.fast_validate({"message_id": 9}) == {"message_id": 9}
