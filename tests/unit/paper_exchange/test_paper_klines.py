"""Rolling 1-minute candles up into Binance intervals and answering kline queries."""

from __future__ import annotations

from decimal import Decimal

from services.paper_exchange.klines import IntervalSeries, Kline, aggregate
from shared.domain.intervals import Interval

D = Decimal


def minute(i: int, o: str, h: str, low: str, c: str, v: str) -> Kline:
    t = i * 60_000
    return Kline(t, t + 59_999, D(o), D(h), D(low), D(c), D(v), D(v) * D(c), 1, D(0), D(0), i, i)


MINUTES = [
    minute(0, "10", "12", "9", "11", "1"),
    minute(1, "11", "15", "10", "14", "2"),
    minute(2, "14", "14", "8", "9", "3"),
    minute(3, "9", "10", "9", "10", "4"),
    minute(4, "10", "11", "10", "11", "5"),
    minute(5, "11", "13", "11", "12", "6"),
]


def test_aggregate_into_5m_takes_first_open_extremes_last_close_and_summed_volume() -> None:
    first, second = aggregate(MINUTES, Interval.M5)
    assert (first.open_time, first.close_time) == (0, 299_999)
    assert (first.open, first.high, first.low, first.close, first.volume) == (
        D(10),
        D(15),
        D(8),
        D(11),
        D(15),
    )
    assert (first.first_trade_id, first.last_trade_id, first.trades) == (0, 4, 5)
    assert second.open_time == 300_000 and second.volume == D(6)


def test_interval_series_closes_a_candle_on_its_last_minute_only() -> None:
    series = IntervalSeries(Interval.M5, cap=100)
    closed = [series.add_minute(m) for m in MINUTES]
    assert closed[:4] == [None] * 4 and closed[5] is None
    assert closed[4] == aggregate(MINUTES[:5], Interval.M5)[0]


def test_interval_series_forming_candle_merges_closed_minutes_with_the_forming_one() -> None:
    series = IntervalSeries(Interval.M3, cap=100)
    for m in MINUTES[3:5]:
        series.add_minute(m)
    forming = series.forming(MINUTES[5])
    assert forming == aggregate(MINUTES[3:6], Interval.M3)[0]


def test_query_without_start_returns_the_last_candles_ending_with_the_forming_one() -> None:
    series = IntervalSeries(Interval.M1, cap=100)
    for m in MINUTES[:5]:
        series.add_minute(m)
    rows = series.query(MINUTES[5], None, None, 3)
    assert [r.open_time for r in rows] == [180_000, 240_000, 300_000]


def test_query_with_start_and_end_returns_the_first_candles_in_range() -> None:
    series = IntervalSeries(Interval.M1, cap=100)
    for m in MINUTES[:5]:
        series.add_minute(m)
    rows = series.query(MINUTES[5], 60_000, 180_000, 2)
    assert [r.open_time for r in rows] == [60_000, 120_000]


def test_rest_row_has_binance_kline_layout_with_string_prices() -> None:
    row = MINUTES[0].rest_row()
    assert row[:6] == [0, "10.00000000", "12.00000000", "9.00000000", "11.00000000", "1.00000000"]
    assert row[6] == 59_999 and row[8] == 1 and row[11] == "0"
