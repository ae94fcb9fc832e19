"""The engine in memory: which rules a tick or a closed candle makes hold, and only those."""

from __future__ import annotations

import random
from decimal import Decimal
from uuid import UUID

import pytest

from services.agent.indicators.incremental import Bar, RsiState, SmaState
from services.agent.parser.model import Op
from services.agent.rules.conditions import LEVELS, market_key
from services.agent.rules.definition import CompiledRule
from services.agent.rules.engine import RuleEngine
from shared.domain.intervals import Interval
from tests.unit.agent.rules.support import rule

BTC = market_key("paper", "BTC/USDT")
ETH = market_key("paper", "ETH/USDT")
D = Decimal


def ids(rules: list[CompiledRule]) -> set[UUID]:
    return {r.id for r in rules}


def ticks(engine: RuleEngine, market: str, *prices: str) -> list[set[UUID]]:
    fired = []
    for price in prices:
        found = engine.on_tick(market, D(price))
        for r in found:
            engine.fired(r.id, r.fires + 1)
        fired.append(ids(found))
    return fired


def test_a_price_rule_fires_once_when_the_price_crosses_its_level() -> None:
    engine = RuleEngine()
    dip = rule("buy 0.5 BTC if it dips below $30,000")
    assert engine.add(dip) == []

    assert ticks(engine, BTC, "30500", "30000", "29999.99", "29000", "31000", "29000") == [
        set(), set(), {dip.id}, set(), set(), set()
    ]  # fmt: skip
    assert dip.id not in engine.rules


def test_a_level_that_holds_when_the_rule_arrives_fires_on_the_first_tick_or_at_once() -> None:
    engine = RuleEngine()
    engine.on_tick(BTC, D("29000"))
    below = rule("buy 0.5 BTC if it dips below $30,000")
    assert ids(engine.add(below)) == {below.id}

    fresh = RuleEngine()
    fresh.add(below)
    assert ticks(fresh, BTC, "29000") == [{below.id}]


def test_a_rule_in_flight_is_not_returned_twice_and_returns_when_settled() -> None:
    engine = RuleEngine()
    below = rule("buy 0.5 BTC if it dips below $30,000")
    engine.add(below)
    assert ids(engine.on_tick(BTC, D("29000"))) == {below.id}
    assert engine.holding([below.id]) == []  # in flight
    engine.settled(below.id)  # say the kill switch held it back
    assert ids(engine.holding([below.id])) == {below.id}


def test_every_condition_must_hold() -> None:
    engine = RuleEngine()
    both = rule("buy 0.1 BTC if BTC is below 30000 and ETH is above 2000")
    engine.add(both)

    assert ticks(engine, BTC, "29000") == [set()]  # ETH unknown
    assert ticks(engine, ETH, "1900", "1999") == [set(), set()]
    assert ticks(engine, ETH, "2001") == [{both.id}]


def test_crosses_above_needs_a_previous_value_below() -> None:
    engine = RuleEngine()
    cross = rule("buy 0.1 BTC if BTC crosses above 30000")
    engine.add(cross)

    assert ticks(engine, BTC, "31000", "32000") == [set(), set()]  # never below
    assert ticks(engine, BTC, "29000", "30000") == [set(), {cross.id}]


def test_a_cross_holds_only_on_its_tick_in_a_conjunction() -> None:
    engine = RuleEngine()
    cross = rule("buy 0.1 BTC if BTC crosses above 30000 and ETH is above 2000")
    engine.add(cross)
    assert ticks(engine, BTC, "29000", "31000") == [set(), set()]  # ETH unknown then
    assert ticks(engine, ETH, "2100") == [set()]  # the cross is over
    assert ticks(engine, BTC, "29000", "30500") == [set(), {cross.id}]


def test_price_rising_and_falling_compare_consecutive_trades() -> None:
    engine = RuleEngine()
    rising = rule("buy 0.1 BTC if price is rising")
    falling = rule("sell 0.1 BTC if price is falling", fire_once=False)
    engine.add(rising)
    engine.add(falling)

    assert ticks(engine, BTC, "100", "100", "99", "101", "100") == [
        set(), set(), {falling.id}, {rising.id}, {falling.id}
    ]  # fmt: skip
    assert engine.rules[falling.id].fires == 2  # a repeating rule re-arms


def bar(minute: int, close: float) -> Bar:
    return Bar(close + 1, close - 1, close, 10.0, minute * 60_000)


def test_an_indicator_rule_fires_on_the_closed_candle_its_indicator_crosses() -> None:
    engine = RuleEngine()
    cross = rule("buy 0.1 BTC if the 3 SMA crosses above 100 on the 1m chart")
    engine.add(cross)
    assert engine.cold_charts() == [(BTC, Interval.M1)]
    assert engine.warm(BTC, Interval.M1, [bar(0, 90), bar(1, 90), bar(2, 90)]) == []
    assert engine.cold_charts() == []

    closes = [95, 99, 120, 130]  # SMA(3): 91.67, 94.67, 104.67 (crosses), 114.67
    fired = [ids(engine.on_candle(BTC, Interval.M1, bar(3 + i, c))) for i, c in enumerate(closes)]
    assert fired == [set(), set(), {cross.id}, set()]
    assert engine.on_candle(BTC, Interval.M1, bar(4, 200)) == []  # not newer than the last: ignored


def test_rising_on_a_chart_and_an_rsi_level_together_match_the_indicators_candle_by_candle() -> None:
    engine = RuleEngine()
    both = rule("buy 0.1 BTC when the 3-day MA is rising and RSI(2) < 40", fire_once=False)
    engine.add(both)
    sma, rsi = SmaState(3), RsiState(2)
    randomness = random.Random(5)
    close, previous_sma, fired_on = 100.0, None, []
    for day in range(300):
        close = max(1.0, close + randomness.uniform(-3, 3))
        now_sma, now_rsi = sma.update(close), rsi.update(close)
        expected = (
            previous_sma is not None and now_sma is not None and now_sma > previous_sma
            and now_rsi is not None and now_rsi < 40
        )  # fmt: skip
        found = engine.on_candle(BTC, Interval.D1, Bar(close + 1, close - 1, close, 1.0, day * 86_400_000))
        for r in found:
            engine.fired(r.id, r.fires + 1)
        assert bool(found) == expected, day
        fired_on += [day] if found else []
        previous_sma = now_sma
    assert len(fired_on) > 5  # the test exercised both outcomes


def test_a_new_indicator_on_a_followed_chart_starts_warm_from_its_history() -> None:
    engine = RuleEngine()
    engine.add(rule("buy 0.1 BTC if the 3 SMA is above 100 on the 1m chart"))
    engine.warm(BTC, Interval.M1, [bar(i, 90 + i) for i in range(5)])
    late = rule("buy 0.1 BTC if the 2 SMA is above 93 on the 1m chart")  # SMA(2) = 93.5 already
    assert ids(engine.add(late)) == {late.id}


def test_paused_or_removed_rules_do_not_fire() -> None:
    engine = RuleEngine()
    gone = rule("buy 0.5 BTC if it dips below $30,000")
    engine.add(gone)
    engine.on_tick(BTC, D("31000"))
    engine.remove(gone.id)
    assert ticks(engine, BTC, "29000") == [set()]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_index_finds_exactly_what_a_naive_check_of_every_rule_finds(seed: int) -> None:
    randomness = random.Random(seed)
    engine = RuleEngine()
    levels: dict[UUID, tuple[Op, Decimal]] = {}
    ops = [Op.LT, Op.LE, Op.GT, Op.GE, Op.CROSSES_ABOVE, Op.CROSSES_BELOW]
    words = {Op.LT: "below", Op.LE: "at or below", Op.GT: "above", Op.GE: "at or above",
             Op.CROSSES_ABOVE: "crosses above", Op.CROSSES_BELOW: "crosses below"}  # fmt: skip
    for _ in range(300):
        op, level = randomness.choice(ops), D(randomness.randrange(95, 106))
        r = rule(f"buy 0.1 BTC if BTC {words[op]} {level}", fire_once=False)
        assert r.prices[0].op is op
        levels[r.id] = (op, level)
        engine.add(r)
    before: Decimal | None = None
    for _ in range(2000):
        now = D(randomness.randrange(93, 108))
        expected = set()
        for rule_id, (op, level) in levels.items():
            if op in LEVELS:
                was = before is not None and LEVELS[op](before, level)
                holds = LEVELS[op](now, level) and not was
            elif op is Op.CROSSES_ABOVE:
                holds = before is not None and before < level <= now
            else:
                holds = before is not None and before > level >= now
            if holds:
                expected.add(rule_id)
        found = engine.on_tick(BTC, now)
        for r in found:
            engine.fired(r.id, r.fires + 1)
        assert ids(found) == expected
        before = now
