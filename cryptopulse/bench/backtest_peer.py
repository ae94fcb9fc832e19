"""The same RSI/SMA strategy in backtesting.py, the benchmark's peer and the engine's cross-check.

Configured to match ours: market orders fill at the next bar's open (its default, no
``trade_on_close``), the commission is a fraction of the notional charged at entry and at exit,
positions take all the cash (its default size), and ``FractionalBacktest`` trades units of 1e-8
as our default quantity step does. Both engines read the same indicator arrays (ours), so a
difference is the engines', not the indicators'.

One difference remains by design: backtesting.py first calls ``next()`` one bar after the
longest warm-up (``start = 1 + warmup``), so a signal on the very first bar where every
indicator is defined is ours alone. Comparisons check that bar carries no signal.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd  # type: ignore[import-untyped]
from backtesting import Strategy  # type: ignore[import-untyped]
from backtesting.lib import FractionalBacktest  # type: ignore[import-untyped]

from services.agent.indicators import series
from services.agent.indicators.candles import CandleArrays


class RsiSma(Strategy):  # type: ignore[misc]
    """Buy when RSI < ``buy_below`` (and, with ``sma_period``, the close is above its SMA);
    sell everything when RSI > ``sell_above``."""

    rsi_period = 14
    buy_below = 30.0
    sell_above = 70.0
    sma_period = 0

    def init(self) -> None:
        close = np.asarray(self.data.Close, dtype=np.float64)
        self.rsi = self.I(series.rsi, close, self.rsi_period, name="rsi")
        self.sma = self.I(series.sma, close, self.sma_period, name="sma") if self.sma_period else None

    def next(self) -> None:
        if not self.position:
            above = self.sma is None or self.data.Close[-1] > self.sma[-1]
            if self.rsi[-1] < self.buy_below and above:
                self.buy()
        elif self.rsi[-1] > self.sell_above:
            self.position.close()


@dataclass(frozen=True, slots=True)
class PeerResult:
    trades: tuple[tuple[int, int], ...]
    """(entry bar, exit bar) of each closed trade."""
    open_entry: int | None
    final_equity: float
    seconds: float
    """The run alone, not building the frame."""


def frame(candles: CandleArrays) -> Any:
    """The OHLCV frame backtesting.py reads, indexed by open time."""
    return pd.DataFrame(
        {
            "Open": candles.open,
            "High": candles.high,
            "Low": candles.low,
            "Close": candles.close,
            "Volume": candles.volume,
        },
        index=pd.to_datetime(candles.open_time_ms, unit="ms", utc=True),
    )


def run_peer(
    candles: CandleArrays, *, cash: float, commission: float, sma_period: int = 0, **params: float
) -> PeerResult:
    """Run ``RsiSma`` in backtesting.py over ``candles``; ``params`` override its thresholds."""
    test = FractionalBacktest(frame(candles), RsiSma, cash=cash, commission=commission, fractional_unit=1e-8)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "some trades remain open": that is expected, and compared
        started = time.perf_counter()
        stats = test.run(sma_period=sma_period, **params)
        seconds = time.perf_counter() - started
    trades = stats["_trades"]
    still_open = stats["_strategy"].trades
    return PeerResult(
        tuple(zip(trades["EntryBar"].tolist(), trades["ExitBar"].tolist(), strict=True)),
        int(still_open[0].entry_bar) if still_open else None,
        float(stats["Equity Final [$]"]),
        seconds,
    )


__all__ = ["PeerResult", "RsiSma", "frame", "run_peer"]
