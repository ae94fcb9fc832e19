"""Indicators one closed candle at a time, for the rules engine: O(1) work and memory per update.

Each state's ``update`` returns ``None`` while warming up, then the same value the array
function of ``series`` gives at that index (up to rounding: about 1e-12 relative, tested).
The conventions (seeds, RSI 50 on a flat window, population deviation) are those of ``series``.
Every state also takes a whole ``Bar`` through ``push`` so a caller can feed many indicators
from one candle without knowing which fields each reads.
"""

from __future__ import annotations

import math
from collections import deque
from typing import NamedTuple, Protocol

from services.agent.indicators.params import check_multiplier, check_period


class Bar(NamedTuple):
    """The fields of one closed candle that the indicators read; the open time starts VWAP sessions."""

    high: float
    low: float
    close: float
    volume: float
    open_time_ms: int = 0


class MacdValue(NamedTuple):
    macd: float
    signal: float
    histogram: float


class BollingerValue(NamedTuple):
    middle: float
    upper: float
    lower: float


class BarIndicator(Protocol):
    """Any state fed whole candles; its outputs in the order ``spec`` names them."""

    def push(self, bar: Bar) -> tuple[float, ...] | None: ...


def _finite(value: float) -> float:
    # One NaN would poison a recursive average forever; refuse it where it enters.
    if not math.isfinite(value):
        raise ValueError(f"expected a finite value, was {value}")
    return value


class _Smoother:
    """``level += alpha * (x - level)``, seeded with the mean of the first ``period`` inputs."""

    __slots__ = ("_alpha", "_period", "_warmup", "level")

    def __init__(self, period: int, alpha: float) -> None:
        self._period = period
        self._alpha = alpha
        self._warmup: list[float] | None = []
        self.level: float | None = None

    def update(self, value: float) -> float | None:
        if self._warmup is None:
            assert self.level is not None
            self.level += self._alpha * (value - self.level)
            return self.level
        self._warmup.append(value)
        if len(self._warmup) == self._period:
            self.level = math.fsum(self._warmup) / self._period
            self._warmup = None
        return self.level


class SmaState:
    """Running sum of the last ``period`` values, re-summed exactly every ``period`` updates.

    The re-summation (amortised O(1)) stops rounding errors from drifting over millions of
    updates.
    """

    __slots__ = ("_period", "_since_exact", "_sum", "_window", "value")

    def __init__(self, period: int) -> None:
        self._period = check_period(period)
        self._window: deque[float] = deque(maxlen=period)
        self._sum = 0.0
        self._since_exact = 0
        self.value: float | None = None

    def update(self, value: float) -> float | None:
        window = self._window
        if len(window) == self._period:
            self._sum -= window[0]
        window.append(_finite(value))
        self._sum += value
        self._since_exact += 1
        if self._since_exact == self._period:
            self._sum = math.fsum(window)
            self._since_exact = 0
        if len(window) == self._period:
            self.value = self._sum / self._period
        return self.value

    def push(self, bar: Bar) -> tuple[float, ...] | None:
        value = self.update(bar.close)
        return None if value is None else (value,)


class EmaState:
    """Exponential moving average, ``alpha = 2 / (period + 1)``, seeded with the first SMA."""

    __slots__ = ("_smoother", "value")

    def __init__(self, period: int) -> None:
        self._smoother = _Smoother(check_period(period), 2.0 / (period + 1))
        self.value: float | None = None

    def update(self, value: float) -> float | None:
        self.value = self._smoother.update(_finite(value))
        return self.value

    def push(self, bar: Bar) -> tuple[float, ...] | None:
        value = self.update(bar.close)
        return None if value is None else (value,)


class RsiState:
    """Wilder's RSI: smoothed gains and losses of consecutive closes; 50 when neither moved."""

    __slots__ = ("_gain", "_loss", "_previous", "value")

    def __init__(self, period: int = 14) -> None:
        alpha = 1.0 / check_period(period)
        self._gain = _Smoother(period, alpha)
        self._loss = _Smoother(period, alpha)
        self._previous: float | None = None
        self.value: float | None = None

    def update(self, close: float) -> float | None:
        previous, self._previous = self._previous, _finite(close)
        if previous is None:
            return None
        change = close - previous
        gain = self._gain.update(max(change, 0.0))
        loss = self._loss.update(max(-change, 0.0))
        if gain is None or loss is None:
            return None
        total = gain + loss
        self.value = 100.0 * gain / total if total > 0.0 else 50.0
        return self.value

    def push(self, bar: Bar) -> tuple[float, ...] | None:
        value = self.update(bar.close)
        return None if value is None else (value,)


class MacdState:
    """MACD line, signal and histogram; ``None`` until the signal line exists."""

    __slots__ = ("_fast", "_signal", "_slow", "value")

    def __init__(self, fast: int = 12, slow: int = 26, signal: int = 9) -> None:
        check_period(fast, "fast")
        check_period(slow, "slow")
        if fast >= slow:
            raise ValueError(f"expected fast < slow, was fast={fast}, slow={slow}")
        self._fast = EmaState(fast)
        self._slow = EmaState(slow)
        self._signal = EmaState(check_period(signal, "signal"))
        self.value: MacdValue | None = None

    def update(self, close: float) -> MacdValue | None:
        fast = self._fast.update(close)
        slow = self._slow.update(close)
        if fast is None or slow is None:
            return None
        line = fast - slow
        signal = self._signal.update(line)
        if signal is None:
            return None
        self.value = MacdValue(line, signal, line - signal)
        return self.value

    def push(self, bar: Bar) -> tuple[float, ...] | None:
        return self.update(bar.close)


class BollingerState:
    """SMA and ``k`` population standard deviations, from sums of deviations around a reference.

    The sums are kept around a reference price (the window's mean at the last re-summation), so
    ``E[d²] - E[d]²`` cancels few digits; every ``period`` updates they are recomputed exactly
    around a fresh reference, which keeps the work amortised O(1) and the error from drifting.
    """

    __slots__ = ("_k", "_period", "_reference", "_since_exact", "_sum", "_sum_squares", "_window", "value")

    def __init__(self, period: int = 20, k: float = 2.0) -> None:
        self._period = check_period(period)
        self._k = check_multiplier(k)
        self._window: deque[float] = deque(maxlen=period)
        self._reference = 0.0
        self._sum = 0.0
        self._sum_squares = 0.0
        self._since_exact = 0
        self.value: BollingerValue | None = None

    def _resum(self) -> None:
        window = self._window
        reference = math.fsum(window) / len(window)
        deviations = [value - reference for value in window]
        self._reference = reference
        self._sum = math.fsum(deviations)
        self._sum_squares = math.fsum(d * d for d in deviations)
        self._since_exact = 0

    def update(self, close: float) -> BollingerValue | None:
        window = self._window
        if not window:
            self._reference = _finite(close)
        reference = self._reference
        if len(window) == self._period:
            leaving = window[0] - reference
            self._sum -= leaving
            self._sum_squares -= leaving * leaving
        window.append(_finite(close))
        entering = close - reference
        self._sum += entering
        self._sum_squares += entering * entering
        self._since_exact += 1
        if self._since_exact == self._period:
            self._resum()
        if len(window) < self._period:
            return None
        mean = self._sum / self._period
        deviation = math.sqrt(max(self._sum_squares / self._period - mean * mean, 0.0))
        middle = self._reference + mean
        self.value = BollingerValue(middle, middle + self._k * deviation, middle - self._k * deviation)
        return self.value

    def push(self, bar: Bar) -> tuple[float, ...] | None:
        return self.update(bar.close)


class AtrState:
    """Wilder's average true range; the first candle's true range is ``high - low``."""

    __slots__ = ("_previous_close", "_smoother", "value")

    def __init__(self, period: int = 14) -> None:
        self._smoother = _Smoother(check_period(period), 1.0 / period)
        self._previous_close: float | None = None
        self.value: float | None = None

    def update(self, high: float, low: float, close: float) -> float | None:
        span = _finite(high) - _finite(low)
        previous = self._previous_close
        if previous is not None:
            span = max(span, abs(high - previous), abs(low - previous))
        self._previous_close = _finite(close)
        self.value = self._smoother.update(span)
        return self.value

    def push(self, bar: Bar) -> tuple[float, ...] | None:
        value = self.update(bar.high, bar.low, bar.close)
        return None if value is None else (value,)


class VwapState:
    """Volume-weighted typical price since the session began.

    With ``session_ms`` a candle whose ``open_time_ms`` falls in a new UTC session (a day is
    86 400 000) starts over, as ``candles.session_starts`` does for arrays; ``reset`` starts
    over by hand.
    """

    __slots__ = ("_session", "_session_ms", "_volume", "_weighted", "value")

    def __init__(self, session_ms: int | None = None) -> None:
        self._session_ms = None if session_ms is None else check_period(session_ms, "session_ms")
        self._session: int | None = None
        self._weighted = 0.0
        self._volume = 0.0
        self.value: float | None = None

    def reset(self) -> None:
        self._weighted = 0.0
        self._volume = 0.0
        self.value = None

    def update(
        self, high: float, low: float, close: float, volume: float, open_time_ms: int | None = None
    ) -> float | None:
        if _finite(volume) < 0:
            raise ValueError(f"expected a non-negative volume, was {volume}")
        if self._session_ms is not None and open_time_ms is not None:
            session = open_time_ms // self._session_ms
            if session != self._session:
                self._session = session
                self.reset()
        typical = (_finite(high) + _finite(low) + _finite(close)) / 3.0
        self._weighted += typical * volume
        self._volume += volume
        if self._volume > 0.0:
            self.value = self._weighted / self._volume
        return self.value

    def push(self, bar: Bar) -> tuple[float, ...] | None:
        value = self.update(bar.high, bar.low, bar.close, bar.volume, bar.open_time_ms)
        return None if value is None else (value,)


__all__ = [
    "AtrState",
    "Bar",
    "BarIndicator",
    "BollingerState",
    "BollingerValue",
    "EmaState",
    "MacdState",
    "MacdValue",
    "RsiState",
    "SmaState",
    "VwapState",
]
