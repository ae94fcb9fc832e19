"""Price thresholds of one market in sorted arrays: a tick finds the thresholds it crossed by bisection.

A tick moving the price from ``q`` to ``p`` can change only conditions whose threshold lies between
them, so a tick costs O(log n + k) for n thresholds of which k were crossed, whatever n is. The
comparison decides which end of the interval is open: ``price > t`` becomes true for ``q <= t < p``,
``price >= t`` (and ``crosses_above t``) for ``q < t <= p``; downwards mirrored. Only edges matter:
a rule is checked when one of its conditions becomes true, since a conjunction becomes true exactly
when its last conjunct does.

Entries are appended unsorted and sorted once before the next lookup (loading 100k rules one by one
would otherwise cost a list insertion each); removed rules are skipped by the caller and dropped at
the next sort.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator
from decimal import Decimal
from uuid import UUID

from services.agent.parser.model import Op

_SIDE = {Op.GT: 0, Op.GE: 1, Op.CROSSES_ABOVE: 1, Op.LT: 2, Op.LE: 3, Op.CROSSES_BELOW: 3}
"""Which of the four arrays a comparison lives in: its direction and which end is open."""


class _Sorted:
    __slots__ = ("dirty", "ids", "pending", "thresholds")

    def __init__(self) -> None:
        self.thresholds: list[Decimal] = []
        self.ids: list[UUID] = []
        self.pending: list[tuple[Decimal, UUID]] = []
        self.dirty = False

    def settle(self, alive: Callable[[UUID], bool]) -> None:
        entries = [e for e in zip(self.thresholds, self.ids, strict=True) if alive(e[1])] + self.pending
        entries.sort(key=lambda entry: entry[0])
        self.thresholds = [t for t, _ in entries]
        self.ids = [i for _, i in entries]
        self.pending = []
        self.dirty = False


class PriceIndex:
    """The price thresholds of one market's rules."""

    __slots__ = ("_arrays", "_dead", "_size")

    def __init__(self) -> None:
        self._arrays = (_Sorted(), _Sorted(), _Sorted(), _Sorted())
        self._dead = 0
        self._size = 0

    def add(self, op: Op, threshold: Decimal, rule_id: UUID) -> None:
        array = self._arrays[_SIDE[op]]
        array.pending.append((threshold, rule_id))
        array.dirty = True
        self._size += 1

    def removed(self) -> None:
        """Count an entry whose rule went; past half of the entries, the next lookup compacts."""
        self._dead += 1
        if self._dead * 2 > self._size:
            for array in self._arrays:
                array.dirty = True

    def crossed(self, before: Decimal | None, now: Decimal, alive: Callable[[UUID], bool]) -> Iterator[UUID]:
        """The rules of every threshold the move from ``before`` to ``now`` made true.

        With no ``before`` (the first tick), every level true at ``now``: crosses are filtered out
        by the caller, since they need a previous value.
        """
        gt, ge, lt, le = self._arrays
        for array in self._arrays:
            if array.dirty:
                array.settle(alive)
        if self._dead * 2 > self._size:
            self._size -= self._dead
            self._dead = 0
        if before is None:
            yield from gt.ids[: bisect_left(gt.thresholds, now)]
            yield from ge.ids[: bisect_right(ge.thresholds, now)]
            yield from lt.ids[bisect_right(lt.thresholds, now) :]
            yield from le.ids[bisect_left(le.thresholds, now) :]
        elif now > before:
            yield from gt.ids[bisect_left(gt.thresholds, before) : bisect_left(gt.thresholds, now)]
            yield from ge.ids[bisect_right(ge.thresholds, before) : bisect_right(ge.thresholds, now)]
        elif now < before:
            yield from lt.ids[bisect_right(lt.thresholds, now) : bisect_right(lt.thresholds, before)]
            yield from le.ids[bisect_left(le.thresholds, now) : bisect_left(le.thresholds, before)]


__all__ = ["PriceIndex"]
