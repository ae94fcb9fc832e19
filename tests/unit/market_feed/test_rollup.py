"""Longer candles are rolled up from minutes only when every minute is there."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from services.market_feed.rollup import CandleRollup
from shared.domain.intervals import Interval
from shared.messages.market import Candle

START = datetime(2023, 3, 1, tzinfo=UTC)


def minute(index: int, o: str, h: str, lo: str, c: str, v: str) -> Candle:
    open_time = START + timedelta(minutes=index)
    return Candle(
        venue="paper",
        symbol="BTC/USDT",
        interval="1m",
        open_time=open_time,
        close_time=open_time + timedelta(minutes=1),
        open=o,
        high=h,
        low=lo,
        close=c,
        volume=v,
        ts_event=open_time + timedelta(minutes=1),
    )


def test_five_minutes_make_one_exact_five_minute_candle() -> None:
    rollup = CandleRollup((Interval.M5,))
    prices = [
        ("10", "12", "9", "11", "1.5"),
        ("11", "15", "10", "14", "0.25"),
        ("14", "14", "8", "9", "2"),
        ("9", "10", "9", "10", "0.000001"),
        ("10", "11", "10", "10.5", "3"),
    ]
    results = [rollup.add(minute(i, *p)) for i, p in enumerate(prices)]
    assert all(r.complete == () for r in results[:4])
    (five,) = results[4].complete
    assert (five.open, five.high, five.low, five.close) == (
        Decimal(10),
        Decimal(15),
        Decimal(8),
        Decimal("10.5"),
    )
    assert five.volume == Decimal("6.750001")
    assert five.interval is Interval.M5 and five.open_time == START
    assert five.message_id == Candle.id_for("paper", "BTC/USDT", "5m", int(START.timestamp() * 1000))


def test_a_bucket_that_started_mid_way_is_reported_incomplete_not_published() -> None:
    rollup = CandleRollup((Interval.M5,))
    rollup.add(minute(3, "1", "1", "1", "1", "1"))
    result = rollup.add(minute(4, "1", "1", "1", "1", "1"))
    assert result.complete == ()
    assert result.incomplete_open_ms == ((Interval.M5, int(START.timestamp() * 1000)),)


def test_a_bucket_whose_last_minute_never_came_is_reported_when_the_next_begins() -> None:
    rollup = CandleRollup((Interval.M5,))
    for i in range(4):
        rollup.add(minute(i, "1", "1", "1", "1", "1"))
    result = rollup.add(minute(5, "1", "1", "1", "1", "1"))
    assert result.incomplete_open_ms == ((Interval.M5, int(START.timestamp() * 1000)),)


def test_several_intervals_roll_up_at_once() -> None:
    rollup = CandleRollup((Interval.M5, Interval.H1))
    completed = []
    for i in range(60):
        completed += rollup.add(minute(i, "1", "2", "1", "2", "1")).complete
    assert [c.interval for c in completed] == [Interval.M5] * 12 + [Interval.H1]
    assert completed[-1].volume == Decimal(60)


def test_rollup_refuses_one_minute_inputs_of_other_intervals() -> None:
    with pytest.raises(ValueError, match="longer than 1m"):
        CandleRollup((Interval.M1,))
