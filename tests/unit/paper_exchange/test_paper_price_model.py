"""The seeded random walk and the trade path that expands a candle into trades."""

from __future__ import annotations

import itertools
import random
from decimal import Decimal

from services.paper_exchange.klines import Kline
from services.paper_exchange.markets import spec_for
from services.paper_exchange.prices.candle import SourceCandle
from services.paper_exchange.prices.random_walk import RandomWalk
from services.paper_exchange.prices.source import CandleSource
from services.paper_exchange.trades import plan_trades, split_volume

BTC = spec_for("BTC/USDT")


def walk(seed: int, n: int = 200) -> list[SourceCandle]:
    w = RandomWalk(BTC, seed)
    return [w.next_candle() for _ in range(n)]


def test_random_walk_same_seed_gives_the_same_candles() -> None:
    assert walk(7) == walk(7)


def test_random_walk_other_seed_gives_other_candles() -> None:
    assert walk(7) != walk(8)


def test_random_walk_candles_chain_and_lie_on_the_tick_and_step_grid() -> None:
    candles = walk(3)
    for before, after in itertools.pairwise(candles):
        assert after.open == before.close
    for c in candles:
        for price in (c.open, c.high, c.low, c.close):
            assert price % BTC.tick_size == 0
        assert c.volume > 0 and c.volume % BTC.step_size == 0


def test_candle_source_continues_with_a_walk_from_the_last_replayed_close() -> None:
    replayed = [SourceCandle(*map(Decimal, ("100.004", "101", "99", "100.5", "3")))]
    source = CandleSource(BTC, seed=1, replay=replayed)
    first, second = source.next_candle(), source.next_candle()
    assert first.open == Decimal("100.00")  # rounded to the 0.01 tick
    assert second.open == first.close


RISING = SourceCandle(*map(Decimal, ("23140.48", "23150.77", "23128.52", "23142.31", "2.131777")))
FALLING = SourceCandle(*map(Decimal, ("23143.89", "23148.80", "23137.61", "23137.77", "0.881378")))


def test_trade_path_of_rising_candle_visits_open_low_high_close_in_order() -> None:
    trades = plan_trades(RISING, 60, BTC.tick_size, BTC.step_size, random.Random(1), RISING.open)
    prices = [t.price for t in trades]
    assert prices[0] == RISING.open and prices[-1] == RISING.close
    assert min(prices) == RISING.low and max(prices) == RISING.high
    assert prices.index(RISING.low) < prices.index(RISING.high)
    assert all(p % BTC.tick_size == 0 for p in prices)


def test_trade_path_of_falling_candle_visits_high_before_low() -> None:
    prices = [
        t.price
        for t in plan_trades(FALLING, 60, BTC.tick_size, BTC.step_size, random.Random(1), FALLING.open)
    ]
    assert prices.index(FALLING.high) < prices.index(FALLING.low)
    assert (prices[0], prices[-1]) == (FALLING.open, FALLING.close)


def test_trade_quantities_sum_exactly_to_the_candle_volume() -> None:
    trades = plan_trades(RISING, 60, BTC.tick_size, BTC.step_size, random.Random(2), RISING.open)
    assert len(trades) == 60
    assert sum(t.quantity for t in trades) == RISING.volume
    assert all(t.quantity > 0 for t in trades)


def test_trades_span_the_minute_in_time_order() -> None:
    trades = plan_trades(RISING, 60, BTC.tick_size, BTC.step_size, random.Random(2), RISING.open)
    offsets = [t.offset_ms for t in trades]
    assert offsets[0] == 0 and offsets == sorted(offsets) and offsets[-1] < 60_000


def test_kline_built_from_the_trades_equals_the_source_candle() -> None:
    kline = Kline.empty(0, 60_000, Decimal("1"))
    for i, t in enumerate(
        plan_trades(FALLING, 37, BTC.tick_size, BTC.step_size, random.Random(5), Decimal(1))
    ):
        kline = kline.with_trade(i, t.price, t.quantity, t.buyer_is_maker)
    assert (kline.open, kline.high, kline.low, kline.close, kline.volume) == (
        FALLING.open, FALLING.high, FALLING.low, FALLING.close, FALLING.volume,
    )  # fmt: skip
    assert kline.trades == 37


def test_split_volume_of_tiny_volume_gives_fewer_trades_never_finer_than_1e8() -> None:
    parts = split_volume(Decimal("0.00000003"), 60, Decimal("0.00001"), random.Random(0))
    assert parts == [Decimal("0.00000001")] * 3


def test_split_volume_of_zero_gives_no_trades() -> None:
    assert split_volume(Decimal(0), 60, Decimal("0.00001"), random.Random(0)) == []
