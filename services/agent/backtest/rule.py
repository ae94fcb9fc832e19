"""What a backtest trades: entry conditions, a size, an exit policy and the venue's costs.

A parsed ``conditional_order`` is a one-shot order: it buys once when its conditions hold. A
backtest of it alone is one trade held to the end, so the exit policy is the backtest's own,
and every part of it is optional:

- ``conditions``: leave on the close where all of them hold (e.g. ``RSI > 70``);
- ``take_profit``/``stop_loss``: leave on the close at or beyond ``entry * (1 ± fraction)``.
  Read at closes like every other signal, not as resting stop orders inside a candle, because
  candles do not say whether the high or the low came first;
- ``hold_candles``: leave after holding that many candles.

The first of them to trigger wins; the default (none) holds the position to the end, where it
is marked at the last close. One position at a time (long-only spot, no pyramiding): entry
signals while holding are ignored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from services.agent.parser.model import Condition, OrderCommand
from shared.domain.enums import OrderSide, OrderType

BINANCE_SPOT_FEE = Decimal("0.001")
"""Binance spot's base taker fee, 0.1 % of the notional."""


@dataclass(frozen=True, slots=True)
class Sizing:
    """Exactly one of: a base quantity, a quote notional, or a fraction of the cash at fill time.

    The fee comes on top of the notional. A fraction spends ``cash * fraction`` fee included.
    """

    amount: Decimal | None = None
    quote_amount: Decimal | None = None
    cash_fraction: Decimal | None = None

    def __post_init__(self) -> None:
        given = [v for v in (self.amount, self.quote_amount, self.cash_fraction) if v is not None]
        if len(given) != 1:
            raise ValueError("expected exactly one of amount, quote_amount or cash_fraction")
        if given[0] <= 0:
            raise ValueError(f"expected a positive size, was {given[0]}")
        if self.cash_fraction is not None and self.cash_fraction > 1:
            raise ValueError(f"expected a cash fraction of at most 1 (no margin), was {self.cash_fraction}")


@dataclass(frozen=True, slots=True)
class ExitPolicy:
    """When a position is closed; see the module docstring. Fractions, e.g. ``Decimal("0.05")``."""

    conditions: tuple[Condition, ...] = ()
    take_profit: Decimal | None = None
    stop_loss: Decimal | None = None
    hold_candles: int | None = None

    def __post_init__(self) -> None:
        if self.take_profit is not None and self.take_profit <= 0:
            raise ValueError(f"expected a positive take-profit fraction, was {self.take_profit}")
        if self.stop_loss is not None and not 0 < self.stop_loss < 1:
            raise ValueError(f"expected a stop-loss fraction in (0, 1), was {self.stop_loss}")
        if self.hold_candles is not None and self.hold_candles < 1:
            raise ValueError(f"expected hold_candles >= 1, was {self.hold_candles}")


@dataclass(frozen=True, slots=True)
class Costs:
    """Fee as a fraction of the notional, paid in the quote asset; slippage in basis points.

    Slippage moves every fill against the trader: buys at ``open * (1 + bps / 10 000)``, sells
    at ``open * (1 - bps / 10 000)``.
    """

    fee: Decimal = BINANCE_SPOT_FEE
    slippage_bps: Decimal = Decimal(0)

    def __post_init__(self) -> None:
        if not 0 <= self.fee < 1:
            raise ValueError(f"expected a fee fraction in [0, 1), was {self.fee}")
        if not 0 <= self.slippage_bps < 10_000:
            raise ValueError(f"expected slippage in [0, 10000) bps, was {self.slippage_bps}")


@dataclass(frozen=True, slots=True)
class BacktestRule:
    """Buy ``sizing`` on the open after the close where every entry condition holds."""

    entry: tuple[Condition, ...]
    sizing: Sizing
    exit: ExitPolicy = field(default_factory=ExitPolicy)

    def __post_init__(self) -> None:
        if not self.entry:
            raise ValueError("expected at least one entry condition")

    @classmethod
    def from_command(cls, command: OrderCommand, exit_policy: ExitPolicy | None = None) -> BacktestRule:
        """The rule a parsed conditional market buy stands for; anything else is refused with why."""
        if command.kind != "conditional_order":
            raise ValueError("only a conditional order (a rule with conditions) can be backtested")
        if command.side is not OrderSide.BUY:
            raise ValueError("only buy rules can be backtested: the backtest is long-only spot")
        if command.order_type is not OrderType.MARKET:
            raise ValueError("only market orders can be backtested: a limit may never fill")
        sizing = Sizing(amount=command.amount, quote_amount=command.quote_amount)
        return cls(command.conditions, sizing, exit_policy or ExitPolicy())


__all__ = ["BINANCE_SPOT_FEE", "BacktestRule", "Costs", "ExitPolicy", "Sizing"]
