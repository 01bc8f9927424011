"""Per-process batching of chat receipts (`message_delivered`, `mark_read` from sockets).

Every member of a busy conversation acknowledges every message, so receipts outnumber
messages C-1 to 1, and as one transaction each they cost more than the messages themselves
(bench/chat_fanout --receipts). Sockets of this process hand their receipts to one batcher per
event loop (`realtime.batching.Batcher`); while one batch is being written, the next ones queue,
and then go together in one `services.receipts_apply` transaction. At low load a batch is a single
receipt and waits for nothing; under load batches grow by themselves. Each socket still awaits its
own receipt's outcome, so errors come back as `error` frames exactly as before, and nothing is
acknowledged before it is stored.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import cast

from chat.services import Receipt
from realtime import metrics
from realtime.batching import Batcher, per_loop
from realtime.errors import ServiceError

Apply = Callable[[list[Receipt]], Awaitable[list[ServiceError | None]]]


class ReceiptBatcher(Batcher[Receipt, None]):
    def __init__(self, apply: Apply) -> None:
        # A receipt's result is None or the ServiceError it gets: exactly what Batcher raises or returns.
        super().__init__(
            cast(Callable[[list[Receipt]], Awaitable[list[BaseException | None]]], apply),
            on_batch=metrics.receipts_batched,
        )


def batcher(apply: Apply) -> ReceiptBatcher:
    """This event loop's batcher (one per server process; tests run many loops)."""
    return cast(ReceiptBatcher, per_loop("chat.receipts", lambda: ReceiptBatcher(apply)))
