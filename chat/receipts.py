"""Per-process batching of chat receipts (`message_delivered`, `mark_read` from sockets).

Every member of a busy conversation acknowledges every message, so receipts outnumber
messages C-1 to 1, and as one transaction each they cost more than the messages themselves
(bench/chat_fanout --receipts). Sockets of this process hand their receipts to one batcher per
event loop; while one batch is being written, the next ones queue, and then go together in
one `services.receipts_apply` transaction. At low load a batch is a single receipt and waits
for nothing; under load batches grow by themselves. Each socket still awaits its own receipt's
outcome, so errors come back as `error` frames exactly as before, and nothing is acknowledged
before it is stored.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Awaitable, Callable

from chat.services import Receipt
from realtime import metrics
from realtime.errors import ServiceError

MAX_BATCH = 500

Apply = Callable[[list[Receipt]], Awaitable[list[ServiceError | None]]]


class ReceiptBatcher:
    def __init__(self, apply: Apply) -> None:
        self.apply = apply
        self.pending: list[tuple[Receipt, asyncio.Future[ServiceError | None]]] = []
        self.draining = False
        self.task: asyncio.Task[None] | None = None  # a reference, so the running drain is not collected

    async def submit(self, receipt: Receipt) -> None:
        """Store `receipt` (with whatever else is queued); raises the ServiceError it gets."""
        future: asyncio.Future[ServiceError | None] = asyncio.get_running_loop().create_future()
        self.pending.append((receipt, future))
        if not self.draining:
            self.draining = True
            self.task = asyncio.ensure_future(self._drain())
        error = await future
        if error is not None:
            raise error

    async def _drain(self) -> None:
        try:
            while self.pending:
                batch, self.pending = self.pending[:MAX_BATCH], self.pending[MAX_BATCH:]
                try:
                    results = await self.apply([receipt for receipt, _ in batch])
                except BaseException as exc:  # each waiting socket reports it (internal error, 1011)
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(exc)
                    if isinstance(exc, asyncio.CancelledError):
                        raise
                    continue
                metrics.receipts_batched(len(batch))
                for (_, future), result in zip(batch, results, strict=True):
                    if not future.done():
                        future.set_result(result)
        finally:
            self.draining = False


_batchers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, ReceiptBatcher] = weakref.WeakKeyDictionary()


def batcher(apply: Apply) -> ReceiptBatcher:
    """This event loop's batcher (one per server process; tests run many loops)."""
    loop = asyncio.get_running_loop()
    found = _batchers.get(loop)
    if found is None:
        found = _batchers[loop] = ReceiptBatcher(apply)
    return found
