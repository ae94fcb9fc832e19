"""The streaming states give the array functions' numbers, one candle at a time."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import pytest

from services.agent.indicators import incremental, series
from tests.unit.agent.indicators.test_indicators_series import random_candles

COUNT = 50_000


def streamed(update: Callable[..., object], *inputs: Sequence[float], outputs: int = 1) -> np.ndarray:
    """Feed ``inputs`` one index at a time; NaN where the state answered None."""
    rows = []
    for args in zip(*inputs, strict=True):
        value = update(*args)
        if value is None:
            rows.append([math.nan] * outputs)
        elif isinstance(value, tuple):
            rows.append(list(value))
        else:
            assert isinstance(value, float)
            rows.append([value])
    return np.array(rows).T


def assert_agree(actual: np.ndarray, expected: np.ndarray, scale: float = 1.0) -> None:
    np.testing.assert_allclose(actual, expected, rtol=1e-9, atol=1e-9 * scale, equal_nan=True)


@pytest.fixture(scope="module")
def candles() -> tuple[list[float], list[float], list[float], list[float]]:
    return random_candles(COUNT, seed=11)


@pytest.mark.parametrize("period", [1, 2, 20, 200])
def test_sma_ema_and_rsi_stream_like_the_arrays(period: int, candles: tuple[list[float], ...]) -> None:
    close = candles[2]
    assert_agree(streamed(incremental.SmaState(period).update, close)[0], series.sma(close, period))
    assert_agree(streamed(incremental.EmaState(period).update, close)[0], series.ema(close, period))
    assert_agree(streamed(incremental.RsiState(period).update, close)[0], series.rsi(close, period), 100)


def test_macd_streams_like_the_arrays_once_its_signal_exists(candles: tuple[list[float], ...]) -> None:
    close = candles[2]
    expected = np.array(series.macd(close))
    expected[0, : 26 + 9 - 2] = math.nan  # the state answers only once all three lines exist
    assert_agree(streamed(incremental.MacdState().update, close, outputs=3), expected, 30_000)


@pytest.mark.parametrize(("period", "k"), [(20, 2.0), (2, 1.0), (300, 2.5)])
def test_bollinger_streams_like_the_arrays(period: int, k: float, candles: tuple[list[float], ...]) -> None:
    close = candles[2]
    state = incremental.BollingerState(period, k)
    assert_agree(streamed(state.update, close, outputs=3), np.array(series.bollinger(close, period, k)))


@pytest.mark.parametrize("period", [1, 14])
def test_atr_streams_like_the_arrays(period: int, candles: tuple[list[float], ...]) -> None:
    high, low, close, _ = candles
    assert_agree(
        streamed(incremental.AtrState(period).update, high, low, close)[0],
        series.atr(high, low, close, period),
    )


def test_vwap_streams_like_the_arrays_across_sessions(candles: tuple[list[float], ...]) -> None:
    high, low, close, volume = candles
    resets = set(range(0, COUNT, 1_440))
    state = incremental.VwapState()

    def update(index: int, h: float, lo: float, c: float, v: float) -> float | None:
        if index in resets:
            state.reset()
        return state.update(h, lo, c, v)

    actual = streamed(update, list(range(COUNT)), high, low, close, volume)[0]
    assert_agree(actual, series.vwap(high, low, close, volume, sorted(resets)))


def test_push_feeds_every_state_from_one_bar(candles: tuple[list[float], ...]) -> None:
    high, low, close, volume = candles
    states: list[incremental.BarIndicator] = [
        incremental.SmaState(3),
        incremental.EmaState(3),
        incremental.RsiState(3),
        incremental.MacdState(2, 3, 2),
        incremental.BollingerState(3),
        incremental.AtrState(3),
        incremental.VwapState(),
    ]
    for index in range(10):
        bar = incremental.Bar(high[index], low[index], close[index], volume[index])
        answers = [state.push(bar) for state in states]
    assert [len(answer or ()) for answer in answers] == [1, 1, 1, 3, 3, 1, 1]
    assert answers[0] == pytest.approx((sum(close[7:10]) / 3,))
    assert answers[5] == pytest.approx((series.atr(high[:10], low[:10], close[:10], 3)[-1],))


def test_warm_up_answers_none_then_values() -> None:
    state = incremental.RsiState(2)
    assert [state.update(c) for c in (10.0, 11.0)] == [None, None]
    assert state.value is None
    assert state.update(12.0) == 100.0
    assert state.value == 100.0
    flat = incremental.RsiState(3)
    assert [flat.update(5.0) for _ in range(5)] == [None, None, None, 50.0, 50.0]


def test_a_vwap_session_that_traded_nothing_has_no_value() -> None:
    state = incremental.VwapState()
    assert state.update(10.0, 10.0, 10.0, 0.0) is None
    assert state.update(12.0, 9.0, 9.0, 2.0) == 10.0
    state.reset()
    assert state.value is None


def test_bad_parameters_and_values_are_refused() -> None:
    for make in (incremental.SmaState, incremental.EmaState, incremental.RsiState, incremental.AtrState):
        with pytest.raises(ValueError, match="period"):
            make(0)
    with pytest.raises(ValueError, match="fast < slow"):
        incremental.MacdState(fast=26, slow=26)
    with pytest.raises(ValueError, match="k"):
        incremental.BollingerState(20, k=-1.0)
    with pytest.raises(ValueError, match="finite"):
        incremental.EmaState(3).update(math.inf)
    with pytest.raises(ValueError, match="non-negative"):
        incremental.VwapState().update(1.0, 1.0, 1.0, -1.0)


def test_sums_do_not_drift_over_a_long_stream() -> None:
    # Large, noisy prices over 200 000 updates: the re-summed window stays exact to 1e-12.
    rng = np.random.default_rng(5)
    values = (1e6 + rng.normal(0, 1e4, 200_000)).tolist()
    state = incremental.SmaState(50)
    for value in values:
        state.update(value)
    assert state.value == pytest.approx(math.fsum(values[-50:]) / 50, rel=1e-12)
