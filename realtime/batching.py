"""Per-process batching of socket work that is cheaper written together (chat messages, receipts).

Sockets of one process hand their items to one batcher per event loop. The first item of a
batch waits `window` seconds (0: not at all) for others to join it; while a batch is being
written, the next items queue and go together in the following one, so under load batches grow
by themselves. Each socket awaits its own item's outcome: `apply` returns one result per item,
and a result that is an exception is raised to that item's socket alone (an `error` frame for a
`ServiceError`, 1011 for anything else). If `apply` itself fails, every item of its batch gets
that exception and the next batch still runs. Nothing is acknowledged before `apply` returned.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")

MAX_BATCH = 500


class Batcher(Generic[T, R]):
    def __init__(
        self,
        apply: Callable[[list[T]], Awaitable[Sequence[R | BaseException]]],
        *,
        window: float = 0.0,
        max_batch: int = MAX_BATCH,
        on_batch: Callable[[int], None] | None = None,
    ) -> None:
        self.apply = apply
        self.window = window
        self.max_batch = max_batch
        self.on_batch = on_batch
        self.pending: list[tuple[T, asyncio.Future[R | BaseException]]] = []
        self.draining = False
        self.task: asyncio.Task[None] | None = None  # a reference, so the running drain is not collected

    async def submit(self, item: T) -> R:
        """The result of `item` once its batch is written; raises the exception it got."""
        future: asyncio.Future[R | BaseException] = asyncio.get_running_loop().create_future()
        self.pending.append((item, future))
        if not self.draining:
            self.draining = True
            self.task = asyncio.ensure_future(self._drain())
        result = await future
        if isinstance(result, BaseException):
            raise result
        return result

    async def _drain(self) -> None:
        try:
            if self.window > 0:
                await asyncio.sleep(self.window)
            while self.pending:
                batch, self.pending = self.pending[: self.max_batch], self.pending[self.max_batch :]
                try:
                    results = await self.apply([item for item, _ in batch])
                except BaseException as exc:  # each waiting socket reports it (internal error, 1011)
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(exc)
                    if isinstance(exc, asyncio.CancelledError):
                        raise
                    continue
                if self.on_batch is not None:
                    self.on_batch(len(batch))
                for (_, future), result in zip(batch, results, strict=True):
                    if not future.done():
                        future.set_result(result)
        finally:
            self.draining = False


_registry: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, Any]] = weakref.WeakKeyDictionary()


def per_loop(name: str, factory: Callable[[], Any]) -> Any:
    """This event loop's object called `name`, made by `factory` the first time (one per server process;
    tests run many loops)."""
    objects = _registry.setdefault(asyncio.get_running_loop(), {})
    found = objects.get(name)
    if found is None:
        found = objects[name] = factory()
    return found
