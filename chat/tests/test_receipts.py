"""chat.receipts.ReceiptBatcher: receipts that arrive while a batch is being written go together in the next."""

from __future__ import annotations

import asyncio

import pytest

from chat.receipts import ReceiptBatcher
from chat.services import Receipt
from realtime.errors import NotFound, ServiceError


async def test_receipts_queued_during_a_write_go_in_one_next_batch_and_errors_reach_their_sender() -> None:
    batches: list[list[int]] = []
    release = asyncio.Event()

    async def apply(batch: list[Receipt]) -> list[ServiceError | None]:
        batches.append([r.message_id for r in batch])
        if len(batches) == 1:
            await release.wait()  # the first write is slow: the others queue behind it
        return [NotFound("Message not found.", field="message_id") if r.message_id == 13 else None for r in batch]

    batcher = ReceiptBatcher(apply)
    first = asyncio.ensure_future(batcher.submit(Receipt("read", 1, 1, 1)))
    await asyncio.sleep(0)
    queued = [asyncio.ensure_future(batcher.submit(Receipt("delivered", 2, 1, n))) for n in (11, 12, 13)]
    await asyncio.sleep(0.01)
    assert batches == [[1]] and not first.done()
    release.set()
    await first
    done = await asyncio.gather(*queued, return_exceptions=True)
    assert batches == [[1], [11, 12, 13]]
    assert done[:2] == [None, None] and isinstance(done[2], NotFound)
    assert not batcher.draining


async def test_a_failed_write_fails_every_receipt_of_its_batch_and_the_next_one_still_runs() -> None:
    calls = 0

    async def apply(batch: list[Receipt]) -> list[ServiceError | None]:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("database went away")
        return [None] * len(batch)

    batcher = ReceiptBatcher(apply)
    with pytest.raises(RuntimeError):
        await batcher.submit(Receipt("read", 1, 1, 1))
    await batcher.submit(Receipt("read", 1, 1, 2))
    assert calls == 2
