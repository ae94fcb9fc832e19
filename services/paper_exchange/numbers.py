"""Exact decimal helpers: quantising to a tick or step and printing the way Binance prints."""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Decimal

ZERO = Decimal(0)
EIGHT_DP = Decimal("0.00000001")


def quantize(value: Decimal, increment: Decimal, rounding: str = ROUND_HALF_EVEN) -> Decimal:
    """Round ``value`` to a whole number of ``increment`` (a tick or a step), exactly."""
    units = (value / increment).to_integral_value(rounding=rounding)
    return (units * increment).quantize(increment)


def quantize_down(value: Decimal, increment: Decimal) -> Decimal:
    return quantize(value, increment, ROUND_DOWN)


def fmt(value: Decimal) -> str:
    """Binance's eight-decimal string form (``"23140.48000000"``)."""
    return f"{value:.8f}"
