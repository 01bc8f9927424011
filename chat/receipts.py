"""Per-process batching of chat receipts (`message_delivered`, `mark_read` from sockets).

Every member of a busy conversation acknowledges every message, so receipts outnumber
messages C-1 to 1, and as one transaction each they cost more than the messages themselves
(bench/chat_fanout --receipts). Sockets of this process hand their receipts to one batcher per
event loop (`realtime.batching.Batcher`); while one batch is being written, the next ones queue,
and then go together in one `services.receipts_apply` transaction. At low load a batch is a single
receipt and waits for nothing; under load batches grow by themselves. Each socket still awaits its
own receipt's outcome, so errors come back as `error` frames exactly as before, and nothing is
acknowledged before it is stored.

A batch waits CHAT_RECEIPT_WINDOW_MS for the receipts of the other members: when a message reaches
a conversation, its members acknowledge it within a few ms of each other, and one batch then
sends ONE `messages_read` for the conversation carrying every reader's position (not one frame per
receipt to every member) and one `chat_update` per reader.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import cast

from django.conf import settings

from chat.services import Receipt
from realtime import metrics
from realtime.batching import Batcher, per_loop
from realtime.errors import ServiceError

Apply = Callable[[list[Receipt]], Awaitable[list[ServiceError | None]]]


class ReceiptBatcher(Batcher[Receipt, None]):
    def __init__(self, apply: Apply, *, window: float = 0.0) -> None:
        # A receipt's result is None or the ServiceError it gets: exactly what Batcher raises or returns.
        super().__init__(
            cast(Callable[[list[Receipt]], Awaitable[list[BaseException | None]]], apply),
            window=window,
            on_batch=metrics.receipts_batched,
        )


def batcher(apply: Apply) -> ReceiptBatcher:
    """This event loop's batcher (one per server process; tests run many loops)."""
    window = settings.CHAT_RECEIPT_WINDOW_MS / 1000
    return cast(ReceiptBatcher, per_loop("chat.receipts", lambda: ReceiptBatcher(apply, window=window)))
