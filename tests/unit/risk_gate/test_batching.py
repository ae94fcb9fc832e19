"""Intents that arrive together are decided in one batch, one per user, each user's in order."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from services.risk_gate.batching import Coalescer


class Doubler:
    """Doubles the number of each item; records every batch it was given; refuses 13."""

    def __init__(self) -> None:
        self.batches: list[list[tuple[str, int]]] = []

    async def run(self, items: Sequence[tuple[str, int]]) -> list[int]:
        self.batches.append(list(items))
        await asyncio.sleep(0.01)
        if any(n == 13 for _, n in items):
            raise ValueError("13")
        return [2 * n for _, n in items]


def _key(item: tuple[str, int]) -> str:
    return item[0]


async def test_items_submitted_together_run_as_one_batch_and_each_gets_its_own_result() -> None:
    doubler = Doubler()
    coalescer = Coalescer(doubler.run, _key)
    results = await asyncio.gather(*(coalescer.submit((f"user{n}", n)) for n in range(5)))
    assert results == [0, 2, 4, 6, 8]
    assert doubler.batches == [[(f"user{n}", n) for n in range(5)]]


async def test_a_key_submitted_twice_waits_for_the_next_batch_and_keeps_its_order() -> None:
    doubler = Doubler()
    coalescer = Coalescer(doubler.run, _key)
    items = [("alice", 1), ("bob", 2), ("alice", 3), ("carol", 4), ("alice", 5)]
    assert await asyncio.gather(*(coalescer.submit(item) for item in items)) == [2, 4, 6, 8, 10]
    assert doubler.batches == [[("alice", 1), ("bob", 2), ("carol", 4)], [("alice", 3)], [("alice", 5)]]


async def test_batches_hold_at_most_max_batch_items() -> None:
    doubler = Doubler()
    coalescer = Coalescer(doubler.run, _key, max_batch=2)
    assert await asyncio.gather(*(coalescer.submit((f"u{n}", n)) for n in range(5))) == [0, 2, 4, 6, 8]
    assert [len(batch) for batch in doubler.batches] == [2, 2, 1]


async def test_a_failed_batch_runs_each_item_alone_so_only_the_bad_one_fails() -> None:
    doubler = Doubler()
    coalescer = Coalescer(doubler.run, _key)
    results = await asyncio.gather(
        *(coalescer.submit(item) for item in [("a", 1), ("b", 13), ("c", 3)]), return_exceptions=True
    )
    assert results[0] == 2 and results[2] == 6
    assert isinstance(results[1], ValueError)
    assert doubler.batches[1:] == [[("a", 1)], [("b", 13)], [("c", 3)]]


async def test_items_submitted_while_a_batch_runs_form_the_next_batch() -> None:
    doubler = Doubler()
    coalescer = Coalescer(doubler.run, _key)
    first = asyncio.gather(*(coalescer.submit((f"u{n}", n)) for n in range(3)))
    await asyncio.sleep(0.001)  # the first batch is running now
    second = asyncio.gather(*(coalescer.submit((f"v{n}", n)) for n in range(2)))
    assert (await first, await second) == ([0, 2, 4], [0, 2])
    assert [len(batch) for batch in doubler.batches] == [3, 2]
    with pytest.raises(ValueError, match="13"):
        await coalescer.submit(("z", 13))
