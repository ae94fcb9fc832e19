"""Decimal candles become float64 columns; indicators are named, checked and computed by spec."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from services.agent.indicators import series
from services.agent.indicators.candles import DAY_MS, candle_arrays, session_starts
from services.agent.indicators.spec import DEFINITIONS, IndicatorSpec
from shared.messages.market import Candle

START = datetime(2023, 3, 1, 23, 57, tzinfo=UTC)


def candle(index: int, close: str, symbol: str = "BTC/USDT") -> Candle:
    open_time = START + timedelta(minutes=index)
    return Candle(
        venue="paper",
        symbol=symbol,
        interval="1m",
        open_time=open_time,
        close_time=open_time + timedelta(minutes=1),
        open=close,
        high=str(float(close) + 1),
        low=str(float(close) - 1),
        close=close,
        volume="0.5",
        ts_event=open_time + timedelta(minutes=1),
    )


def test_candles_become_columns_and_days_become_sessions() -> None:
    arrays = candle_arrays([candle(i, c) for i, c in enumerate(["23140.48", "23141.1", "23139.9", "23150"])])
    assert len(arrays) == 4
    assert arrays.close.dtype == np.float64
    assert arrays.close.tolist() == [23140.48, 23141.1, 23139.9, 23150.0]
    assert arrays.high[0] == 23141.48
    # 23:57, 23:58, 23:59, then 00:00 of the next UTC day.
    assert session_starts(arrays.open_time_ms).tolist() == [0, 3]
    assert session_starts(arrays.open_time_ms, 60_000).tolist() == [0, 1, 2, 3]
    assert session_starts(arrays.open_time_ms[:3], DAY_MS).tolist() == [0]
    assert arrays.bar(3) == (23151.0, 23149.0, 23150.0, 0.5, int(arrays.open_time_ms[3]))
    assert len(candle_arrays([])) == 0


def test_mixed_or_unordered_candles_are_refused() -> None:
    with pytest.raises(ValueError, match="one market"):
        candle_arrays([candle(0, "10"), candle(1, "10", symbol="ETH/USDT")])
    with pytest.raises(ValueError, match="increasing"):
        candle_arrays([candle(1, "10"), candle(0, "10")])


def test_specs_fill_defaults_and_label_themselves() -> None:
    assert IndicatorSpec.of("RSI") == IndicatorSpec("rsi", (("period", 14),))
    assert IndicatorSpec.of("rsi").label == "rsi(14)"
    assert IndicatorSpec.of("macd", signal=5).label == "macd(12, 26, 5)"
    assert IndicatorSpec.of("bollinger", k=2.5).label == "bollinger(20, 2.5)"
    assert IndicatorSpec.of("bollinger") == IndicatorSpec.of("bollinger", k=2)
    assert sorted(DEFINITIONS) == ["atr", "bollinger", "ema", "macd", "rsi", "sma", "vwap"]
    assert IndicatorSpec.of("macd").outputs == ("macd", "signal", "histogram")


@pytest.mark.parametrize(
    ("name", "params", "message"),
    [
        ("stochastic", {}, "unknown indicator 'stochastic'; known: atr, bollinger"),
        ("rsi", {"length": 14}, r"unknown parameter\(s\) \['length'\] for rsi"),
        ("rsi", {"period": 0}, "period >= 1"),
        ("sma", {"period": 2.5}, "period to be an integer"),
        ("macd", {"fast": 30}, "fast < slow"),
        ("bollinger", {"k": 0}, "k to be finite and > 0"),
        ("vwap", {"session_minutes": 0}, "session_minutes >= 1"),
    ],
)
def test_bad_specs_say_what_is_wrong(name: str, params: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        IndicatorSpec.of(name, **params)


def test_direct_construction_is_checked_too() -> None:
    with pytest.raises(ValueError, match="expected the parameters"):
        IndicatorSpec("rsi", (("period", 14), ("k", 2)))
    with pytest.raises(ValueError, match="period >= 1"):
        IndicatorSpec("ema", (("period", -3),))


@pytest.mark.parametrize("name", sorted(DEFINITIONS))
def test_a_spec_computes_and_streams_the_same_numbers(name: str) -> None:
    rng = np.random.default_rng(2)
    closes = 30_000 + np.cumsum(rng.normal(0, 15, 3_000))
    candles = [candle(i, f"{c:.2f}") for i, c in enumerate(closes)]
    arrays = candle_arrays(candles)
    spec = IndicatorSpec.of(name)
    computed = spec.compute(arrays)
    assert list(computed) == list(spec.outputs)
    state = spec.stream()
    streamed = [state.push(arrays.bar(i)) for i in range(len(arrays))]
    first = next(i for i, row in enumerate(streamed) if row is not None)
    for position, output in enumerate(spec.outputs):
        expected = computed[output][first:]
        actual = [row[position] if row is not None else np.nan for row in streamed[first:]]
        np.testing.assert_allclose(actual, expected, rtol=1e-9, atol=1e-9 * 30_000)
    if name == "rsi":
        np.testing.assert_array_equal(computed["rsi"], series.rsi(arrays.close, 14))
    if name == "vwap":
        # 3 000 minutes from 23:57 cross three UTC midnights: the spec resets at each, like the stream.
        assert session_starts(arrays.open_time_ms).tolist() == [0, 3, 1443, 2883]
