"""Expanding one 1-minute candle into the trades that print it.

The path visits exactly open → low → high → close for a rising candle and open → high → low →
close for a falling one (anchors at trade 0, about one third, about two thirds, and the last
trade); trades between anchors are interpolated on the tick grid with a one-tick seeded wiggle
that never leaves [low, high]. Quantities split the candle's volume exactly, so the klines an
exchange builds from these trades equal the source candle's OHLCV to the last digit.

Quantities are whole multiples of the step size, or of the volume's own last digit when the
volume is finer than the step (a replay file may carry more decimals than today's filter), and
never finer than 1e-8 (Binance's eight decimals); a tiny volume therefore gives fewer trades.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal

from services.paper_exchange.numbers import quantize
from services.paper_exchange.prices.candle import SourceCandle

CANDLE_MS = 60_000
_FINEST_EXPONENT = -8


@dataclass(frozen=True, slots=True)
class PlannedTrade:
    """A trade placed ``offset_ms`` after its candle opened."""

    offset_ms: int
    price: Decimal
    quantity: Decimal
    buyer_is_maker: bool


def _exponent(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    assert isinstance(exponent, int)
    return exponent


def split_volume(volume: Decimal, count: int, step: Decimal, rng: random.Random) -> list[Decimal]:
    """Split ``volume`` into at most ``count`` positive quantities that sum to it exactly."""
    if volume <= 0:
        return []
    exponent = min(_exponent(step), _exponent(volume))
    while exponent > _FINEST_EXPONENT and volume.scaleb(-exponent) < count:
        exponent -= 1
    quantum = Decimal(1).scaleb(exponent)
    units = int(volume.scaleb(-exponent))
    parts = min(count, units)
    weights = [rng.randint(1, 100) for _ in range(parts)]
    spare = units - parts
    shares = [1 + spare * w // sum(weights) for w in weights]
    for i in range(units - sum(shares)):  # the rounding remainder, fewer than `parts` units
        shares[i] += 1
    return [(quantum * share).quantize(quantum) for share in shares]


def _anchor_positions(count: int) -> list[int]:
    last = count - 1
    return [0, round(last / 3), round(2 * last / 3), last]


def price_path(candle: SourceCandle, count: int, tick: Decimal, rng: random.Random) -> list[Decimal]:
    """``count`` prices from open to close through both extremes, on the tick grid."""
    if candle.close >= candle.open:
        anchors = [candle.open, candle.low, candle.high, candle.close]
    else:
        anchors = [candle.open, candle.high, candle.low, candle.close]
    if count < 4:
        return [*anchors[: count - 1], candle.close]
    positions = _anchor_positions(count)
    prices: list[Decimal] = []
    for segment in range(3):
        start, end = positions[segment], positions[segment + 1]
        a, b = anchors[segment], anchors[segment + 1]
        prices.append(a)
        for i in range(start + 1, end):
            linear = quantize(a + (b - a) * (i - start) / (end - start), tick)
            wiggled = linear + tick * rng.randint(-1, 1)
            prices.append(min(candle.high, max(candle.low, wiggled)))
    prices.append(anchors[3])
    return prices


def plan_trades(
    candle: SourceCandle,
    count: int,
    tick: Decimal,
    step: Decimal,
    rng: random.Random,
    previous_price: Decimal,
) -> list[PlannedTrade]:
    """The trades of one candle, evenly spaced over its minute, in time order."""
    quantities = split_volume(candle.volume, count, step, rng)
    if not quantities:
        return []
    prices = price_path(candle, len(quantities), tick, rng)
    planned: list[PlannedTrade] = []
    last = previous_price
    n = len(quantities)
    for i, (price, quantity) in enumerate(zip(prices, quantities, strict=True)):
        # An up-tick was lifted by a buyer (taker buy); a down-tick hit by a seller.
        maker = price < last if price != last else bool(rng.getrandbits(1))
        planned.append(PlannedTrade(i * CANDLE_MS // n, price, quantity, maker))
        last = price
    return planned
