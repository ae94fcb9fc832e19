"""The rules engine in memory: which active rules hold after a tick or a closed candle.

No I/O here, so it is fast and testable alone; the ``service`` commits firings. A tick touches
only the rules of thresholds its move crossed (``index``) and the few rules on that market's
rising/falling price; a closed candle touches only the rules of that chart whose most selective
condition there holds (``chart_index``), each indicator computed once per close whatever the
number of rules reading it (``charts``). Each touched rule is then checked whole (every condition
must hold). A rule the engine returned is "in
flight" and not returned again until the service reports the outcome (``fired`` / ``settled``).
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from uuid import UUID

from services.agent.indicators.incremental import Bar
from services.agent.parser.model import Op
from services.agent.rules.chart_index import ChartIndex, selectivity
from services.agent.rules.charts import Chart
from services.agent.rules.conditions import CandleCondition, PriceCondition
from services.agent.rules.definition import CompiledRule
from services.agent.rules.index import PriceIndex
from shared.domain.intervals import Interval

ChartKey = tuple[str, Interval]
_MOVES = (Op.RISING, Op.FALLING)
_CROSSES = (Op.CROSSES_ABOVE, Op.CROSSES_BELOW)


class RuleEngine:
    def __init__(self) -> None:
        self.rules: dict[UUID, CompiledRule] = {}
        self._prices: dict[str, Decimal] = {}
        self._indexes: dict[str, PriceIndex] = {}
        self._moves: dict[str, set[UUID]] = {}
        self._charts: dict[ChartKey, Chart] = {}
        self._on_chart: dict[ChartKey, ChartIndex] = {}
        self._in_flight: set[UUID] = set()
        self.examined = 0
        """Rules the last ``on_tick`` or ``on_candle`` examined (for the metrics)."""

    # -- RULES ---------------------------------------------------------------------------------

    def add(self, rule: CompiledRule) -> list[CompiledRule]:
        """Index ``rule`` (replacing a rule of the same id); return it if it holds already."""
        if rule.id in self.rules:
            self.remove(rule.id)
        self.rules[rule.id] = rule
        for condition in rule.prices:
            if condition.op in _MOVES:
                self._moves.setdefault(condition.market, set()).add(rule.id)
            else:
                assert condition.threshold is not None
                self._index(condition.market).add(condition.op, condition.threshold, rule.id)
        chosen: dict[ChartKey, CandleCondition] = {}
        for candle in rule.candles:
            key = (candle.market, candle.interval)
            chart = self._charts.get(key) or self._charts.setdefault(key, Chart())
            for ref in (candle.left, candle.right):
                if not isinstance(ref, float) and ref is not None and ref.spec is not None:
                    chart.follow(ref.spec)
            best = chosen.get(key)
            if best is None or selectivity(candle) < selectivity(best):
                chosen[key] = candle
        for key, candle in chosen.items():
            index = self._on_chart.get(key) or self._on_chart.setdefault(key, ChartIndex())
            index.add(candle, rule.id)
        return self._holding((rule.id,), None, None, None)

    def remove(self, rule_id: UUID) -> None:
        rule = self.rules.pop(rule_id, None)
        if rule is None:
            return
        self._in_flight.discard(rule_id)
        for condition in rule.prices:
            if condition.op in _MOVES:
                self._moves[condition.market].discard(rule_id)
            else:
                self._indexes[condition.market].removed()
        for candle in rule.candles:
            self._on_chart[(candle.market, candle.interval)].remove(rule_id)

    def fired(self, rule_id: UUID, seq: int) -> None:
        """The service committed firing ``seq``: a fire-once rule leaves, a repeating one re-arms."""
        self._in_flight.discard(rule_id)
        rule = self.rules.get(rule_id)
        if rule is None:
            return
        if rule.fire_once:
            self.remove(rule_id)
        else:
            self.rules[rule_id] = rule.after_firing(seq)

    def settled(self, rule_id: UUID) -> None:
        """The service did not fire the rule (blocked or failed): it may be returned again."""
        self._in_flight.discard(rule_id)

    def holding(self, rule_ids: Iterable[UUID]) -> list[CompiledRule]:
        """The rules among ``rule_ids`` that hold now (between ticks: crosses and moves do not)."""
        return self._holding(rule_ids, None, None, None)

    # -- MARKET DATA ---------------------------------------------------------------------------

    def on_tick(self, market: str, price: Decimal, *, evaluate: bool = True) -> list[CompiledRule]:
        """Take a trade price; return the rules it makes hold (none when ``evaluate`` is False)."""
        before = self._prices.get(market)
        self._prices[market] = price
        self.examined = 0
        if not evaluate:
            return []
        touched: list[UUID] = []
        index = self._indexes.get(market)
        if index is not None:
            touched.extend(index.crossed(before, price, self.rules.__contains__))
        moves = self._moves.get(market)
        if moves:
            touched.extend(moves)
        if not touched:
            return []
        self.examined = len(touched)
        return self._holding(touched, market, before, price)

    def on_candle(
        self, market: str, interval: Interval, bar: Bar, *, evaluate: bool = True
    ) -> list[CompiledRule]:
        """Take a closed candle of a chart some rule reads; return the rules that hold after it."""
        key = (market, interval)
        chart = self._charts.get(key)
        self.examined = 0
        if chart is None or not chart.push(bar) or not evaluate:
            return []
        closed = self._closed(key, chart)
        self.examined = len(closed)
        return self._holding(closed, None, None, None)

    def warm(self, market: str, interval: Interval, bars: Iterable[Bar]) -> list[CompiledRule]:
        """Feed a chart its stored history (oldest first); return the rules that hold after it."""
        key = (market, interval)
        chart = self._charts.get(key)
        if chart is None:
            return []
        chart.extend(bars)
        return self._holding(self._closed(key, chart), None, None, None)

    def cold_charts(self) -> list[ChartKey]:
        """Charts some rule reads that have no candle yet: the service loads their history."""
        return [key for key, chart in self._charts.items() if not chart.warm]

    # -- CHECKS --------------------------------------------------------------------------------

    def _index(self, market: str) -> PriceIndex:
        index = self._indexes.get(market)
        if index is None:
            index = self._indexes[market] = PriceIndex()
        return index

    def _closed(self, key: ChartKey, chart: Chart) -> list[UUID]:
        """The rules of ``key`` whose indexed condition holds after the chart's last close."""
        index = self._on_chart.get(key)
        return [] if index is None else index.holding(chart.value)

    def _holding(
        self, rule_ids: Iterable[UUID], ticking: str | None, before: Decimal | None, now: Decimal | None
    ) -> list[CompiledRule]:
        found: list[CompiledRule] = []
        seen: set[UUID] = set()
        for rule_id in rule_ids:
            if rule_id in seen or rule_id in self._in_flight:
                continue
            seen.add(rule_id)
            rule = self.rules.get(rule_id)
            if rule is None or not self._holds(rule, ticking, before, now):
                continue
            self._in_flight.add(rule_id)
            found.append(rule)
        return found

    def _holds(
        self, rule: CompiledRule, ticking: str | None, before: Decimal | None, now: Decimal | None
    ) -> bool:
        for condition in rule.prices:
            if not self._price_holds(condition, ticking, before, now):
                return False
        return all(self._candle_holds(candle) for candle in rule.candles)

    def _price_holds(
        self, condition: PriceCondition, ticking: str | None, before: Decimal | None, now: Decimal | None
    ) -> bool:
        if condition.market == ticking:
            assert now is not None
            return condition.holds(before, now, True)
        price = self._prices.get(condition.market)
        return price is not None and condition.holds(price, price, False)

    def _candle_holds(self, condition: CandleCondition) -> bool:
        chart = self._charts.get((condition.market, condition.interval))
        return chart is not None and condition.holds(chart.value)


__all__ = ["RuleEngine"]
