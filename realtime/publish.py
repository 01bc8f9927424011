"""The one way events leave a service: to a group, after the transaction commits.

A service calls `publish(...)` inside its transaction; the frame is built and
encoded once, then sent with `transaction.on_commit`, so a row that rolls back
is never announced. Consumers forward the pre-encoded text untouched, so the
fan-out path does no JSON work and no database query per delivery.

Group message shape (consumed by `BaseConsumer.realtime_event`):
    {"type": "realtime.event", "text": <encoded frame>, "event": <event type>,
     "exclude_user": int|None, "only_user": int|None, "close_code": int|None,
     "meta": {...}}
"""

from __future__ import annotations

import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from realtime import metrics
from realtime.envelope import encode, server_frame
from realtime.events import Event
from realtime.layers import group_send_many
from realtime.logging import request_id_var

logger = logging.getLogger(__name__)


def build_message(
    event: Event,
    *,
    event_id: int | str | None = None,
    exclude_user: int | None = None,
    only_user: int | None = None,
    close_code: int | None = None,
    meta: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The group message of a catalogued event, encoded once (a TypeError for anything else: `server_frame`)."""
    text = encode(server_frame(event, event_id=event_id))
    return {
        "type": "realtime.event",
        "event": event.type,
        "text": text,
        "exclude_user": exclude_user,
        "only_user": only_user,
        "close_code": close_code,
        "meta": meta or {},
        # The request (or socket) that caused the event, for log lines about it on any process.
        "request_id": request_id_var.get(),
    }


def publish(group: str, event: Event, **options: Any) -> None:
    """Send an event to `group` once the current transaction commits (at once if none is open)."""
    publish_messages([(group, build_message(event, **options))])


def publish_messages(pairs: list[tuple[str, dict[str, Any]]]) -> None:
    """Send pre-built messages (from `build_message`) to their groups after commit.

    All group sends of one commit go out concurrently in ONE hop from the sync
    thread to the event loop: a chat message reaches 1 + members groups, and a
    hop per group was the bottleneck of the chat path (bench/chat_fanout).
    """
    if pairs:
        transaction.on_commit(lambda: _send_all_sync(pairs), robust=True)


async def apublish(group: str, event: Event, **options: Any) -> None:
    """Send an ephemeral event now, from async code (typing, presence, signaling): nothing is stored."""
    message = build_message(event, **options)
    layer = get_channel_layer()
    if layer is None:
        return
    with metrics.layer_send():
        await group_send_many(layer, [(group, message)])


async def apublish_groups(groups: list[str], event: Event, **options: Any) -> None:
    """`apublish` to many groups: the frame encoded once, the groups sent to together."""
    if groups:
        message = build_message(event, **options)
        await _send_all([(group, message) for group in groups])


async def _send_all(pairs: list[tuple[str, dict[str, Any]]]) -> None:
    """Every group at once, the messages of one group in order (`realtime.layers.group_send_many`).

    A client must see one commit's events in the order the service published
    them (`item_updated` per item, then `items_bulk_status_updated`), and
    concurrent `group_send`s to the same group give no such guarantee.
    """
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        with metrics.layer_send(len(pairs)):
            await group_send_many(layer, pairs)
    except Exception:  # the rows are stored; a client that missed the events resumes with after=
        logger.exception(
            "publish_failed",
            extra={
                "groups": len({group for group, _ in pairs}),
                "event_types": sorted({str(message.get("event")) for _, message in pairs}),
                "request_id": pairs[0][1].get("request_id"),
            },
        )


def _send_all_sync(pairs: list[tuple[str, dict[str, Any]]]) -> None:
    try:
        async_to_sync(_send_all)(pairs)
    except Exception:
        logger.exception("publish_failed", extra={"groups": len(pairs)})
