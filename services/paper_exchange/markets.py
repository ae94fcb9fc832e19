"""Symbol specifications and the ``exchangeInfo`` entries built from them.

Filter values are Binance Spot's real ones (2025) for the symbols listed in ``KNOWN_SPECS``, so an
order that passes here passes on Binance. Symbols not in the table get ``GENERIC`` values.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from services.paper_exchange.numbers import fmt
from shared.domain.symbols import split_symbol

ORDER_TYPES = ("LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT")
"""Order types the paper exchange accepts (``orders.ORDER_TYPES`` checks the same list)."""

RATE_LIMITS: tuple[dict[str, Any], ...] = (
    {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": 6000},
    {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 100},
    {"rateLimitType": "ORDERS", "interval": "DAY", "intervalNum": 1, "limit": 200000},
    {"rateLimitType": "RAW_REQUESTS", "interval": "MINUTE", "intervalNum": 5, "limit": 61000},
)


def rate_limits(weight_1m: int, orders_10s: int, orders_1d: int) -> list[dict[str, Any]]:
    """``exchangeInfo.rateLimits`` with the configured limits."""
    configured = {("REQUEST_WEIGHT", "MINUTE"): weight_1m, ("ORDERS", "SECOND"): orders_10s,
                  ("ORDERS", "DAY"): orders_1d}  # fmt: skip
    return [
        {**limit, "limit": configured.get((limit["rateLimitType"], limit["interval"]), limit["limit"])}
        for limit in RATE_LIMITS
    ]


@dataclass(frozen=True, slots=True)
class SymbolSpec:
    """One spot market: its assets, filters and the random walk's starting point."""

    symbol: str  # Binance form, BTCUSDT
    base: str
    quote: str
    tick_size: Decimal
    min_price: Decimal
    max_price: Decimal
    step_size: Decimal
    min_qty: Decimal
    max_qty: Decimal
    market_max_qty: Decimal
    min_notional: Decimal
    max_notional: Decimal
    start_price: Decimal
    volume_per_minute: Decimal
    volatility_ppm: int  # standard deviation of a 1-minute return, parts per million

    @property
    def unified(self) -> str:
        return f"{self.base}/{self.quote}"

    @property
    def stream_id(self) -> str:
        """The lowercase form used in stream names (``btcusdt@trade``)."""
        return self.symbol.lower()


def _spec(base: str, quote: str, **values: str | int) -> SymbolSpec:
    decimals = {k: Decimal(v) if isinstance(v, str) else v for k, v in values.items()}
    return SymbolSpec(symbol=base + quote, base=base, quote=quote, **decimals)  # type: ignore[arg-type]


KNOWN_SPECS: dict[str, SymbolSpec] = {
    s.symbol: s
    for s in (
        _spec(
            "BTC",
            "USDT",
            tick_size="0.01",
            min_price="0.01",
            max_price="1000000",
            step_size="0.00001",
            min_qty="0.00001",
            max_qty="9000",
            market_max_qty="90",
            min_notional="5",
            max_notional="9000000",
            start_price="65000",
            volume_per_minute="12",
            volatility_ppm=800,
        ),
        _spec(
            "ETH",
            "USDT",
            tick_size="0.01",
            min_price="0.01",
            max_price="1000000",
            step_size="0.0001",
            min_qty="0.0001",
            max_qty="9000",
            market_max_qty="2500",
            min_notional="5",
            max_notional="9000000",
            start_price="3500",
            volume_per_minute="150",
            volatility_ppm=1000,
        ),
        _spec(
            "SOL",
            "USDT",
            tick_size="0.01",
            min_price="0.01",
            max_price="10000",
            step_size="0.001",
            min_qty="0.001",
            max_qty="9000000",
            market_max_qty="40000",
            min_notional="5",
            max_notional="9000000",
            start_price="150",
            volume_per_minute="2000",
            volatility_ppm=1400,
        ),
        _spec(
            "BNB",
            "USDT",
            tick_size="0.01",
            min_price="0.01",
            max_price="100000",
            step_size="0.001",
            min_qty="0.001",
            max_qty="9000",
            market_max_qty="1500",
            min_notional="5",
            max_notional="9000000",
            start_price="600",
            volume_per_minute="300",
            volatility_ppm=900,
        ),
    )
}

GENERIC = _spec(
    "GENERIC",
    "USDT",
    tick_size="0.0001",
    min_price="0.0001",
    max_price="100000",
    step_size="0.1",
    min_qty="0.1",
    max_qty="9000000",
    market_max_qty="1000000",
    min_notional="5",
    max_notional="9000000",
    start_price="1",
    volume_per_minute="100000",
    volatility_ppm=1200,
)


def spec_for(symbol: str) -> SymbolSpec:
    """Return the spec of ``symbol`` (any spelling); unknown symbols get the generic filters."""
    base, quote = split_symbol(symbol)
    known = KNOWN_SPECS.get(base + quote)
    if known is not None:
        return known
    return replace(GENERIC, symbol=base + quote, base=base, quote=quote)


def precision_of(increment: Decimal) -> int:
    """Decimal places of an increment: 0.01 → 2."""
    return max(0, -increment.normalize().as_tuple().exponent)  # type: ignore[operator]


def filters(spec: SymbolSpec) -> list[dict[str, Any]]:
    """The symbol's filters, spelled as Binance's ``exchangeInfo`` spells them."""
    return [
        {"filterType": "PRICE_FILTER", "minPrice": fmt(spec.min_price), "maxPrice": fmt(spec.max_price),
         "tickSize": fmt(spec.tick_size)},
        {"filterType": "LOT_SIZE", "minQty": fmt(spec.min_qty), "maxQty": fmt(spec.max_qty),
         "stepSize": fmt(spec.step_size)},
        {"filterType": "ICEBERG_PARTS", "limit": 10},
        {"filterType": "MARKET_LOT_SIZE", "minQty": fmt(Decimal(0)), "maxQty": fmt(spec.market_max_qty),
         "stepSize": fmt(Decimal(0))},
        {"filterType": "TRAILING_DELTA", "minTrailingAboveDelta": 10, "maxTrailingAboveDelta": 2000,
         "minTrailingBelowDelta": 10, "maxTrailingBelowDelta": 2000},
        {"filterType": "PERCENT_PRICE_BY_SIDE", "bidMultiplierUp": "5", "bidMultiplierDown": "0.2",
         "askMultiplierUp": "5", "askMultiplierDown": "0.2", "avgPriceMins": 5},
        {"filterType": "NOTIONAL", "minNotional": fmt(spec.min_notional), "applyMinToMarket": True,
         "maxNotional": fmt(spec.max_notional), "applyMaxToMarket": False, "avgPriceMins": 5},
        {"filterType": "MAX_NUM_ORDERS", "maxNumOrders": 200},
        {"filterType": "MAX_NUM_ALGO_ORDERS", "maxNumAlgoOrders": 5},
    ]  # fmt: skip


def symbol_info(spec: SymbolSpec) -> dict[str, Any]:
    """One entry of ``exchangeInfo.symbols``."""
    return {
        "symbol": spec.symbol,
        "status": "TRADING",
        "baseAsset": spec.base,
        "baseAssetPrecision": 8,
        "quoteAsset": spec.quote,
        "quotePrecision": 8,
        "quoteAssetPrecision": 8,
        "baseCommissionPrecision": 8,
        "quoteCommissionPrecision": 8,
        "orderTypes": list(ORDER_TYPES),
        "icebergAllowed": False,
        "ocoAllowed": False,
        "otoAllowed": False,
        "quoteOrderQtyMarketAllowed": True,
        "allowTrailingStop": False,
        "cancelReplaceAllowed": False,
        "amendAllowed": False,
        "pegInstructionsAllowed": False,
        "isSpotTradingAllowed": True,
        "isMarginTradingAllowed": False,
        "filters": filters(spec),
        "permissions": [],
        "permissionSets": [["SPOT"]],
        "defaultSelfTradePreventionMode": "EXPIRE_MAKER",
        "allowedSelfTradePreventionModes": ["NONE", "EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH"],
    }
