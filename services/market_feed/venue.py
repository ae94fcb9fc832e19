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
    async def close(self) -> None: ...


REST_TRADES = {"fetchTradesMethod": "publicGetTrades"}
"""Poll ``/api/v3/trades``: its ids are the stream's trade ids, so polled and streamed trades dedupe."""


def open_venue(settings: MarketFeedSettings) -> MarketVenue:
    """Return a ccxt.pro ``binance`` client for the configured venue (paper by default)."""
    client: MarketVenue = create_binance(
        venue=settings.venue,
        paper_url=settings.paper_url,
        api_key=settings.binance_api_key.get_secret_value() if settings.binance_api_key else None,
        secret=settings.binance_api_secret.get_secret_value() if settings.binance_api_secret else None,
        pro=True,
    )
    return client
