"""Fixtures of the items tests."""

from __future__ import annotations

import json
from typing import Any

import pytest


class SentEvents(list):
    """Frames that left through realtime.publish, as (group, decoded frame)."""

    def of_type(self, event_type: str) -> list[tuple[str, dict[str, Any]]]:
        return [(group, frame) for group, frame in self if frame["type"] == event_type]

    def types(self) -> list[str]:
        return [frame["type"] for _, frame in self]


class RecordingLayer:
    """Stands in for the channel layer: keeps every group_send instead of sending it."""

    def __init__(self, sent: SentEvents) -> None:
        self.sent = sent

    async def group_send(self, group: str, message: dict[str, Any]) -> None:
        self.sent.append((group, json.loads(message["text"])))


@pytest.fixture
def sent_events(monkeypatch: pytest.MonkeyPatch) -> SentEvents:
    """What realtime.publish hands to the channel layer (only after commit, as in production)."""
    sent = SentEvents()
    layer = RecordingLayer(sent)
    monkeypatch.setattr("realtime.publish.get_channel_layer", lambda *args, **kwargs: layer)
    return sent


@pytest.fixture(autouse=True)
def _fast_processing(settings: Any) -> None:
    # The simulated work sleeps ITEMS_PROCESS_SECONDS; unit tests need no delay.
    settings.ITEMS_PROCESS_SECONDS = 0
