"""Read-only market tools: price with 24h statistics, recent candles, an indicator's latest values."""

from __future__ import annotations

from collections.abc import Collection

from pydantic import Field

from services.agent.graph.tools import GraphTool, JsonValue, Refused, Tool, ToolArgs, ToolResult, ToolScope
from services.agent.indicators.spec import IndicatorSpec
from services.agent.market import MarketReader, NoMarketData, last_value, price_stats
from shared.domain.intervals import Interval
from shared.domain.symbols import Symbol

MAX_CANDLES = 200
"""Candles one call returns: enough to reason about, small enough for a model's context."""

INDICATOR_HISTORY = 500


def require_known(symbol: str, symbols: Collection[str]) -> str:
    """Return ``symbol`` if the copilot trades it, else refuse (an unknown or made-up market)."""
    if symbol not in symbols:
        raise Refused(f"unknown symbol {symbol}; known: {', '.join(sorted(symbols))}")
    return symbol


class PriceArgs(ToolArgs):
    symbol: Symbol = Field(description="Market as BASE/QUOTE, e.g. BTC/USDT.")


class CandlesArgs(ToolArgs):
    symbol: Symbol = Field(description="Market as BASE/QUOTE, e.g. BTC/USDT.")
    interval: Interval = Field(description="Candle interval, e.g. 1m, 1h, 1d.")
    limit: int = Field(50, ge=1, le=MAX_CANDLES, description="How many of the latest closed candles.")


class IndicatorArgs(ToolArgs):
    symbol: Symbol = Field(description="Market as BASE/QUOTE, e.g. BTC/USDT.")
    interval: Interval = Field(description="Candle interval, e.g. 1h.")
    name: str = Field(max_length=20, description="sma, ema, rsi, macd, bollinger, atr or vwap.")
    params: dict[str, int | float] = Field(
        default_factory=dict, description='Overrides of the defaults, e.g. {"period": 14}.'
    )


def market_tools(market: MarketReader, venue: str, symbols: Collection[str]) -> list[GraphTool]:
    """Return the price, candles and indicator tools over ``market``."""

    async def price(args: PriceArgs, _: ToolScope) -> ToolResult:
        symbol = require_known(args.symbol, symbols)
        try:
            stats = await price_stats(market, venue, symbol)
        except NoMarketData as e:
            raise Refused(str(e)) from e
        return ToolResult(
            {
                "symbol": symbol,
                "price": str(stats.price),
                "as_of": stats.as_of.isoformat(),
                "change_24h_pct": str(stats.change_pct),
                "high_24h": str(stats.high_24h),
                "low_24h": str(stats.low_24h),
                "volume_24h": str(stats.volume_24h),
            }
        )

    async def candles(args: CandlesArgs, _: ToolScope) -> ToolResult:
        symbol = require_known(args.symbol, symbols)
        rows = await market.recent(venue, symbol, str(args.interval), args.limit)
        columns: list[JsonValue] = ["open_time", "open", "high", "low", "close", "volume"]
        data: list[JsonValue] = [
            [c.open_time.isoformat(), str(c.open), str(c.high), str(c.low), str(c.close), str(c.volume)]
            for c in rows
        ]
        return ToolResult(
            {"symbol": symbol, "interval": str(args.interval), "columns": columns, "rows": data}
        )

    async def indicator(args: IndicatorArgs, _: ToolScope) -> ToolResult:
        symbol = require_known(args.symbol, symbols)
        try:
            spec = IndicatorSpec.of(args.name, **args.params)
        except ValueError as e:
            raise Refused(str(e)) from e
        rows = await market.recent(venue, symbol, str(args.interval), INDICATOR_HISTORY)
        values: dict[str, JsonValue] = {
            output: (None if (v := last_value(spec, rows, output)) is None else round(v, 6))
            for output in spec.outputs
        }
        return ToolResult(
            {
                "symbol": symbol,
                "interval": str(args.interval),
                "indicator": spec.label,
                "candles": len(rows),
                "latest": values,
            }
        )

    return [
        Tool("price", "Last price and 24h change, range and volume of a market.", PriceArgs, price),
        Tool("candles", "The latest closed OHLCV candles of a market.", CandlesArgs, candles),
        Tool(
            "indicator",
            "Latest value(s) of a technical indicator computed from closed candles (None while warming up).",
            IndicatorArgs,
            indicator,
        ),
    ]
