"""Matching rules against the simulated market, as pure functions of prices and sizes.

- A taker order (MARKET, or a LIMIT that crosses) walks the synthetic book best level first;
  each level's price is worsened by ``slippage_bps`` (rounded to the tick, against the taker)
  but never past a limit price. A MARKET by ``quoteOrderQty`` buys/sells whole steps until the
  quote amount is used.
- A resting limit fills at its own price (maker) when a simulated trade prints at or through it,
  for at most ``fill_share`` of that trade's quantity (whole steps), so big orders fill partially
  over several trades. Each resting order sees the whole trade (orders do not share it).
- STOP_LOSS_LIMIT triggers when the trade price reaches the stop from the side losses lie on
  (BUY at or above, SELL at or below), TAKE_PROFIT_LIMIT from the other side; then it works as
  a LIMIT order.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal

from services.paper_exchange.numbers import EIGHT_DP, ZERO, quantize, quantize_down

Level = tuple[Decimal, Decimal]
Take = tuple[Decimal, Decimal]
"""A price and a quantity taken there."""

_BPS = Decimal(10_000)


def slipped(price: Decimal, side: str, bps: Decimal, tick: Decimal) -> Decimal:
    if not bps:
        return price
    if side == "BUY":
        return quantize(price * (1 + bps / _BPS), tick, ROUND_CEILING)
    return max(tick, quantize(price * (1 - bps / _BPS), tick, ROUND_FLOOR))


def crosses(side: str, limit: Decimal, price: Decimal) -> bool:
    """Whether ``price`` (a book level or a trade) is at or better than ``limit`` for ``side``."""
    return price <= limit if side == "BUY" else price >= limit


def take_book(
    levels: Sequence[Level], side: str, *, quantity: Decimal = ZERO, quote: Decimal = ZERO,
    limit: Decimal | None = None, step: Decimal, tick: Decimal, bps: Decimal,
) -> list[Take]:  # fmt: skip
    """Walk ``levels`` (asks for a BUY, bids for a SELL, best first) for ``quantity`` or ``quote``."""
    takes: list[Take] = []
    left_qty, left_quote = quantity, quote
    for level_price, size in levels:
        if limit is not None and not crosses(side, limit, level_price):
            break
        price = slipped(level_price, side, bps, tick)
        if limit is not None:
            price = min(price, limit) if side == "BUY" else max(price, limit)
        qty = min(size, quantize_down(left_quote / price, step) if quote else left_qty)
        if qty <= 0:
            break
        takes.append((price, qty))
        left_qty -= qty
        left_quote -= price * qty
        if not quote and not left_qty:
            break
    return takes


def resting_fill(remaining: Decimal, trade_qty: Decimal, share: Decimal, step: Decimal) -> Decimal:
    """How much of a resting order one crossing trade fills."""
    return min(remaining, quantize_down(trade_qty * share, step))


def triggered(kind: str, side: str, stop: Decimal, price: Decimal) -> bool:
    rising = price >= stop
    falling = price <= stop
    if kind == "STOP_LOSS_LIMIT":
        return rising if side == "BUY" else falling
    return falling if side == "BUY" else rising


def commission(received: Decimal, rate: Decimal) -> Decimal:
    """The fee on ``received`` (base bought or quote got from a sale), to Binance's 8 decimals."""
    return (received * rate).quantize(EIGHT_DP, ROUND_HALF_UP)
