"""Rules engine cost per tick or candle close: the indexed engine beside a naive loop over every
rule, same run.

In memory (no database, no NATS): what a tick costs the engine before any firing commits. Price
rules get seeded random thresholds within ±5% of the price; the price moves by a seeded random
walk of 0.2 bp per trade (BTC's typical trade-to-trade move), so a tick crosses the few
thresholds real ticks cross. Indicator rules read RSI(7/14/21), SMA(20) or EMA(50) of one 1-minute
chart against the levels people set (RSI below 20 to 35 or above 65 to 80, averages up to 5% below
or above the price for a dip or a breakout), as a level or a cross, a third of them with "and the
SMA(20) is rising/falling"; the close moves by a seeded random walk of 10 bp a minute.
Fire-once rules are re-armed (``fire_once`` off) so the rule count stays constant through the run;
rules that hold are part of the cost (the engine returns them), so the table says how many did.
"""

from __future__ import annotations

import random
import time
import uuid
from dataclasses import dataclass
from decimal import Decimal

from services.agent.indicators.incremental import Bar
from services.agent.indicators.spec import IndicatorSpec
from services.agent.parser.model import Op
from services.agent.rules.charts import Chart
from services.agent.rules.conditions import CandleCondition, PriceCondition, SeriesRef, market_key
from services.agent.rules.definition import CompiledRule, check
from services.agent.rules.engine import RuleEngine
from shared.domain.intervals import Interval

DEFAULT_COUNTS = (1_000, 10_000, 100_000)
DEFAULT_CANDLE_COUNTS = (10_000, 100_000)
_WARM = 100
"""Closes fed before measuring: every indicator has its value (EMA(50) needs 50)."""
TARGET_US = 100.0
MARKET = market_key("paper", "BTC/USDT")
_COMMAND = check({
    "kind": "conditional_order", "side": "buy", "symbol": "BTC/USDT", "order_type": "market",
    "amount": "0.1", "conditions": [{"indicator": "price", "symbol": "BTC/USDT", "op": "<", "value": "1"}],
})  # fmt: skip


@dataclass(frozen=True, slots=True)
class RulesResult:
    rules: int
    kind: str
    engine_us: float
    naive_us: float
    holding: float
    """Rules returned per tick or close, on average."""


def _level(randomness: random.Random) -> Decimal:
    return Decimal(randomness.randrange(28_500_00, 31_500_00)) / 100


def _price_rules(count: int, randomness: random.Random) -> list[CompiledRule]:
    ops = (Op.LT, Op.LE, Op.GT, Op.GE, Op.CROSSES_ABOVE, Op.CROSSES_BELOW)
    return [
        CompiledRule(
            uuid.uuid4(), uuid.uuid4(), "paper", _COMMAND, fire_once=False, fires=0,
            prices=(PriceCondition(MARKET, randomness.choice(ops), _level(randomness)),),
            candles=(),
        )
        for _ in range(count)
    ]  # fmt: skip


def _walk(count: int, randomness: random.Random) -> list[Decimal]:
    price, prices = 30_000.0, []
    for _ in range(count):
        price *= 1 + randomness.gauss(0, 0.00002)
        prices.append(Decimal(f"{price:.2f}"))
    return prices


def _naive(rules: list[CompiledRule], prices: list[Decimal]) -> float:
    before: Decimal | None = None
    started = time.perf_counter()
    for now in prices:
        for rule in rules:
            if rule.prices[0].holds(before, now, True):
                pass
        before = now
    return (time.perf_counter() - started) / len(prices) * 1e6


def _engine(rules: list[CompiledRule], prices: list[Decimal]) -> tuple[float, float]:
    engine = RuleEngine()
    for rule in rules:
        engine.add(rule)
    engine.on_tick(MARKET, prices[0])
    returned = 0
    started = time.perf_counter()
    for now in prices:
        for fired in engine.on_tick(MARKET, now):
            engine.fired(fired.id, fired.fires + 1)
            returned += 1
    return (time.perf_counter() - started) / len(prices) * 1e6, returned / len(prices)


_PRICE = Decimal(30_000)
_AVERAGES = (IndicatorSpec.of("sma", period=20), IndicatorSpec.of("ema", period=50))
_RSI = tuple(IndicatorSpec.of("rsi", period=p) for p in (7, 14, 21))


def _candle_conditions(randomness: random.Random) -> tuple[CandleCondition, ...]:
    spec = randomness.choice(_RSI + _AVERAGES)
    op = randomness.choice((Op.LT, Op.GT, Op.CROSSES_ABOVE, Op.CROSSES_BELOW))
    if spec in _AVERAGES:  # buy the dip below the price, the breakout above it
        offset = Decimal(randomness.randrange(0, 1_500_00)) / 100
        level = float(_PRICE - offset if op in (Op.LT, Op.CROSSES_BELOW) else _PRICE + offset)
    elif op in (Op.LT, Op.CROSSES_BELOW):
        level = float(randomness.randrange(20, 36))
    else:
        level = float(randomness.randrange(65, 81))
    condition = CandleCondition(MARKET, Interval.M1, SeriesRef(spec), op, level)
    if randomness.random() < 1 / 3:  # "... and the 20 SMA is rising"
        move = randomness.choice((Op.RISING, Op.FALLING))
        return condition, CandleCondition(MARKET, Interval.M1, SeriesRef(_AVERAGES[0]), move, None)
    return (condition,)


def _candle_rules(count: int, randomness: random.Random) -> list[CompiledRule]:
    return [
        CompiledRule(
            uuid.uuid4(), uuid.uuid4(), "paper", _COMMAND, fire_once=False, fires=0, prices=(),
            candles=_candle_conditions(randomness),
        )
        for _ in range(count)
    ]  # fmt: skip


def _bars(closes: int, randomness: random.Random) -> list[Bar]:
    price, bars = float(_PRICE), []
    for minute in range(closes):
        price *= 1 + randomness.gauss(0, 0.001)
        bars.append(Bar(price + 5, price - 5, price, 1.0, minute * 60_000))
    return bars


def _candles(rules: list[CompiledRule], bars: list[Bar], warm: int) -> tuple[float, float]:
    engine = RuleEngine()
    for rule in rules:
        engine.add(rule)
    engine.warm(MARKET, Interval.M1, bars[:warm])
    returned = 0
    started = time.perf_counter()
    for bar in bars[warm:]:
        for fired in engine.on_candle(MARKET, Interval.M1, bar):
            engine.fired(fired.id, fired.fires + 1)
            returned += 1
    closes = len(bars) - warm
    return (time.perf_counter() - started) / closes * 1e6, returned / closes


def _naive_candles(rules: list[CompiledRule], bars: list[Bar], warm: int) -> float:
    """Every rule checked at every close, each indicator still computed once: the engine before
    its chart index."""
    chart = Chart()
    for spec in _RSI + _AVERAGES:
        chart.follow(spec)
    chart.extend(bars[:warm])
    started = time.perf_counter()
    for bar in bars[warm:]:
        chart.push(bar)
        for rule in rules:
            if all(condition.holds(chart.value) for condition in rule.candles):
                pass
    return (time.perf_counter() - started) / (len(bars) - warm) * 1e6


def run_rules_benchmark(
    counts: tuple[int, ...] = DEFAULT_COUNTS,
    ticks: int = 20_000,
    candle_counts: tuple[int, ...] = DEFAULT_CANDLE_COUNTS,
    closes: int = 250,
) -> list[RulesResult]:
    results = []
    for count in counts:
        randomness = random.Random(count)
        rules, prices = _price_rules(count, randomness), _walk(ticks, randomness)
        naive_ticks = prices[: max(20, 2_000_000 // count)]
        engine_us, holding = _engine(rules, prices)
        results.append(RulesResult(count, "price, per tick", engine_us, _naive(rules, naive_ticks), holding))
    bars = _bars(closes, random.Random(2))
    for count in candle_counts:
        candle_rules = _candle_rules(count, random.Random(count + 1))
        engine_us, holding = _candles(candle_rules, bars, _WARM)
        naive_us = _naive_candles(candle_rules, bars[: _WARM + max(10, 500_000 // count)], _WARM)
        results.append(RulesResult(count, "indicator, per candle close", engine_us, naive_us, holding))
    return results


def rules_table(results: list[RulesResult]) -> str:
    lines = [
        "| active rules | evaluated | holding per event | engine (µs) | naive loop (µs) | naive / engine |",
        "|---:|---|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r.rules:,} | {r.kind} | {r.holding:,.1f} | {r.engine_us:,.1f} | {r.naive_us:,.1f} "
            f"| {r.naive_us / r.engine_us:,.1f} |"
        )
    at_10k = next((r for r in results if r.rules == 10_000 and r.kind.startswith("price")), None)
    if at_10k is not None:
        verdict = "met" if at_10k.engine_us <= TARGET_US else "missed"
        lines += ["", f"Target ≤ {TARGET_US:.0f} µs per tick at 10,000 price rules: {verdict}."]
    return "\n".join(lines)
