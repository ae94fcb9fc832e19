"""Conditions over whole arrays: each op's documented semantics, warm-up, and what is refused."""

from __future__ import annotations

import numpy as np
import pytest

from services.agent.backtest.signals import UnsupportedCondition, evaluate
from services.agent.indicators import series as ind
from shared.domain.intervals import Interval
from tests.unit.agent.backtest.support import SYMBOL, arrays, indicator, price, series


def signal(closes: list[float], *conditions: object) -> list[bool]:
    candles = arrays(closes, closes)
    mask = evaluate(list(conditions), candles, SYMBOL, Interval.M1)  # type: ignore[arg-type]
    return [bool(x) for x in mask]


def test_levels_hold_while_true() -> None:
    closes = [99.0, 100.0, 101.0, 100.0, 98.0]
    assert signal(closes, price("<", "100")) == [True, False, False, False, True]
    assert signal(closes, price("<=", "100")) == [True, True, False, True, True]
    assert signal(closes, price(">", "100")) == [False, False, True, False, False]
    assert signal(closes, price(">=", "100")) == [False, True, True, True, False]


def test_crosses_hold_only_on_the_candle_the_gap_turns() -> None:
    closes = [99.0, 101.0, 102.0, 99.0, 98.0, 101.0]
    assert signal(closes, price("crosses_above", "100")) == [False, True, False, False, False, True]
    assert signal(closes, price("crosses_below", "100")) == [False, False, False, True, False, False]


def test_a_touch_is_no_cross_and_resting_on_the_level_crosses_once_when_leaving() -> None:
    # 101 -> 100 (touch) -> 101: the gap never turned negative, so nothing crosses below or above
    assert signal([101.0, 100.0, 101.0], price("crosses_above", "100")) == [False, False, False]
    assert signal([101.0, 100.0, 101.0], price("crosses_below", "100")) == [False, False, False]
    # 99 -> 100 -> 100 -> 101: it crosses above when it leaves the level upwards
    assert signal([99.0, 100.0, 100.0, 101.0], price("crosses_above", "100")) == [False, False, False, True]


def test_rising_and_falling_compare_with_the_previous_candle() -> None:
    closes = [10.0, 11.0, 11.0, 10.0, 12.0]
    assert signal(closes, price("rising")) == [False, True, False, False, True]
    assert signal(closes, price("falling")) == [False, False, False, True, False]


def test_warm_up_is_false_even_for_directions_and_crosses() -> None:
    closes = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    # SMA(3) starts at index 2; rising needs index 2's predecessor too, so it first holds at 3
    assert signal(closes, indicator("sma", 3, "rising")) == [False, False, False, True, True, True]
    above = indicator("sma", 2, "crosses_above", series("sma", 3))
    assert signal(closes, above) == [False] * 6  # SMA(2) > SMA(3) from the start: never a cross


def test_every_condition_must_hold_and_series_compare_with_series() -> None:
    rng = np.random.default_rng(7)
    closes = (100 + np.cumsum(rng.normal(0, 1, 300))).tolist()
    fast, slow = ind.sma(np.asarray(closes), 5), ind.sma(np.asarray(closes), 20)
    gap = fast - slow
    expected = (gap[:-1] < 0) & (gap[1:] > 0)  # floats: the gap is never exactly zero here
    got = signal(closes, indicator("sma", 5, "crosses_above", series("sma", 20)))
    assert got == [False, *expected.tolist()]
    assert sum(got) > 2  # the walk does cross, so the comparison above means something
    rsi = ind.rsi(np.asarray(closes), 14)
    both = signal(closes, indicator("rsi", 14, "<", "50"), price("rising"))
    rising = np.concatenate(([False], np.diff(closes) > 0))
    assert both == ((rsi < 50) & rising).tolist()


def test_macd_and_its_signal_line_are_read_from_the_closes() -> None:
    closes = (100 + np.sin(np.arange(120) / 6) * 5).tolist()
    macd = ind.macd(np.asarray(closes))
    got = signal(closes, indicator("macd", None, ">", series("macd_signal", None)))
    assert got == (macd.macd > macd.signal).tolist()
    assert any(got) and not all(got)


def test_another_chart_or_market_is_refused_with_the_reason() -> None:
    candles = arrays([1.0, 2.0], [1.0, 2.0])
    hourly = indicator("rsi", 14, "<", "30").model_copy(update={"interval": Interval.H1})
    with pytest.raises(UnsupportedCondition, match="1h candles cannot be read from 1m candles"):
        evaluate([hourly], candles, SYMBOL, Interval.M1)
    with pytest.raises(UnsupportedCondition, match="reads BTC/USDT but the candles are ETH/USDT"):
        evaluate([price("<", "3")], candles, "ETH/USDT", Interval.M1)
    with pytest.raises(UnsupportedCondition, match="at least one condition"):
        evaluate([], candles, SYMBOL, Interval.M1)


def test_a_cross_needs_a_sign_before_it() -> None:
    # a gap first seen at zero, then positive: it was never below, so it did not cross
    assert signal([100.0, 100.0, 101.0], price("crosses_above", "100")) == [False, False, False]
    closes = [5.0, 4.0, 3.0, 2.0, 6.0, 7.0]
    # SMA(2) - SMA(3): NaN, NaN, -0.5, -0.5, +0.33, +1.5: one cross, when both are defined
    up = [False, False, False, False, True, False]
    assert signal(closes, indicator("sma", 2, "crosses_above", series("sma", 3))) == up
    assert signal(closes, indicator("sma", 3, "crosses_below", series("sma", 2))) == up
