"""The venue's listing as the gate needs it: which symbols exist, trade, and under which filters.

Loaded over the venue's public ``exchangeInfo`` through the one ccxt client factory (no key is
needed), and reloaded on a timer so a symbol halted by the venue stops passing the checks. A
failed reload keeps the last listing (stale filters are safer than none); a gate that never
loaded one is not ready.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

from shared.domain.market_rules import MarketRules, rules_from_market
from shared.exchange.binance import Venue, create_binance

_log = logging.getLogger(__name__)


@dataclass
class Listing:
    """Symbol → (filters, trading) as of the last load."""

    rules: dict[str, MarketRules] = field(default_factory=dict)
    trading: dict[str, bool] = field(default_factory=dict)
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    """Set once a first listing loaded; until then nothing can be decided."""

    @property
    def loaded(self) -> bool:
        return self.ready.is_set()

    @property
    def symbols(self) -> frozenset[str]:
        return frozenset(self.rules)

    def replace(self, markets: dict[str, Any]) -> None:
        rules: dict[str, MarketRules] = {}
        trading: dict[str, bool] = {}
        for symbol, market in markets.items():
            if not market.get("spot") or "info" not in market:
                continue
            rules[symbol] = rules_from_market(symbol, market)
            trading[symbol] = bool(market.get("active", True)) and market["info"].get("status") == "TRADING"
        self.rules, self.trading = rules, trading
        self.ready.set()


async def load_listing(listing: Listing, *, venue: Venue, paper_url: str | None) -> None:
    """Reload ``listing`` from the venue; on failure keep what it had and log why."""
    client = create_binance(venue=venue, paper_url=paper_url, pro=False)
    try:
        markets = await client.load_markets(reload=True)
        listing.replace(markets)
    except Exception as e:  # a venue error must not take the gate down: the old listing stays
        _log.warning("could not load the venue's markets", extra={"venue": venue, "error": repr(e)[:300]})
    finally:
        await client.close()


__all__ = ["Listing", "load_listing"]
