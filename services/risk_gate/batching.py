"""Decide together the intents that arrive together: one transaction for a batch, not one each.

The pull consumer hands a fetched batch to concurrent handlers (one per user, each user's
messages in order). Their ``submit`` calls land in the same turn of the event loop; the first
schedules a flush, which waits one more turn and then runs everything submitted as one call of
``run``. A batch never holds two items of one key (user): a repeat waits for the next batch, so
a user's intents are still decided in the order they were submitted. If a batch fails, each of
its items is run alone, so one bad item fails only its own caller.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")
MAX_BATCH = 100
"""As many as the consumer fetches at once."""


class Coalescer(Generic[T, R]):
    """Runs ``run`` on batches of concurrently submitted items; ``run`` returns one result each."""

    def __init__(
        self,
        run: Callable[[Sequence[T]], Awaitable[list[R]]],
        key: Callable[[T], Hashable],
        *,
        max_batch: int = MAX_BATCH,
    ) -> None:
        self._run = run
        self._key = key
        self._max_batch = max_batch
        self._queue: list[tuple[T, asyncio.Future[R]]] = []
        self._flushes: set[asyncio.Task[None]] = set()
        self._scheduled = False
        self.batches = 0
        """Batches run so far (for tests and the benchmark)."""

    async def submit(self, item: T) -> R:
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._queue.append((item, future))
        if not self._scheduled:
            self._scheduled = True
            flush = asyncio.create_task(self._flush())
            self._flushes.add(flush)
            flush.add_done_callback(self._flushes.discard)
        return await future

    async def _flush(self) -> None:
        await asyncio.sleep(0)  # the other handlers of this fetch submit meanwhile
        self._scheduled = False
        queue, self._queue = self._queue, []
        try:
            for batch in _batches(queue, self._key, self._max_batch):
                await self._run_batch(batch)
        finally:  # cancelled (shutdown): no caller waits forever
            for _, future in queue:
                future.cancel()

    async def _run_batch(self, batch: list[tuple[T, asyncio.Future[R]]]) -> None:
        self.batches += 1
        try:
            results = await self._run([item for item, _ in batch])
        except Exception:
            for item, future in batch:  # alone, each fails (or succeeds) on its own
                await _settle(future, self._run, item)
            return
        for (_, future), result in zip(batch, results, strict=True):
            if not future.done():  # its caller may have been cancelled meanwhile
                future.set_result(result)


async def _settle(
    future: asyncio.Future[R], run: Callable[[Sequence[T]], Awaitable[list[R]]], item: T
) -> None:
    try:
        (result,) = await run([item])
    except Exception as e:
        if not future.done():
            future.set_exception(e)
        return
    if not future.done():
        future.set_result(result)


def _batches(
    queue: list[tuple[T, asyncio.Future[R]]], key: Callable[[T], Hashable], max_batch: int
) -> list[list[tuple[T, asyncio.Future[R]]]]:
    """Split in submission order: a batch holds at most ``max_batch`` items and one per key, and
    an item never runs before an earlier item of its key."""
    batches: list[list[tuple[T, asyncio.Future[R]]]] = []
    keys: list[set[Hashable]] = []
    last: dict[Hashable, int] = {}
    for entry in queue:
        k = key(entry[0])
        index = last.get(k, -1) + 1  # after the batch holding this key's previous item
        while index < len(batches) and (k in keys[index] or len(batches[index]) >= max_batch):
            index += 1
        if index == len(batches):
            batches.append([])
            keys.append(set())
        batches[index].append(entry)
        keys[index].add(k)
        last[k] = index
    return batches


__all__ = ["MAX_BATCH", "Coalescer"]
