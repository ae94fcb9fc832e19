"""The equity curve's analytics: its drawdown, and a short version of it for charts."""

from __future__ import annotations

import numpy as np

from services.agent.indicators.types import FloatArray, IndexArray

DEFAULT_CURVE_POINTS = 500
"""A chart a few hundred pixels wide shows no more; a month of minutes is 43 200 candles."""


def max_drawdown(equity: FloatArray) -> float:
    """The largest fall from a running peak, as a fraction of that peak (0.25 = 25 %); 0 if none."""
    if equity.size == 0:
        return 0.0
    peaks = np.maximum.accumulate(equity)
    return float(np.max(1.0 - equity / peaks))


def downsample(equity: FloatArray, points: int = DEFAULT_CURVE_POINTS) -> IndexArray:
    """Indices of at most ``points`` candles to chart, oldest first.

    The curve is cut into ``points // 2`` equal runs and each run keeps its lowest and highest
    point, so the chart shows every trough and peak the full curve has (a stride sample could
    step over the worst trough). The first and last candles are always kept. The drawdown is
    computed on the full curve, never on the sample.
    """
    if points < 4:
        raise ValueError(f"expected at least 4 points, was {points}")
    count = equity.size
    if count <= points:
        return np.arange(count, dtype=np.int64)
    runs = (points - 2) // 2
    bounds = np.linspace(0, count, runs + 1).astype(np.int64)
    kept = {0, count - 1}
    for begin, end in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True):
        run = equity[begin:end]
        kept.add(begin + int(np.argmin(run)))
        kept.add(begin + int(np.argmax(run)))
    return np.array(sorted(kept), dtype=np.int64)


__all__ = ["DEFAULT_CURVE_POINTS", "downsample", "max_drawdown"]
