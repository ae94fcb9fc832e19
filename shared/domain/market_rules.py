"""A symbol's exchange filters as exact decimals, read once from the venue's ``exchangeInfo``.

The executor quantises orders to them and the risk gate checks intents against them, so they
are a shared contract. ``rules_from_market`` reads them from a ccxt market dict (Binance's own
filter strings, never ccxt's floats).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from shared.domain.symbols import split_symbol


@dataclass(frozen=True, slots=True)
class MarketRules:
    """A symbol's filters as exact decimals; a zero bound means "no bound" (Binance's convention)."""

    symbol: str
    base: str
    quote: str
    tick_size: Decimal
    min_price: Decimal
    max_price: Decimal
    step_size: Decimal
    min_qty: Decimal
    max_qty: Decimal
    market_step_size: Decimal
    market_min_qty: Decimal
    market_max_qty: Decimal
    min_notional: Decimal
    max_notional: Decimal
    quote_step: Decimal


def exchange_filters(info: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """``exchangeInfo`` filters of one symbol, keyed by filter type."""
    return {str(f["filterType"]): f for f in info.get("filters", ())}


def rules_from_market(symbol: str, market: Mapping[str, Any]) -> MarketRules:
    """The filters of one ccxt market (its ``info`` is Binance's ``exchangeInfo`` entry)."""
    info = market["info"]
    by_type = exchange_filters(info)
    price, lot = by_type.get("PRICE_FILTER", {}), by_type.get("LOT_SIZE", {})
    market_lot = by_type.get("MARKET_LOT_SIZE", lot)
    notional = by_type.get("NOTIONAL") or by_type.get("MIN_NOTIONAL") or {}
    base, quote = split_symbol(symbol)
    digits = int(info.get("quoteAssetPrecision", info.get("quotePrecision", 8)))
    return MarketRules(
        symbol=symbol,
        base=base,
        quote=quote,
        tick_size=_field(price, "tickSize"),
        min_price=_field(price, "minPrice"),
        max_price=_field(price, "maxPrice"),
        step_size=_field(lot, "stepSize"),
        min_qty=_field(lot, "minQty"),
        max_qty=_field(lot, "maxQty"),
        market_step_size=_field(market_lot, "stepSize") or _field(lot, "stepSize"),
        market_min_qty=_field(market_lot, "minQty"),
        market_max_qty=_field(market_lot, "maxQty") or _field(lot, "maxQty"),
        min_notional=_field(notional, "minNotional"),
        max_notional=_field(notional, "maxNotional"),
        quote_step=Decimal(1).scaleb(-digits),
    )


def _field(section: Mapping[str, Any], name: str) -> Decimal:
    return Decimal(str(section.get(name, "0")))


__all__ = ["MarketRules", "exchange_filters", "rules_from_market"]
