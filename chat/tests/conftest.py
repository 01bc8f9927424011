from __future__ import annotations

import json
from typing import Any

import pytest


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str, dict[str, Any]]]:
    """Every group message actually handed to the channel layer: (group, event type, decoded frame)."""
    from realtime import publish as publish_module

    calls: list[tuple[str, str, dict[str, Any]]] = []

    def record(group: str, message: dict[str, Any]) -> None:
        calls.append((group, message["event"], json.loads(message["text"])))

    class RecordingLayer:
        async def group_send(self, group: str, message: dict[str, Any]) -> None:
            record(group, message)

    # publish_messages sends every group of a commit through the layer returned here.
    monkeypatch.setattr(publish_module, "get_channel_layer", lambda: RecordingLayer())
    return calls


@pytest.fixture
def direct(make_user):
    """(a, b, conversation) with a direct conversation between two fresh users."""
    from chat.services import conversation_get_or_create_direct

    a, b = make_user(), make_user()
    conversation, _ = conversation_get_or_create_direct(user=a, other=b)
    return a, b, conversation
