"""The unit every price source produces: one 1-minute OHLCV candle, without a time of its own."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


class BadCandle(ValueError):
    """A candle whose prices contradict each other (high below open, a negative volume, ...)."""


@dataclass(frozen=True, slots=True)
class SourceCandle:
    """OHLCV of one minute; the simulator gives it a time when it places it on its timeline."""

    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal

    def __post_init__(self) -> None:
        if self.low <= 0:
            raise BadCandle(f"expected positive prices, was low={self.low}")
        if not (self.low <= min(self.open, self.close) and max(self.open, self.close) <= self.high):
            raise BadCandle(
                f"expected low <= open,close <= high, was o={self.open} h={self.high} "
                f"l={self.low} c={self.close}"
            )
        if self.volume < 0:
            raise BadCandle(f"expected a volume >= 0, was {self.volume}")
