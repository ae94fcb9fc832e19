"""What the copilot reads of the market: recent candles, a price with 24h statistics, a summary.

``MarketReader`` is what ``shared.db.repositories.candles.CandleRepository`` already offers, so
the repository plugs in as it is and tests pass an in-memory list. Indicator values are float
analytics (see ``indicators.candles``); prices and volumes stay exact Decimals.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from services.agent.indicators.candles import candle_arrays
from services.agent.indicators.spec import IndicatorSpec
from shared.messages.market import Candle

SUMMARY_INTERVAL = "1h"
SUMMARY_CANDLES = 200
"""Enough 1h candles for SMA(50) and a settled RSI(14) (Wilder's smoothing needs a long run-in)."""


class MarketReader(Protocol):
    async def recent(
        self, venue: str, symbol: str, interval: str, limit: int, end: datetime | None = None
    ) -> list[Candle]: ...


class NoMarketData(LookupError):
    """No stored candles for a market: say so rather than invent a price."""


@dataclass(frozen=True, slots=True)
class PriceStats:
    """The last close and the statistics of the last 24 hourly candles (exact decimals)."""

    symbol: str
    price: Decimal
    as_of: datetime
    open_24h: Decimal
    high_24h: Decimal
    low_24h: Decimal
    volume_24h: Decimal

    @property
    def change_pct(self) -> Decimal:
        return ((self.price - self.open_24h) / self.open_24h * 100).quantize(Decimal("0.01"))


@dataclass(frozen=True, slots=True)
class Summary:
    """RSI(14) and SMA(20/50) on one interval; None where the history is too short."""

    interval: str
    candles: int
    rsi14: float | None
    sma20: float | None
    sma50: float | None

    @property
    def trend(self) -> str:
        if self.sma20 is None or self.sma50 is None:
            return "unknown (too little history)"
        if self.sma20 > self.sma50:
            return "up (SMA20 above SMA50)"
        if self.sma20 < self.sma50:
            return "down (SMA20 below SMA50)"
        return "flat"

    @property
    def rsi_reading(self) -> str:
        if self.rsi14 is None:
            return "unknown (too little history)"
        if self.rsi14 < 30:
            return "oversold"
        if self.rsi14 > 70:
            return "overbought"
        return "neutral"


async def price_stats(market: MarketReader, venue: str, symbol: str) -> PriceStats:
    """Return the last 1m close and the 24h statistics from hourly candles."""
    last = await market.recent(venue, symbol, "1m", 1)
    day = await market.recent(venue, symbol, "1h", 24)
    if not last and not day:
        raise NoMarketData(f"no candles stored for {symbol} on {venue}")
    newest = last[-1] if last else day[-1]
    window = day or last
    return PriceStats(
        symbol=newest.symbol,
        price=newest.close,
        as_of=newest.close_time,
        open_24h=window[0].open,
        high_24h=max(c.high for c in window),
        low_24h=min(c.low for c in window),
        volume_24h=sum((c.volume for c in day), Decimal(0)),
    )


def last_value(spec: IndicatorSpec, candles: list[Candle], output: str | None = None) -> float | None:
    """Return the newest value of ``spec``'s ``output`` (its first by default), None while warming up."""
    if not candles:
        return None
    values = spec.compute(candle_arrays(candles))[output or spec.outputs[0]]
    value = float(values[-1])
    return None if math.isnan(value) else value


async def summary(market: MarketReader, venue: str, symbol: str, interval: str = SUMMARY_INTERVAL) -> Summary:
    """Return RSI(14) and SMA(20/50) over the last ``SUMMARY_CANDLES`` candles of ``interval``."""
    candles = await market.recent(venue, symbol, interval, SUMMARY_CANDLES)
    if not candles:
        raise NoMarketData(f"no {interval} candles stored for {symbol} on {venue}")
    return Summary(
        interval=interval,
        candles=len(candles),
        rsi14=last_value(IndicatorSpec.of("rsi", period=14), candles),
        sma20=last_value(IndicatorSpec.of("sma", period=20), candles),
        sma50=last_value(IndicatorSpec.of("sma", period=50), candles),
    )


def describe(stats: PriceStats, outlook: Summary | None) -> str:
    """Plain text for a trader: price, 24h move and range, then the indicator reading."""
    lines = [
        f"{stats.symbol}: {stats.price} (24h {stats.change_pct:+}%, "
        f"range {stats.low_24h} to {stats.high_24h}, volume {stats.volume_24h})"
    ]
    if outlook is not None:
        rsi = "n/a" if outlook.rsi14 is None else f"{outlook.rsi14:.1f}"
        lines.append(
            f"{outlook.interval} chart: RSI(14) {rsi} ({outlook.rsi_reading}); trend {outlook.trend}."
        )
    return "\n".join(lines)
