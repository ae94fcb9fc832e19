"""The array indicators: a published worked example, hand-derived cases, a naive twin, edge cases."""

from __future__ import annotations

import math

import numpy as np
import pytest

from services.agent.indicators import series
from tests.unit.agent.indicators import naive

NAN = math.nan


def random_candles(count: int, seed: int = 7) -> tuple[list[float], list[float], list[float], list[float]]:
    """A random walk around 30 000 with spreads and volumes, like minute candles of BTC."""
    rng = np.random.default_rng(seed)
    close = 30_000 + np.cumsum(rng.normal(0, 15, count))
    high = close + rng.uniform(0, 25, count)
    low = close - rng.uniform(0, 25, count)
    volume = rng.exponential(3, count) * (rng.uniform(size=count) > 0.05)
    return high.tolist(), low.tolist(), close.tolist(), volume.tolist()


def assert_same(actual: np.ndarray, expected: list[float], scale: float = 1.0) -> None:
    # NaN exactly where expected; elsewhere 1e-9 relative, or 1e-9 of the series' scale near zero.
    np.testing.assert_allclose(actual, np.array(expected), rtol=1e-9, atol=1e-9 * scale, equal_nan=True)


# The StockCharts "cs-rsi" worksheet (QQQQ, Dec 2009 - Feb 2010), 14-period Wilder RSI. Its closes
# are printed rounded to cents while it computed on unrounded prices, so rebuilding the series from
# the printed closes drifts by up to 0.07; rebuilt from its printed one-day changes, every printed
# RSI is met within the 0.01 its own two-decimal rounding allows.
CS_RSI_CHANGES = [
    -0.25, 0.06, -0.54, 0.72, 0.50, 0.27, 0.33, 0.42, 0.24, -0.19, 0.14, -0.42, 0.67, 0.00, -0.28, 0.03,
    0.38, -0.19, -0.58, 0.57, 0.04, -0.54, 0.74, -0.67, -0.43, -1.33, 0.15, 0.04, 0.35, -1.15, -0.76, 0.47,
]  # fmt: skip
CS_RSI_PUBLISHED = [
    70.53, 66.32, 66.55, 69.41, 66.36, 57.97, 62.93, 63.26, 56.06, 62.38, 54.71, 50.42, 39.99, 41.46,
    41.87, 45.46, 37.30, 33.08, 37.77,
]  # fmt: skip


def test_rsi_meets_the_stockcharts_worked_example() -> None:
    closes = 44.34 + np.concatenate(([0.0], np.cumsum(CS_RSI_CHANGES)))
    values = series.rsi(closes, 14)
    assert np.isnan(values[:14]).all()
    np.testing.assert_allclose(values[14:], CS_RSI_PUBLISHED, atol=0.0101)


def test_sma_and_ema_by_hand() -> None:
    assert_same(series.sma([1, 2, 3, 4, 5], 3), [NAN, NAN, 2, 3, 4])
    # alpha = 2 / (3 + 1) = 0.5, seeded with mean(1, 2, 3) = 2: 2 + (4 - 2) / 2 = 3, then 4, then 5.5.
    assert_same(series.ema([1, 2, 3, 4, 5, 7], 3), [NAN, NAN, 2, 3, 4, 5.5])
    assert_same(series.ema([5, 6, 7], 1), [5, 6, 7])


def test_rsi_by_hand() -> None:
    # Changes +1 +1 -1 +2, period 2. Seeds: gain 1, loss 0 -> 100. Then gain (1 + 0) / 2 = 0.5,
    # loss (0 + 1) / 2 = 0.5 -> 50. Then gain (0.5 + 2) / 2 = 1.25, loss 0.25: RS 5 -> 100 - 100 / 6.
    assert_same(series.rsi([10, 11, 12, 11, 13], 2), [NAN, NAN, 100, 50, 100 - 100 / 6])


def test_rsi_of_one_way_and_flat_markets() -> None:
    assert_same(series.rsi(np.arange(1.0, 30.0), 14)[14:], [100.0] * 15)
    assert_same(series.rsi(np.arange(30.0, 1.0, -1), 14)[14:], [0.0] * 15)
    # Neither gains nor losses: 50 by convention (TA-Lib says 0, which would trip "RSI < 30").
    assert_same(series.rsi([42.0] * 20, 14)[14:], [50.0] * 6)


def test_macd_by_hand() -> None:
    # fast 1 is the close itself; slow 2 has alpha 2/3, seeded with mean(1, 2) = 1.5.
    closes = [1.0, 2.0, 4.0, 4.0]
    slow = [NAN, 1.5, 1.5 + 2 / 3 * 2.5, 0.0]
    slow[3] = slow[2] + 2 / 3 * (4 - slow[2])
    line = [NAN, 0.5, 4 - slow[2], 4 - slow[3]]
    signal = [NAN, NAN, (line[1] + line[2]) / 2, 0.0]
    signal[3] = signal[2] + 2 / 3 * (line[3] - signal[2])
    result = series.macd(closes, fast=1, slow=2, signal=2)
    assert_same(result.macd, line)
    assert_same(result.signal, signal)
    assert_same(result.histogram, [m - s for m, s in zip(line, signal, strict=True)])


def test_bollinger_by_hand() -> None:
    # 2 4 4 4 5 5 7 9: mean 5, squared deviations sum to 32, population deviation sqrt(32 / 8) = 2.
    bands = series.bollinger([2, 4, 4, 4, 5, 5, 7, 9], period=8, k=2)
    assert_same(bands.middle[7:], [5.0])
    assert_same(bands.upper[7:], [9.0])
    assert_same(bands.lower[7:], [1.0])
    assert np.isnan(bands.upper[:7]).all()


def test_atr_by_hand() -> None:
    # True ranges: 2 (first: high - low), max(3, |12 - 9|, |9 - 9|) = 3, max(1, 0, 1) = 1 and,
    # across a gap, max(1, |15 - 10.5|, |14 - 10.5|) = 4.5. Period 2: 2.5, (2.5 + 1) / 2, (1.75 + 4.5) / 2.
    high, low, close = [10, 12, 11, 15], [8, 9, 10, 14], [9, 11, 10.5, 14.5]
    assert_same(series.true_range(*(np.array(v, dtype=float) for v in (high, low, close))), [2, 3, 1, 4.5])
    assert_same(series.atr(high, low, close, 2), [NAN, 2.5, 1.75, 3.125])


def test_vwap_by_hand_with_a_session_reset() -> None:
    # Typical prices 10, 20, 30 with volumes 1, 3, 2: (10 + 60) / 4, then (10 + 60 + 60) / 6. A new
    # session at index 2 starts over at 30; one that has traded nothing yet has no VWAP (NaN).
    high, low, close = [11, 21, 31, 40], [9, 19, 29, 40], [10, 20, 30, 40]
    volume = [1, 3, 2, 0]
    assert_same(series.vwap(high, low, close, volume), [10, 17.5, 130 / 6, 130 / 6])
    assert_same(series.vwap(high, low, close, volume, resets=[2]), [10, 17.5, 30, 30])
    assert_same(series.vwap(high, low, close, volume, resets=[3]), [10, 17.5, 130 / 6, NAN])


@pytest.mark.parametrize("period", [1, 2, 14, 50])
def test_moving_averages_and_rsi_match_the_naive_twin(period: int) -> None:
    _, _, close, _ = random_candles(3_000, seed=period)
    assert_same(series.sma(close, period), naive.sma(close, period))
    assert_same(series.ema(close, period), naive.ema(close, period))
    assert_same(series.rsi(close, period), naive.rsi(close, period), scale=100)


@pytest.mark.parametrize(("fast", "slow", "signal"), [(12, 26, 9), (1, 2, 1), (5, 35, 5)])
def test_macd_matches_the_naive_twin(fast: int, slow: int, signal: int) -> None:
    _, _, close, _ = random_candles(3_000)
    for actual, expected in zip(
        series.macd(close, fast, slow, signal), naive.macd(close, fast, slow, signal), strict=True
    ):
        assert_same(actual, expected, scale=30_000)


@pytest.mark.parametrize(("period", "k"), [(20, 2.0), (2, 1.5), (100, 3.0)])
def test_bollinger_matches_the_naive_twin(period: int, k: float) -> None:
    _, _, close, _ = random_candles(3_000)
    for actual, expected in zip(
        series.bollinger(close, period, k), naive.bollinger(close, period, k), strict=True
    ):
        assert_same(actual, expected)


@pytest.mark.parametrize("period", [1, 14, 30])
def test_atr_and_vwap_match_the_naive_twin(period: int) -> None:
    high, low, close, volume = random_candles(3_000)
    assert_same(series.atr(high, low, close, period), naive.atr(high, low, close, period))
    resets = [0, 700, 701, 2_000]
    assert_same(
        series.vwap(high, low, close, volume, resets), naive.vwap(high, low, close, volume, set(resets))
    )


def test_too_few_values_give_all_nan_of_the_same_length() -> None:
    closes = [1.0, 2.0, 3.0]
    for values in (
        series.sma(closes, 4),
        series.ema(closes, 4),
        series.rsi(closes, 3),
        series.atr(closes, closes, closes, 4),
        *series.macd(closes, 2, 4, 2),
        *series.bollinger(closes, 4),
    ):
        assert values.shape == (3,)
        assert np.isnan(values).all()
    assert series.sma([], 3).shape == (0,)
    assert series.vwap([], [], [], []).shape == (0,)


def test_no_nan_after_the_warm_up() -> None:
    high, low, close, volume = random_candles(500)
    volume[0] = 1.0
    warmups = {
        0: [series.vwap(high, low, close, volume)],
        13: [series.atr(high, low, close, 14)],
        14: [series.rsi(close, 14)],
        19: [series.sma(close, 20), series.ema(close, 20), *series.bollinger(close, 20)],
        25: [series.macd(close).macd],
        33: [series.macd(close).signal, series.macd(close).histogram],
    }
    for warmup, arrays in warmups.items():
        for values in arrays:
            assert np.isnan(values[:warmup]).all()
            assert np.isfinite(values[warmup:]).all()


def test_a_flat_series_has_flat_indicators() -> None:
    flat = [100.0] * 60
    assert_same(series.ema(flat, 10)[9:], [100.0] * 51)
    bands = series.bollinger(flat, 20)
    assert_same(bands.upper[19:], [100.0] * 41)
    assert_same(bands.lower[19:], [100.0] * 41)
    assert_same(series.macd(flat).histogram[33:], [0.0] * 27)
    assert_same(series.atr(flat, flat, flat, 14)[13:], [0.0] * 47)


@pytest.mark.parametrize("period", [0, -1, 1.5, True, "14", None])
def test_invalid_periods_are_refused_by_name(period: object) -> None:
    with pytest.raises(ValueError, match="period"):
        series.sma([1.0, 2.0], period)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="period"):
        series.rsi([1.0, 2.0], period)  # type: ignore[arg-type]


def test_invalid_parameters_and_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match="fast < slow"):
        series.macd([1.0] * 50, fast=26, slow=12)
    with pytest.raises(ValueError, match="signal"):
        series.macd([1.0] * 50, signal=0)
    with pytest.raises(ValueError, match="k"):
        series.bollinger([1.0] * 50, k=0)
    with pytest.raises(ValueError, match="finite"):
        series.ema([1.0, math.nan, 3.0], 2)
    with pytest.raises(ValueError, match="1-D"):
        series.sma([[1.0, 2.0]], 1)
    with pytest.raises(ValueError, match="one length"):
        series.atr([1.0, 2.0], [1.0], [1.0, 2.0], 1)
    with pytest.raises(ValueError, match="non-negative"):
        series.vwap([1.0], [1.0], [1.0], [-1.0])
    with pytest.raises(ValueError, match="reset"):
        series.vwap([1.0], [1.0], [1.0], [1.0], resets=[1])


def test_long_smoothing_keeps_its_precision() -> None:
    # A million values through the block scan against the plain recurrence on a slice.
    _, _, close, _ = random_candles(1_000_000, seed=3)
    fast = series.ema(close, 200)
    assert_same(fast[-2_000:], naive.ema(close, 200)[-2_000:])
