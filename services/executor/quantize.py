"""A command's numbers checked and quantised to the market's filters, exactly, before anything is sent.

Quantities round *down* to the step (never more than asked); limit prices round to the tick in
the trader's favour (a buy down, a sell up), so quantising never makes an order worse. What does
not pass (below minQty, above maxQty, outside the price band, under the notional) is refused here
with Binance's filter name, so a bad command never reaches the exchange.
"""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from services.executor.venues.base import OrderRequest
from shared.domain.enums import OrderSide, OrderType, TimeInForce
from shared.domain.market_rules import MarketRules
from shared.messages.commands import SubmitOrder

MAX_INTEGER_DIGITS = 20
MAX_FRACTION_DIGITS = 18
"""What NUMERIC(38, 18) holds; anything beyond is refused rather than silently rounded."""


class OrderRefused(ValueError):
    """The command cannot become a valid order; the message is the recorded reason."""


def fits_storage(value: Decimal | None) -> bool:
    if value is None:
        return True
    _, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)
    return len(digits) + exponent <= MAX_INTEGER_DIGITS and -exponent <= MAX_FRACTION_DIGITS


def _to_step(value: Decimal, step: Decimal, rounding: str) -> Decimal:
    if step <= 0:
        return value
    return (value / step).to_integral_value(rounding=rounding) * step


def prepare(command: SubmitOrder, rules: MarketRules) -> OrderRequest:
    """Return the order to send, quantised; raise ``OrderRefused`` with the reason otherwise."""
    market = command.order_type == OrderType.MARKET
    if command.quantity is None and command.quote_quantity is None:
        raise OrderRefused("an order needs quantity or quote_quantity")
    if command.quantity is not None and command.quote_quantity is not None:
        raise OrderRefused("give quantity or quote_quantity, not both")
    if not market and (command.limit_price is None or command.quantity is None):
        raise OrderRefused("a limit order needs quantity and limit_price")
    if market and command.limit_price is not None:
        raise OrderRefused("a market order takes no limit_price")
    quantity = quote = price = None
    if command.quantity is not None:
        step = rules.market_step_size if market else rules.step_size
        low = rules.market_min_qty if market else rules.min_qty
        high = rules.market_max_qty if market else rules.max_qty
        quantity = _to_step(command.quantity, step, ROUND_FLOOR)
        if quantity <= 0 or quantity < low:
            raise OrderRefused(f"Filter failure: LOT_SIZE (quantity {command.quantity} below minQty {low})")
        if 0 < high < quantity:
            raise OrderRefused(f"Filter failure: LOT_SIZE (quantity {command.quantity} above maxQty {high})")
    if command.limit_price is not None:
        rounding = ROUND_FLOOR if command.side == OrderSide.BUY else ROUND_CEILING
        price = _to_step(command.limit_price, rules.tick_size, rounding)
        if price <= 0 or price < rules.min_price or 0 < rules.max_price < price:
            raise OrderRefused(
                f"Filter failure: PRICE_FILTER (price {command.limit_price} outside "
                f"{rules.min_price}..{rules.max_price or 'unbounded'})"
            )
    if command.quote_quantity is not None:
        if not market:
            raise OrderRefused("quote_quantity is for market orders only")
        quote = _to_step(command.quote_quantity, rules.quote_step, ROUND_FLOOR)
    notional = quote if quote is not None else (quantity * price if quantity and price else None)
    if notional is not None:
        if notional < rules.min_notional or notional <= 0:
            raise OrderRefused(
                f"Filter failure: NOTIONAL ({notional} below minNotional {rules.min_notional})"
            )
        if 0 < rules.max_notional < notional:
            raise OrderRefused(
                f"Filter failure: NOTIONAL ({notional} above maxNotional {rules.max_notional})"
            )
    return OrderRequest(
        client_order_id=command.client_order_id,
        symbol=rules.symbol,
        side=command.side,
        order_type=command.order_type,
        quantity=quantity,
        quote_quantity=quote,
        price=price,
        time_in_force=None if market else (command.time_in_force or TimeInForce.GTC),
    )


__all__ = ["OrderRefused", "fits_storage", "prepare"]
