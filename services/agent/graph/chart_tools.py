"""``chart``: a ``ChartSpec`` for the web app (candles, indicator overlays, the user's trades).

The full specification goes in the result's ``artifact`` (the app draws it); the model reads a
summary (the window, the last close, each overlay's latest values, how many markers), since a
thousand candles would fill its context with numbers it does not need to answer.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from datetime import datetime
from decimal import Decimal

from pydantic import Field

from services.agent.graph.market_tools import require_known
from services.agent.graph.tools import GraphTool, JsonValue, Refused, Tool, ToolArgs, ToolResult, ToolScope
from services.agent.graph.users import account_of
from services.agent.indicators.candles import candle_arrays
from services.agent.indicators.spec import IndicatorSpec
from services.agent.market import MarketReader
from shared.db.repositories.accounts import AccountReader
from shared.domain.enums import OrderSide
from shared.domain.intervals import Interval
from shared.domain.symbols import Symbol, split_symbol
from shared.messages.base import from_ms, plain_decimal, to_ms
from shared.messages.charts import (
    MAX_CHART_CANDLES,
    MAX_CHART_MARKERS,
    MAX_CHART_OVERLAYS,
    ChartCandle,
    ChartMarker,
    ChartOverlay,
    ChartPoint,
    ChartSpec,
    OverlayLine,
)
from shared.messages.market import Candle

WARMUP_CANDLES = 300
"""Candles read before the window so overlays start settled (RSI's and EMA's run-in)."""

PRICE_PANE = frozenset({"sma", "ema", "bollinger", "vwap"})
"""Indicators on the price's own scale, drawn over the candles; the others get a pane of their own."""


class OverlayArgs(ToolArgs):
    name: str = Field(max_length=20, description="sma, ema, rsi, macd, bollinger, atr or vwap.")
    params: dict[str, int | float] = Field(default_factory=dict, description='e.g. {"period": 50}.')


class ChartArgs(ToolArgs):
    symbol: Symbol = Field(description="Market as BASE/QUOTE, e.g. BTC/USDT.")
    interval: Interval = Field(Interval.H1, description="Candle interval, e.g. 15m, 1h, 1d.")
    limit: int = Field(200, ge=10, le=MAX_CHART_CANDLES, description="How many of the latest closed candles.")
    overlays: tuple[OverlayArgs, ...] = Field((), max_length=MAX_CHART_OVERLAYS)
    trades: bool = Field(True, description="Mark the user's fills and open orders in the window.")


def _overlay(spec: IndicatorSpec, history: list[Candle], shown: int) -> ChartOverlay:
    values = spec.compute(candle_arrays(history))
    first = len(history) - shown
    times = [to_ms(c.open_time) for c in history[first:]]
    lines = tuple(
        OverlayLine(
            output=output,
            points=tuple(
                ChartPoint(t=t, v=float(v))
                for t, v in zip(times, series[first:], strict=True)
                if not math.isnan(v)
            ),
        )
        for output, series in values.items()
    )
    pane = "price" if spec.name in PRICE_PANE else "separate"
    return ChartOverlay(indicator=spec.name, params=dict(spec.params), pane=pane, lines=lines)


def _candle(candle: Candle) -> ChartCandle:
    return ChartCandle(
        t=to_ms(candle.open_time), o=candle.open, h=candle.high, l=candle.low, c=candle.close, v=candle.volume
    )


def _summary(spec: ChartSpec, labels: Sequence[str]) -> dict[str, JsonValue]:
    latest: dict[str, JsonValue] = {}
    for label, overlay in zip(labels, spec.overlays, strict=True):
        latest[label] = {
            line.output: (round(line.points[-1].v, 6) if line.points else None) for line in overlay.lines
        }
    first, last = spec.candles[0], spec.candles[-1]
    return {
        "shown_to_user": True,
        "symbol": spec.symbol,
        "interval": str(spec.interval),
        "candles": len(spec.candles),
        "first_open": from_ms(first.t).isoformat(),
        "last_open": from_ms(last.t).isoformat(),
        "last_close": plain_decimal(last.c),
        "overlays_latest": latest,
        "markers": len(spec.markers),
    }


def chart_tools(
    market: MarketReader, accounts: AccountReader, venue: str, symbols: Collection[str]
) -> list[GraphTool]:
    """Return ``chart`` over stored candles and the scope user's fills and orders on ``venue``."""

    async def markers(
        scope: ToolScope, symbol: str, start: datetime, last: datetime, end: datetime
    ) -> list[ChartMarker]:
        # The user's fills in [start, end) and open limit orders; ``last`` is the last candle's open.
        user = account_of(scope.user_id)
        base, _ = split_symbol(symbol)
        found = [
            ChartMarker(
                t=to_ms(f.traded_at),
                price=f.price,
                side=OrderSide(f.side),
                label=f"{f.side} {plain_decimal(f.quantity)} {base} @ {plain_decimal(f.price)}",
            )
            for f in await accounts.fills(user, venue, [symbol], start, end)
        ]
        # An order still open rests through the window: marked where it was placed, or at the
        # window's edge when placed before it or after the last closed candle.
        found += [
            ChartMarker(
                t=min(max(to_ms(o.created_at), to_ms(start)), to_ms(last)),
                price=o.limit_price,
                side=OrderSide(o.side),
                label=f"open limit {o.side} {plain_decimal(o.requested_qty or Decimal(0))} {base}",
            )
            for o in await accounts.open_orders(user, venue, symbol)
            if o.limit_price is not None
        ]
        return sorted(found, key=lambda m: m.t)[-MAX_CHART_MARKERS:]

    async def chart(args: ChartArgs, scope: ToolScope) -> ToolResult:
        symbol = require_known(args.symbol, symbols)
        try:
            specs = [IndicatorSpec.of(o.name, **o.params) for o in args.overlays]
        except ValueError as e:
            raise Refused(str(e)) from e
        history = await market.recent(venue, symbol, str(args.interval), args.limit + WARMUP_CANDLES)
        if not history:
            raise Refused(f"no {args.interval} candles stored for {symbol}")
        shown = history[-args.limit :]
        end = shown[-1].close_time
        spec = ChartSpec(
            symbol=symbol,
            interval=args.interval,
            candles=tuple(_candle(c) for c in shown),
            overlays=tuple(_overlay(s, history, len(shown)) for s in specs),
            markers=tuple(await markers(scope, symbol, shown[0].open_time, shown[-1].open_time, end))
            if args.trades
            else (),
        )
        summary = _summary(spec, [s.label for s in specs])
        return ToolResult(summary, artifact={"chart": spec.model_dump(mode="json")})

    return [
        Tool(
            "chart",
            "Show the user a candlestick chart, optionally with indicator overlays and their own trades.",
            ChartArgs,
            chart,
        )
    ]


__all__ = ["WARMUP_CANDLES", "chart_tools"]
