"""The backtest itself: long-only spot, cash constrained, filled on the next candle's open.

Timing (no look-ahead): every signal is read at a candle's close, and the order it causes
fills at the *next* candle's open; a signal on the last candle trades nothing. The position
is held from its fill's candle on, so exits are read from that candle's close.

Arithmetic: the per-candle work (indicators, signals, the equity curve, the drawdown) is
float64 and vectorised; the ledger (sizes, fills, fees, cash, P&L) is exact ``Decimal``,
because it runs once per trade, not per candle, and costs a few microseconds a trade. Prices
enter the ledger as ``Decimal(repr(x))``: a float64 converted from a decimal of at most 15
significant digits (every price a venue quotes) prints back as that same decimal, so fills
are the candles' own prices. Money is reported rounded to 1e-8 (``result.QUOTE_PLACES``).
The float equity curve agrees with the ledger to about 1e-15 relative.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal, localcontext

import numpy as np

from services.agent.backtest.curve import DEFAULT_CURVE_POINTS, downsample, max_drawdown
from services.agent.backtest.result import BacktestResult, EquityPoint, ExitReason, Trade, money
from services.agent.backtest.rule import BacktestRule, Costs, ExitPolicy, Sizing
from services.agent.backtest.signals import BoolArray, evaluate
from services.agent.indicators.candles import CandleArrays
from services.agent.indicators.types import FloatArray, IndexArray
from shared.domain.intervals import Interval
from shared.messages.base import from_ms

DEFAULT_CASH = Decimal(10_000)
DEFAULT_QUANTITY_STEP = Decimal("0.00000001")
"""Quantities are rounded down to this step; Binance's steps are this fine or coarser."""

_SCAN_START = 64
_PRECISION = 60
"""Digits for the ledger: price * quantity * (1 + fee) never needs more, so it stays exact."""


def _decimal(value: float) -> Decimal:
    return Decimal(repr(value))


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything about a run that is not the rule: money, costs, rounding, the chart's size."""

    cash: Decimal = DEFAULT_CASH
    costs: Costs = field(default_factory=Costs)
    quantity_step: Decimal = DEFAULT_QUANTITY_STEP
    curve_points: int = DEFAULT_CURVE_POINTS

    def __post_init__(self) -> None:
        if self.cash <= 0:
            raise ValueError(f"expected positive starting cash, was {self.cash}")
        if self.quantity_step <= 0:
            raise ValueError(f"expected a positive quantity step, was {self.quantity_step}")


def _first_hit(close: FloatArray, start: int, stop: int, low: float, high: float) -> int | None:
    """First index in ``[start, stop]`` whose close is ``<= low`` or ``>= high``.

    Scans windows that double in size, so the work is proportional to how long the position
    is held, not to how far the other exits are.
    """
    size = _SCAN_START
    while start <= stop:
        end = min(stop + 1, start + size)
        window = close[start:end]
        hits = (window <= low) | (window >= high)
        if hits.any():
            return start + int(np.argmax(hits))
        start, size = end, size * 2
    return None


class _Ledger:
    """Cash, the open position and the closed trades, in exact decimals."""

    def __init__(self, candles: CandleArrays, settings: Settings) -> None:
        self.candles = candles
        self.settings = settings
        costs = settings.costs
        self.fee = costs.fee
        self.up = 1 + costs.slippage_bps / 10_000
        self.down = 1 - costs.slippage_bps / 10_000
        self.cash = settings.cash
        self.trades: list[Trade] = []
        self.states: list[tuple[int, float, float]] = [(0, float(settings.cash), 0.0)]
        """(first candle, cash, quantity): the account from that candle's close on."""

    def quantity(self, sizing: Sizing, price: Decimal) -> Decimal:
        step = self.settings.quantity_step
        if sizing.amount is not None:
            raw = sizing.amount
        elif sizing.quote_amount is not None:
            raw = sizing.quote_amount / price
        else:
            assert sizing.cash_fraction is not None
            raw = self.cash * sizing.cash_fraction / (price * (1 + self.fee))
        return (raw / step).to_integral_value(rounding=ROUND_DOWN) * step

    def buy(self, index: int, sizing: Sizing) -> tuple[Decimal, Decimal, Decimal] | None:
        """Fill at ``index``'s open: (price, quantity, cost with fee), or None if cash falls short."""
        price = _decimal(float(self.candles.open[index])) * self.up
        quantity = self.quantity(sizing, price)
        cost = quantity * price * (1 + self.fee)
        if quantity <= 0 or cost > self.cash:
            return None
        self.cash -= cost
        self.states.append((index, float(self.cash), float(quantity)))
        return price, quantity, cost

    def close(
        self, entry: int, bought: tuple[Decimal, Decimal, Decimal], exit_at: int | None, reason: ExitReason
    ) -> None:
        """Sell at ``exit_at``'s open, or (``None``) mark at the last close without selling."""
        price, quantity, cost = bought
        times = self.candles.open_time_ms
        if exit_at is None:
            mark = _decimal(float(self.candles.close[-1]))
            value, fees, exit_time = quantity * mark, cost - quantity * price, None
        else:
            mark = _decimal(float(self.candles.open[exit_at])) * self.down
            proceeds = quantity * mark
            value = proceeds * (1 - self.fee)
            fees = cost - quantity * price + proceeds * self.fee
            exit_time = from_ms(int(times[exit_at]))
            self.cash += value
            self.states.append((exit_at, float(self.cash), 0.0))
        self.trades.append(
            Trade(
                entry,
                from_ms(int(times[entry])),
                price,
                quantity,
                exit_at,
                exit_time,
                mark,
                money(fees),
                money(value - cost),
                reason,
            )
        )
        if exit_at is None:
            self.cash += value  # the mark counts in the final equity, after the trade is booked

    def equity(self) -> FloatArray:
        starts = np.array([s[0] for s in self.states], dtype=np.int64)
        cash = np.array([s[1] for s in self.states], dtype=np.float64)
        held = np.array([s[2] for s in self.states], dtype=np.float64)
        state = np.searchsorted(starts, np.arange(len(self.candles)), side="right") - 1
        result: FloatArray = cash[state] + held[state] * self.candles.close
        return result


def _exit(
    candles: CandleArrays, exits: IndexArray, policy: ExitPolicy, fill: int, price: Decimal
) -> tuple[int, ExitReason] | None:
    """The close at which the position filled at ``fill`` decides to leave, and why."""
    last = len(candles) - 1
    found: list[tuple[int, ExitReason]] = []
    at = int(np.searchsorted(exits, fill))
    if at < exits.size:
        found.append((int(exits[at]), ExitReason.CONDITIONS))
    if policy.hold_candles is not None:
        found.append((fill + policy.hold_candles - 1, ExitReason.HOLD))
    if policy.take_profit is not None or policy.stop_loss is not None:
        stop = min([last, *(index for index, _ in found)])
        high = float(price * (1 + policy.take_profit)) if policy.take_profit is not None else np.inf
        low = float(price * (1 - policy.stop_loss)) if policy.stop_loss is not None else -np.inf
        hit = _first_hit(candles.close, fill, stop, low, high)
        if hit is not None:
            found.append((hit, ExitReason.STOP_LOSS if candles.close[hit] <= low else ExitReason.TAKE_PROFIT))
    decided = [(index, reason) for index, reason in found if index < last]
    return min(decided, key=lambda item: item[0]) if decided else None


def simulate(
    candles: CandleArrays,
    entry: BoolArray,
    exit_signal: BoolArray | None,
    sizing: Sizing,
    policy: ExitPolicy,
    settings: Settings,
) -> BacktestResult:
    """Trade precomputed signals (one boolean per candle) under ``policy``; see the module."""
    count = len(candles)
    if entry.shape != (count,) or (exit_signal is not None and exit_signal.shape != (count,)):
        raise ValueError(f"expected one signal per candle ({count})")
    entries = np.flatnonzero(entry[: max(count - 1, 0)])
    exits = np.flatnonzero(exit_signal) if exit_signal is not None else np.zeros(0, dtype=np.int64)
    ledger = _Ledger(candles, settings)
    skipped, looking_from = 0, 0
    with localcontext() as context:
        context.prec = _PRECISION
        while (at := int(np.searchsorted(entries, looking_from))) < entries.size:
            fill = int(entries[at]) + 1
            bought = ledger.buy(fill, sizing)
            if bought is None:
                skipped, looking_from = skipped + 1, fill
                continue
            decided = _exit(candles, exits, policy, fill, bought[0])
            if decided is None:
                ledger.close(fill, bought, None, ExitReason.OPEN)
                break
            ledger.close(fill, bought, decided[0] + 1, decided[1])
            looking_from = decided[0] + 1
        final = ledger.cash
        total_return = float(final / settings.cash - 1)
    equity = ledger.equity()
    times = candles.open_time_ms
    curve = tuple(
        EquityPoint(from_ms(int(times[i])), float(equity[i]))
        for i in downsample(equity, settings.curve_points).tolist()
    )
    return BacktestResult(
        candles=count,
        initial_cash=settings.cash,
        final_equity=money(final),
        total_return=total_return,
        max_drawdown=max_drawdown(equity),
        trades=tuple(ledger.trades),
        skipped_entries=skipped,
        equity_curve=curve,
    )


def run_backtest(
    candles: CandleArrays,
    rule: BacktestRule,
    symbol: str,
    interval: Interval,
    settings: Settings | None = None,
) -> BacktestResult:
    """Backtest ``rule`` over ``candles`` of ``symbol`` on ``interval`` (oldest first)."""
    entry = evaluate(rule.entry, candles, symbol, interval)
    exit_signal = evaluate(rule.exit.conditions, candles, symbol, interval) if rule.exit.conditions else None
    return simulate(candles, entry, exit_signal, rule.sizing, rule.exit, settings or Settings())


__all__ = ["DEFAULT_CASH", "DEFAULT_QUANTITY_STEP", "Settings", "run_backtest", "simulate"]
