"""Backtest speed: 1-minute candles per second for an RSI/SMA rule, beside backtesting.py.

The rule: buy with all the cash when RSI(14) < 45 and the close is above its SMA(50); sell when
RSI(14) > 60; 0.1 % fee each way. Ours runs end to end (indicators, signals, ledger, curve) over
the March 2023 BTCUSDT file repeated to about a million candles (each copy scaled to start where
the last ended), best of three; backtesting.py runs the same strategy once over the file itself,
since its per-bar Python loop would take minutes on a million. On the file both engines must
make the same trades, which the table reports. Without the file, a seeded random walk stands in.
"""

from __future__ import annotations

import csv
import time
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import numpy as np

from cryptopulse.bench.feed import REFERENCE_CANDLES
from services.agent.backtest.engine import Settings, run_backtest
from services.agent.backtest.result import BacktestResult
from services.agent.backtest.rule import BacktestRule, ExitPolicy, Sizing
from services.agent.indicators.candles import CandleArrays
from services.agent.parser.model import Condition, Series
from shared.domain.intervals import Interval

SYMBOL = "BTC/USDT"
TARGET_CANDLES = 1_000_000
SYNTHETIC_CANDLES = 30_240
"""Three weeks of minutes, as many as the March file holds."""
CASH = Decimal(10_000)
FEE = Decimal("0.001")
RSI_PERIOD, SMA_PERIOD, BUY_BELOW, SELL_ABOVE = 14, 50, 45, 60
MINUTE_MS = 60_000


def rule() -> BacktestRule:
    def rsi(op: str, level: int) -> Condition:
        return Condition(
            indicator="rsi", symbol=SYMBOL, period=RSI_PERIOD, interval="1m", op=op, value=Decimal(level)
        )

    sma = Series(indicator="sma", symbol=SYMBOL, period=SMA_PERIOD, interval="1m")
    above = Condition(indicator="price", symbol=SYMBOL, op=">", value=sma)
    return BacktestRule(
        (rsi("<", BUY_BELOW), above), Sizing(cash_fraction=Decimal(1)), ExitPolicy((rsi(">", SELL_ABOVE),))
    )


def read_candles(path: Path) -> CandleArrays:
    """A Binance kline CSV (``open_time,open,high,low,close,volume``) as float columns."""
    with path.open(newline="") as source:
        rows = list(csv.DictReader(source))
    times = np.array([int(datetime.fromisoformat(r["open_time"]).timestamp() * 1000) for r in rows])

    def column(name: str) -> np.typing.NDArray[np.float64]:
        return np.array([float(r[name]) for r in rows], dtype=np.float64)

    return CandleArrays(
        times.astype(np.int64),
        column("open"),
        column("high"),
        column("low"),
        column("close"),
        column("volume"),
    )


def synthetic_candles(count: int = SYNTHETIC_CANDLES, seed: int = 2023) -> CandleArrays:
    """A seeded geometric random walk around 23 000 with cent prices."""
    rng = np.random.default_rng(seed)
    close = np.round(23_000 * np.exp(np.cumsum(rng.normal(0, 0.0008, count))), 2)
    opens = np.round(np.concatenate(([23_000.0], close[:-1])) * (1 + rng.normal(0, 0.0002, count)), 2)
    times = 1_677_628_800_000 + MINUTE_MS * np.arange(count, dtype=np.int64)
    return CandleArrays(
        times, opens, np.maximum(opens, close) + 1, np.minimum(opens, close) - 1, close, np.ones(count)
    )


def repeat_candles(candles: CandleArrays, at_least: int) -> CandleArrays:
    """``candles`` copied end to end until there are ``at_least``: each copy scaled so it opens at
    the previous copy's last close, and every copy on the following minutes."""
    size = len(candles)
    copies = max(1, -(-at_least // size))
    step = float(candles.close[-1] / candles.open[0])
    scale = np.repeat(step ** np.arange(copies, dtype=np.float64), size)

    def tiled(column: np.typing.NDArray[np.float64]) -> np.typing.NDArray[np.float64]:
        out: np.typing.NDArray[np.float64] = np.tile(column, copies) * scale
        return out

    times = candles.open_time_ms[0] + MINUTE_MS * np.arange(size * copies, dtype=np.int64)
    return CandleArrays(
        times,
        tiled(candles.open),
        tiled(candles.high),
        tiled(candles.low),
        tiled(candles.close),
        np.tile(candles.volume, copies),
    )


@dataclass(frozen=True, slots=True)
class BacktestBench:
    source: str
    ours_candles: int
    ours_seconds: float
    peer_candles: int
    peer_seconds: float
    trades: int
    """Closed trades of ours on the file (the peer's run)."""
    same_trades: bool
    ours_equity: float
    peer_equity: float

    @property
    def ours_rate(self) -> float:
        return self.ours_candles / self.ours_seconds

    @property
    def peer_rate(self) -> float:
        return self.peer_candles / self.peer_seconds

    @property
    def ratio(self) -> float:
        return self.ours_rate / self.peer_rate


def verdict(result: BacktestBench) -> str:
    target = "Target: faster than backtesting.py on the same strategy"
    if result.ratio > 1:
        return f"{target}: **met**, {result.ratio:,.1f} times its rate."
    return f"{target}: **missed**, {result.ratio:.2f} times its rate."


def backtest_table(result: BacktestBench) -> str:
    """The Markdown block: both rates, the ratio, the agreement, and the verdict."""
    agreement = "identical" if result.same_trades else "**different**"
    return "\n".join(
        [
            "| engine | candles | seconds | 1m candles/s | vs backtesting.py |",
            "|---|---:|---:|---:|---:|",
            f"| CryptoPulse backtest (vectorised signals, Decimal ledger) | {result.ours_candles:,} "
            f"| {result.ours_seconds:.3f} | {result.ours_rate:,.0f} | {result.ratio:,.1f} |",
            f"| backtesting.py 0.6 (FractionalBacktest) | {result.peer_candles:,} "
            f"| {result.peer_seconds:.3f} | {result.peer_rate:,.0f} | 1.0 |",
            "",
            f"Candles: {result.source}. Rule: RSI({RSI_PERIOD}) < {BUY_BELOW} and close > SMA({SMA_PERIOD}) "
            f"→ buy with all the cash; RSI > {SELL_ABOVE} → sell; fee {float(FEE) * 100:g}% a side, "
            "next-open fills.",
            f"On the file both engines make {result.trades:,} round trips, {agreement}; final equity "
            f"{result.ours_equity:,.2f} vs {result.peer_equity:,.2f}.",
            "",
            verdict(result),
        ]
    )


def _time_ours(candles: CandleArrays, runs: int = 3) -> tuple[float, BacktestResult]:
    best, result = float("inf"), None
    settings = Settings(cash=CASH)
    for _ in range(runs):
        started = time.perf_counter()
        result = run_backtest(candles, rule(), SYMBOL, Interval.M1, settings)
        best = min(best, time.perf_counter() - started)
    assert result is not None
    return best, result


def run_backtest_benchmark(path: Path = REFERENCE_CANDLES, at_least: int = TARGET_CANDLES) -> BacktestBench:
    from cryptopulse.bench.backtest_peer import run_peer  # pandas: only when the benchmark runs

    if path.is_file():
        base, source = read_candles(path), f"Binance BTCUSDT 1m, {path.name}"
    else:
        base, source = synthetic_candles(), "a seeded random walk (the March 2023 file is absent)"
    big = repeat_candles(base, at_least)
    ours_seconds, _ = _time_ours(big)
    _, on_file = _time_ours(base, runs=1)
    peer = run_peer(
        base,
        cash=float(CASH),
        commission=float(FEE),
        sma_period=SMA_PERIOD,
        rsi_period=RSI_PERIOD,
        buy_below=BUY_BELOW,
        sell_above=SELL_ABOVE,
    )
    closed = [(t.entry_index, t.exit_index) for t in on_file.trades if t.closed]
    return BacktestBench(
        source=f"{source} ({len(base):,} candles{'' if len(big) == len(base) else ', repeated for ours'})",
        ours_candles=len(big),
        ours_seconds=ours_seconds,
        peer_candles=len(base),
        peer_seconds=peer.seconds,
        trades=len(closed),
        same_trades=closed == list(peer.trades),
        ours_equity=float(on_file.final_equity),
        peer_equity=peer.final_equity,
    )


__all__ = [
    "BacktestBench",
    "backtest_table",
    "read_candles",
    "repeat_candles",
    "rule",
    "run_backtest_benchmark",
    "synthetic_candles",
    "verdict",
]
