"""Candle closes through the chart index: the indexed engine returns exactly the rules a check of
every rule returns, and a close reads each series once whatever the number of rules on it."""

from __future__ import annotations

import random
import uuid
from collections import Counter

import pytest

from services.agent.indicators.incremental import Bar
from services.agent.indicators.spec import IndicatorSpec
from services.agent.parser.model import Op
from services.agent.rules.chart_index import ChartIndex, selectivity
from services.agent.rules.charts import Chart
from services.agent.rules.conditions import CandleCondition, Pair, SeriesRef, market_key
from services.agent.rules.definition import CompiledRule
from services.agent.rules.engine import RuleEngine
from shared.domain.intervals import Interval
from tests.unit.agent.rules.support import rule

BTC = market_key("paper", "BTC/USDT")
ETH = market_key("paper", "ETH/USDT")
CHARTS = [(BTC, Interval.M1), (BTC, Interval.H1), (ETH, Interval.M1)]
SERIES = [
    SeriesRef(None),
    SeriesRef(IndicatorSpec.of("sma", period=2)),
    SeriesRef(IndicatorSpec.of("sma", period=3)),
    SeriesRef(IndicatorSpec.of("ema", period=3)),
    SeriesRef(IndicatorSpec.of("rsi", period=2)),
    SeriesRef(IndicatorSpec.of("rsi", period=3)),
    SeriesRef(IndicatorSpec.of("macd", fast=2, slow=4, signal=2), 0),
    SeriesRef(IndicatorSpec.of("macd", fast=2, slow=4, signal=2), 1),
]
RSI = {SERIES[4], SERIES[5]}
MACD = {SERIES[6], SERIES[7]}


def random_condition(randomness: random.Random, chart: tuple[str, Interval]) -> CandleCondition:
    """Thresholds on the values the series take (closes are whole numbers near 100), so levels and
    crosses meet them exactly as well as from either side."""
    left = randomness.choice(SERIES)
    op = randomness.choice(list(Op))
    right: SeriesRef | float | None
    if op in (Op.RISING, Op.FALLING):
        right = None
    elif randomness.random() < 0.2:
        right = randomness.choice(SERIES)
    elif left in RSI:
        right = float(randomness.randrange(0, 101, 5))
    elif left in MACD:
        right = randomness.randrange(-8, 9) / 2
    else:
        right = randomness.randrange(190, 211) / 2
    return CandleCondition(chart[0], chart[1], left, op, right)


def random_rule(randomness: random.Random) -> CompiledRule:
    conditions = tuple(
        random_condition(randomness, randomness.choice(CHARTS))
        for _ in range(randomness.choice((1, 1, 2, 3)))
    )
    return CompiledRule(
        uuid.uuid4(), uuid.UUID(int=1), "paper", rule("buy 0.1 BTC if RSI < 30").command,
        fire_once=randomness.random() < 0.3, fires=0, prices=(), candles=conditions,
    )  # fmt: skip


class BruteForce:
    """Every rule checked at every close of a chart it reads: what the engine must agree with."""

    def __init__(self) -> None:
        self.rules: dict[uuid.UUID, CompiledRule] = {}
        self.charts = {key: Chart() for key in CHARTS}
        for chart in self.charts.values():
            for ref in SERIES:
                if ref.spec is not None:
                    chart.follow(ref.spec)

    def holds(self, candidate: CompiledRule) -> bool:
        return all(c.holds(self.charts[(c.market, c.interval)].value) for c in candidate.candles)

    def closed(self, key: tuple[str, Interval], bars: list[Bar]) -> set[uuid.UUID]:
        if not [b for b in bars if self.charts[key].push(b)]:
            return set()
        return {
            r.id
            for r in self.rules.values()
            if any((c.market, c.interval) == key for c in r.candles) and self.holds(r)
        }


def closes(randomness: random.Random, count: int) -> dict[tuple[str, Interval], list[Bar]]:
    walks = {}
    for key in CHARTS:
        close, bars = 100.0, []
        for minute in range(count):
            close = min(110.0, max(90.0, close + randomness.choice((-2, -1, 0, 0, 1, 2))))
            bars.append(Bar(close + 1, close - 1, close, 1.0, minute * 60_000))
        walks[key] = bars
    return walks


@pytest.mark.parametrize("seed", range(6))
def test_the_indexed_engine_returns_what_checking_every_rule_returns(seed: int) -> None:
    randomness = random.Random(seed)
    engine, brute = RuleEngine(), BruteForce()
    bars = closes(randomness, 400)

    def settle(found: list[CompiledRule]) -> set[uuid.UUID]:
        for r in found:
            engine.fired(r.id, r.fires + 1)
            if r.fire_once:
                del brute.rules[r.id]
        return {r.id for r in found}

    for key in CHARTS:  # rules on every chart, then its stored history
        first = random_rule(randomness)
        first = CompiledRule(first.id, first.user_id, first.venue, first.command, False, 0, (),
                             (random_condition(randomness, key), *first.candles))  # fmt: skip
        brute.rules[first.id] = first
        assert engine.add(first) == []  # no chart has a value yet
    for key in CHARTS:
        assert settle(engine.warm(*key, bars[key][:3])) == brute.closed(key, bars[key][:3])
    matched = 0
    position = dict.fromkeys(CHARTS, 3)
    for step in range(900):
        if step % 3 == 0 or not brute.rules:  # rules come, change and go between closes
            new = random_rule(randomness)
            if brute.rules and randomness.random() < 0.3:  # an edited rule keeps its id
                new = CompiledRule(
                    randomness.choice(list(brute.rules)), new.user_id, new.venue, new.command,
                    new.fire_once, 0, (), new.candles,
                )  # fmt: skip
            brute.rules[new.id] = new
            expected = {new.id} if brute.holds(new) else set()
            assert settle(engine.add(new)) == expected
        if brute.rules and randomness.random() < 0.1:
            gone = randomness.choice(list(brute.rules))
            engine.remove(gone)
            del brute.rules[gone]
        key = randomness.choice(CHARTS)
        at = position[key]
        if at >= len(bars[key]):
            continue
        taken = bars[key][at : at + randomness.choice((1, 1, 1, 4))]  # a batch: a warm-up after start
        position[key] = at + len(taken)
        expected = brute.closed(key, taken)
        found = engine.on_candle(*key, taken[0]) if len(taken) == 1 else engine.warm(*key, taken)
        assert settle(found) == expected, (seed, step)
        assert engine.rules.keys() == brute.rules.keys()
        matched += len(expected)
    assert matched > 100  # the streams met the thresholds often, not just never


def condition(left: SeriesRef, op: Op, right: SeriesRef | float | None) -> CandleCondition:
    return CandleCondition(BTC, Interval.M1, left, op, right)


RSI14 = SeriesRef(IndicatorSpec.of("rsi", period=14))
SMA20 = SeriesRef(IndicatorSpec.of("sma", period=20))


def test_a_close_reads_each_series_once_per_comparison_whatever_the_number_of_rules() -> None:
    index = ChartIndex()
    ids = [uuid.uuid4() for _ in range(3000)]
    for n, rule_id in enumerate(ids):
        op = (Op.LT, Op.CROSSES_BELOW, Op.RISING)[n % 3]
        index.add(condition(RSI14, op, None if op is Op.RISING else float(n % 100)), rule_id)
    reads: Counter[SeriesRef] = Counter()
    values = {RSI14: (31.0, 29.5)}

    def value(ref: SeriesRef) -> Pair:
        reads[ref] += 1
        return values[ref]

    found = index.holding(value)
    assert reads == {RSI14: 3}  # one read for "<", one for crosses_below, one for rising
    below = {ids[n] for n in range(0, 3000, 3) if n % 100 > 29.5}
    crossed = {ids[n] for n in range(1, 3000, 3) if 29.5 <= n % 100 < 31}
    assert set(found) == below | crossed  # RSI fell: no rising rule is visited
    assert len(found) == len(set(found))


@pytest.mark.parametrize(
    ("op", "after_a_fall", "after_a_rise"),
    [
        (Op.LT, {31, 32, 40}, {40}),
        (Op.LE, {30, 31, 32, 40}, {32, 40}),
        (Op.GT, {20, 29}, {20, 29, 30, 31}),
        (Op.GE, {20, 29, 30}, {20, 29, 30, 31, 32}),
        (Op.CROSSES_ABOVE, set(), {31, 32}),
        (Op.CROSSES_BELOW, {30, 31}, set()),
    ],
)
def test_thresholds_are_found_by_the_same_comparison_a_condition_makes(
    op: Op, after_a_fall: set[int], after_a_rise: set[int]
) -> None:
    index = ChartIndex()
    levels = {uuid.uuid4(): level for level in (20, 29, 30, 31, 32, 40)}
    for rule_id, level in levels.items():
        index.add(condition(RSI14, op, float(level)), rule_id)
    assert {levels[rule_id] for rule_id in index.holding(lambda ref: (32.0, 30.0))} == after_a_fall
    assert {levels[rule_id] for rule_id in index.holding(lambda ref: (30.0, 32.0))} == after_a_rise


def test_no_value_yet_or_nan_visits_nothing() -> None:
    index = ChartIndex()
    for op in (Op.LT, Op.LE, Op.GT, Op.GE, Op.CROSSES_ABOVE, Op.CROSSES_BELOW):
        index.add(condition(RSI14, op, 30.0), uuid.uuid4())
    assert index.holding(lambda ref: (None, None)) == []
    assert index.holding(lambda ref: (None, float("nan"))) == []
    assert index.holding(lambda ref: (float("nan"), 10.0)) != []  # levels read only the last value


def test_a_rule_is_entered_under_its_most_selective_condition_on_each_chart() -> None:
    cross = condition(RSI14, Op.CROSSES_BELOW, 30.0)
    level = condition(RSI14, Op.LT, 30.0)
    move = condition(SMA20, Op.RISING, None)
    two_series = condition(SMA20, Op.GT, RSI14)
    assert sorted([move, two_series, level, cross], key=selectivity) == [cross, level, move, two_series]

    engine = RuleEngine()
    both = rule("buy 0.1 BTC when the 3-day MA is rising and RSI(2) < 40")
    engine.add(both)
    index = engine._on_chart[(BTC, Interval.D1)]
    values: dict[SeriesRef, Pair] = {c.left: (1.0, 2.0) for c in both.candles}  # rising, RSI 2
    assert index.holding(values.__getitem__) == [both.id]
    values = {c.left: (1.0, 2.0) if c.op is Op.RISING else (50.0, 50.0) for c in both.candles}
    assert index.holding(values.__getitem__) == []  # RSI 50: not visited, though the MA is rising


def test_removed_and_replaced_rules_leave_the_index() -> None:
    index = ChartIndex()
    kept, gone, moved = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    index.add(condition(RSI14, Op.LT, 30.0), kept)
    index.add(condition(RSI14, Op.LT, 35.0), gone)
    index.add(condition(RSI14, Op.LT, 40.0), moved)
    assert set(index.holding(lambda ref: (20.0, 20.0))) == {kept, gone, moved}
    index.remove(gone)
    index.add(condition(SMA20, Op.RISING, None), moved)
    assert set(index.holding(lambda ref: (20.0, 20.0))) == {kept}
    assert len(index) == 2
