"""What a backtest returns: money as exact decimals, ratios as floats, a chartable curve."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal
from enum import StrEnum

QUOTE_PLACES = Decimal("0.00000001")
"""Reported money is rounded half-even to 1e-8 of the quote asset (a satoshi for BTC quotes):
finer than any venue books, so each figure is within 5e-9 of the exact ledger value."""


def money(value: Decimal) -> Decimal:
    return value.quantize(QUOTE_PLACES, rounding=ROUND_HALF_EVEN)


class ExitReason(StrEnum):
    CONDITIONS = "conditions"
    TAKE_PROFIT = "take_profit"
    STOP_LOSS = "stop_loss"
    HOLD = "hold"
    OPEN = "open"
    """Still held at the end: marked at the last close, no exit fee."""


@dataclass(frozen=True, slots=True)
class Trade:
    """One round trip. Prices are fills (slippage included); ``fees`` and ``pnl`` are in quote.

    While open, ``exit_price`` is the last close it is marked at and ``pnl`` is unrealised.
    """

    entry_index: int
    entry_time: datetime
    entry_price: Decimal
    quantity: Decimal
    exit_index: int | None
    exit_time: datetime | None
    exit_price: Decimal
    fees: Decimal
    pnl: Decimal
    exit_reason: ExitReason

    @property
    def closed(self) -> bool:
        return self.exit_reason is not ExitReason.OPEN


@dataclass(frozen=True, slots=True)
class EquityPoint:
    time: datetime
    equity: float


@dataclass(frozen=True, slots=True)
class BacktestResult:
    """The figures the agent shows. ``equity_curve`` is a sample (``curve.downsample``);
    ``max_drawdown`` and ``total_return`` come from the full run."""

    candles: int
    initial_cash: Decimal
    final_equity: Decimal
    total_return: float
    max_drawdown: float
    trades: tuple[Trade, ...]
    skipped_entries: int
    """Entry signals that found too little cash for the size (a venue would reject the order)."""
    equity_curve: tuple[EquityPoint, ...]

    @property
    def trade_count(self) -> int:
        return len(self.trades)

    @property
    def win_rate(self) -> float | None:
        """Share of closed trades with a positive P&L after fees; None before any closes."""
        closed = [t for t in self.trades if t.closed]
        if not closed:
            return None
        return sum(1 for t in closed if t.pnl > 0) / len(closed)


__all__ = ["QUOTE_PLACES", "BacktestResult", "EquityPoint", "ExitReason", "Trade", "money"]
