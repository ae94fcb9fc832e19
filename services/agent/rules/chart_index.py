"""The candle conditions of one chart's rules, grouped by what they read: a close visits only the
rules whose indexed condition holds after it.

A condition against a number (``RSI(14) < 30``, ``SMA(50) crosses_above 30000``) lives in a sorted
array per series and comparison, so a close finds the thresholds its series now satisfies (a
level: a prefix or suffix) or crossed (a cross: the thresholds between the previous and the new
value) by bisection, in O(log n + k) for k matches. Any other condition (``rising``, or two series
compared) is the same for every rule that states it: it is evaluated once per close and visits
all those rules or none.

A rule is entered once per chart it reads, under its most selective condition on that chart
(``selectivity``): a conjunction holds only when each of its conditions does, so visiting the
rule when that one holds misses nothing, and the engine then checks the rule whole.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable
from math import isnan
from operator import itemgetter
from uuid import UUID

from services.agent.parser.model import Op
from services.agent.rules.conditions import LEVELS, CandleCondition, Pair, SeriesRef

_CROSSES = (Op.CROSSES_ABOVE, Op.CROSSES_BELOW)
_BY_THRESHOLD = (*LEVELS, *_CROSSES)


def selectivity(condition: CandleCondition) -> int:
    """Lower holds more rarely, by kind: a cross holds on the one candle the gap flips, a level
    against a number while the series stays past it (thresholds usually sit at extremes, such as
    RSI < 30), a move or a level between two series on about every other candle."""
    by_number = isinstance(condition.right, float)
    if condition.op in _CROSSES:
        return 0 if by_number else 1
    return 2 if by_number and condition.op in LEVELS else 3


def _threshold(condition: CandleCondition) -> float | None:
    right = condition.right
    return right if isinstance(right, float) and condition.op in _BY_THRESHOLD else None


class _Thresholds:
    """One series' thresholds of one comparison, sorted on the first lookup after an addition.

    A removal leaves its entry in the arrays (skipped on the way out) until removed entries make
    up half of them, so a close that fires many fire-once rules does not make the next sort again.
    """

    __slots__ = ("dead", "dirty", "ids", "members", "thresholds")

    def __init__(self) -> None:
        self.members: dict[UUID, float] = {}
        self.thresholds: list[float] = []
        self.ids: list[UUID] = []
        self.dead = 0
        self.dirty = False

    def add(self, rule_id: UUID, threshold: float) -> None:
        self.members[rule_id] = threshold
        self.dirty = True

    def remove(self, rule_id: UUID) -> None:
        del self.members[rule_id]
        self.dead += 1
        if self.dead * 2 > len(self.ids):
            self.dirty = True

    def holding(self, op: Op, before: float | None, now: float | None) -> list[UUID]:
        if now is None or isnan(now):  # no value yet, or NaN: no comparison holds
            return []
        if self.dirty:
            entries = sorted(self.members.items(), key=itemgetter(1))
            self.ids = [rule_id for rule_id, _ in entries]
            self.thresholds = [threshold for _, threshold in entries]
            self.dead = 0
            self.dirty = False
        found = self._matching(op, before, now)
        if self.dead:  # entries of removed rules still in the arrays
            members = self.members
            return [rule_id for rule_id in found if rule_id in members]
        return found

    def _matching(self, op: Op, before: float | None, now: float) -> list[UUID]:
        levels, ids = self.thresholds, self.ids
        if op is Op.LT:
            return ids[bisect_right(levels, now) :]
        if op is Op.LE:
            return ids[bisect_left(levels, now) :]
        if op is Op.GT:
            return ids[: bisect_left(levels, now)]
        if op is Op.GE:
            return ids[: bisect_right(levels, now)]
        if before is None or isnan(before):
            return []
        if op is Op.CROSSES_ABOVE:  # before < threshold <= now
            return ids[bisect_right(levels, before) : bisect_right(levels, now)]
        return ids[bisect_left(levels, now) : bisect_left(levels, before)]  # now <= threshold < before


class ChartIndex:
    """The rules reading one chart, each under one of its conditions on that chart."""

    __slots__ = ("_groups", "_thresholds", "_where")

    def __init__(self) -> None:
        self._thresholds: dict[tuple[SeriesRef, Op], _Thresholds] = {}
        self._groups: dict[CandleCondition, set[UUID]] = {}
        self._where: dict[UUID, CandleCondition] = {}

    def __len__(self) -> int:
        return len(self._where)

    def add(self, condition: CandleCondition, rule_id: UUID) -> None:
        """Enter ``rule_id`` under ``condition`` (replacing where it was)."""
        self.remove(rule_id)
        self._where[rule_id] = condition
        threshold = _threshold(condition)
        if threshold is None:
            self._groups.setdefault(condition, set()).add(rule_id)
            return
        key = (condition.left, condition.op)
        thresholds = self._thresholds.get(key) or self._thresholds.setdefault(key, _Thresholds())
        thresholds.add(rule_id, threshold)

    def remove(self, rule_id: UUID) -> None:
        condition = self._where.pop(rule_id, None)
        if condition is None:
            return
        if _threshold(condition) is None:
            group = self._groups[condition]
            group.discard(rule_id)
            if not group:
                del self._groups[condition]
            return
        key = (condition.left, condition.op)
        thresholds = self._thresholds[key]
        thresholds.remove(rule_id)
        if not thresholds.members:
            del self._thresholds[key]

    def holding(self, value: Callable[[SeriesRef], Pair]) -> list[UUID]:
        """The rules whose indexed condition holds at the chart's values; each series read once."""
        found: list[UUID] = []
        for (ref, op), thresholds in self._thresholds.items():
            before, now = value(ref)
            found.extend(thresholds.holding(op, before, now))
        for condition, rule_ids in self._groups.items():
            if condition.holds(value):
                found.extend(rule_ids)
        return found


__all__ = ["ChartIndex", "selectivity"]
