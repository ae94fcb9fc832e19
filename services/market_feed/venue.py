"""The feed's view of an exchange: ccxt (ccxt.pro for sockets) and nothing else talks to it.

One code path for paper, testnet and live; the client comes from ``shared.exchange.binance``.
"""

from __future__ import annotations

from typing import Any, Protocol

from shared.config.settings import MarketFeedSettings
from shared.exchange.binance import create_binance


class MarketVenue(Protocol):
    """What the feed needs from an exchange client (ccxt.pro's ``binance`` satisfies it)."""

    async def load_markets(self) -> dict[str, Any]: ...
    async def watch_trades(self, symbol: str) -> list[dict[str, Any]]: ...
    async def watch_ohlcv(self, symbol: str, timeframe: str) -> list[list[Any]]: ...
    async def fetch_trades(
        self, symbol: str, since: int | None = None, limit: int | None = None, params: Any = None
    ) -> list[dict[str, Any]]: ...
    async def fetch_ohlcv(
        self, symbol: str, timeframe: str, since: int | None = None, limit: int | None = None
    ) -> list[list[Any]]: ...
    async def close_ws_clients(self) -> None: ...
    async def close(self) -> None: ...


REST_TRADES = {"fetchTradesMethod": "publicGetTrades"}
"""Poll ``/api/v3/trades``: its ids are the stream's trade ids, so polled and streamed trades dedupe."""

HISTORICAL_TRADES = {"fetchTradesMethod": "publicGetHistoricalTrades"}
"""Trades from an id on (``fromId``); ccxt sends it only with an API key. Without one, holes are
filled from the last 1,000 trades of ``/api/v3/trades``."""

TRADES_CACHE = 100_000
"""Trades ccxt.pro buffers per symbol between two ``watch_trades`` calls (its default, 1,000, is one
burst at 10,000 trades/s: a busy moment would overwrite trades before the feed reads them)."""


def open_venue(settings: MarketFeedSettings) -> MarketVenue:
    """Return a ccxt.pro ``binance`` client for the configured venue (paper by default)."""
    client: MarketVenue = create_binance(
        venue=settings.venue,
        paper_url=settings.paper_url,
        api_key=settings.binance_api_key.get_secret_value() if settings.binance_api_key else None,
        secret=settings.binance_api_secret.get_secret_value() if settings.binance_api_secret else None,
        pro=True,
        options={"tradesLimit": TRADES_CACHE},
    )
    return client
