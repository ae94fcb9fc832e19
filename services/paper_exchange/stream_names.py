"""Binance market stream names (``btcusdt@trade``, ``ethusdt@kline_5m``, ...), parsed and checked.

A stream name is ``<lowercase symbol>@<kind>``. Kinds served: ``trade``, ``aggTrade`` (each trade
is its own aggregate), ``kline_<interval>`` (1m..1d), ``bookTicker``, ``ticker`` (24h, what
ccxt.pro ``watch_ticker`` uses), ``miniTicker`` (``watch_tickers``), ``depth`` (diffs, with an
optional ``@100ms``/``@1000ms``, what ``watch_order_book`` uses), ``depth5|10|20`` (snapshots).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum

from shared.domain.intervals import Interval


class StreamKind(StrEnum):
    TRADE = "trade"
    AGG_TRADE = "aggTrade"
    KLINE = "kline"
    BOOK_TICKER = "bookTicker"
    TICKER = "ticker"
    MINI_TICKER = "miniTicker"
    DEPTH = "depth"
    PARTIAL_DEPTH = "partialDepth"


class StreamNameError(ValueError):
    """A stream name the exchange cannot serve; the message says why."""


StreamTopic = tuple[StreamKind, str]
"""What a stream carries for its symbol: the kind and its parameter (interval, levels or "")."""


@dataclass(frozen=True, slots=True)
class StreamName:
    name: str  # canonical spelling, as events are tagged in combined streams
    symbol: str  # Binance form, BTCUSDT
    kind: StreamKind
    param: str = ""

    @property
    def topic(self) -> StreamTopic:
        return self.kind, self.param


_SIMPLE = {
    "trade": StreamKind.TRADE,
    "aggTrade": StreamKind.AGG_TRADE,
    "bookTicker": StreamKind.BOOK_TICKER,
    "ticker": StreamKind.TICKER,
    "miniTicker": StreamKind.MINI_TICKER,
}
_SPEEDS = ("", "@100ms", "@1000ms")
_PARTIAL_LEVELS = ("5", "10", "20")


def canonical_name(name: str) -> str:
    """The spelling subscriptions are kept under: the symbol part lowercased."""
    symbol, at, channel = name.partition("@")
    return f"{symbol.lower()}{at}{channel}"


def parse_stream(name: str, symbols: Collection[str]) -> StreamName:
    """Parse ``name``; ``symbols`` are the listed symbols in Binance form (``BTCUSDT``)."""
    if not isinstance(name, str) or "@" not in name:
        raise StreamNameError(f"invalid stream name {name!r}; expected '<symbol>@<stream>'")
    raw_symbol, channel = name.split("@", 1)
    symbol = raw_symbol.upper()
    if not raw_symbol or symbol not in symbols:
        raise StreamNameError(f"unknown symbol '{raw_symbol}' in stream '{name}'")
    canonical = canonical_name(name)
    if channel in _SIMPLE:
        return StreamName(canonical, symbol, _SIMPLE[channel])
    if channel.startswith("kline_"):
        interval = channel.removeprefix("kline_")
        if interval not in {i.value for i in Interval}:
            accepted = ", ".join(i.value for i in Interval)
            raise StreamNameError(f"unsupported interval '{interval}' in stream '{name}'; use {accepted}")
        return StreamName(canonical, symbol, StreamKind.KLINE, interval)
    for speed in _SPEEDS:
        if channel == f"depth{speed}":
            return StreamName(canonical, symbol, StreamKind.DEPTH)
        for levels in _PARTIAL_LEVELS:
            if channel == f"depth{levels}{speed}":
                return StreamName(canonical, symbol, StreamKind.PARTIAL_DEPTH, levels)
    raise StreamNameError(f"unknown stream type '{channel}' in stream '{name}'")
