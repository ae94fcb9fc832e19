"""Rules engine cost per tick: the indexed engine beside a naive loop over every rule, same run.

In memory (no database, no NATS): what a tick costs the engine before any firing commits. Price
rules get seeded random thresholds within ±5% of the price; the price moves by a seeded random
walk of 0.2 bp per trade (BTC's typical trade-to-trade move), so a tick crosses the few
thresholds real ticks cross. Fire-once rules are re-armed
(``fire_once`` off) so the rule count stays constant through the run.
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
from services.agent.rules.conditions import CandleCondition, PriceCondition, SeriesRef, market_key
from services.agent.rules.definition import CompiledRule, check
from services.agent.rules.engine import RuleEngine
from shared.domain.intervals import Interval

DEFAULT_COUNTS = (1_000, 10_000, 100_000)
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
    naive_us: float | None
    """None where no naive loop was measured (indicator rules: the engine checks each one)."""


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


def _engine(rules: list[CompiledRule], prices: list[Decimal]) -> float:
    engine = RuleEngine()
    for rule in rules:
        engine.add(rule)
    engine.on_tick(MARKET, prices[0])
    started = time.perf_counter()
    for now in prices:
        for fired in engine.on_tick(MARKET, now):
            engine.fired(fired.id, fired.fires + 1)
    return (time.perf_counter() - started) / len(prices) * 1e6


def _candle_rules(count: int, randomness: random.Random) -> list[CompiledRule]:
    specs = [IndicatorSpec.of("rsi", period=p) for p in (7, 14, 21)] + [IndicatorSpec.of("sma", period=20)]
    return [
        CompiledRule(
            uuid.uuid4(), uuid.uuid4(), "paper", _COMMAND, fire_once=False, fires=0, prices=(),
            candles=(CandleCondition(MARKET, Interval.M1, SeriesRef(randomness.choice(specs)),
                                     randomness.choice((Op.LT, Op.CROSSES_ABOVE, Op.RISING)), 30.0),),
        )
        for _ in range(count)
    ]  # fmt: skip


def _candles(rules: list[CompiledRule], closes: int, randomness: random.Random) -> float:
    engine = RuleEngine()
    for rule in rules:
        engine.add(rule)
    price, bars = 30_000.0, []
    for minute in range(closes):
        price *= 1 + randomness.gauss(0, 0.001)
        bars.append(Bar(price + 5, price - 5, price, 1.0, minute * 60_000))
    engine.warm(MARKET, Interval.M1, bars[:50])
    started = time.perf_counter()
    for bar in bars[50:]:
        for fired in engine.on_candle(MARKET, Interval.M1, bar):
            engine.fired(fired.id, fired.fires + 1)
    per_close = (time.perf_counter() - started) / (closes - 50) * 1e6
    return per_close


def run_rules_benchmark(counts: tuple[int, ...] = DEFAULT_COUNTS, ticks: int = 20_000) -> list[RulesResult]:
    results = []
    for count in counts:
        randomness = random.Random(count)
        rules, prices = _price_rules(count, randomness), _walk(ticks, randomness)
        naive_ticks = prices[: max(20, 2_000_000 // count)]
        results.append(
            RulesResult(count, "price, per tick", _engine(rules, prices), _naive(rules, naive_ticks))
        )
    candle_rules = _candle_rules(10_000, random.Random(1))
    per_close = _candles(candle_rules, 250, random.Random(2))
    results.append(RulesResult(10_000, "indicator, per candle close", per_close, None))
    return results


def rules_table(results: list[RulesResult]) -> str:
    lines = [
        "| active rules | evaluated | engine (µs) | naive loop (µs) | naive / engine |",
        "|---:|---|---:|---:|---:|",
    ]
    for r in results:
        naive = "—" if r.naive_us is None else f"{r.naive_us:,.1f}"
        ratio = "—" if r.naive_us is None else f"{r.naive_us / r.engine_us:,.1f}"
        lines.append(f"| {r.rules:,} | {r.kind} | {r.engine_us:,.1f} | {naive} | {ratio} |")
    at_10k = next((r for r in results if r.rules == 10_000 and r.kind.startswith("price")), None)
    if at_10k is not None:
        verdict = "met" if at_10k.engine_us <= TARGET_US else "missed"
        lines += ["", f"Target ≤ {TARGET_US:.0f} µs per tick at 10,000 price rules: {verdict}."]
    return "\n".join(lines)
