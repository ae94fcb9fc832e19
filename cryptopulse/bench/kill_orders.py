"""The resting orders a kill-switch run cancels: one kind per symbol, the same for the executor's
orders and for the baselines' orders placed straight on the venue.

Every order is a GTC LIMIT buy 20% under the bid (``resting_price``), so none fills while it is
being cancelled, sized to twice the symbol's minimum notional: the smallest order every symbol
takes whatever its price, so a thousand of them never run out of funds.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal

import httpx

from cryptopulse.bench.order_flow import resting_price
from cryptopulse.bench.paper_account import PaperAccount
from shared.domain.symbols import venue_symbol

NOTIONAL_FACTOR = Decimal(2)
"""Orders are this many times the symbol's minimum notional: clear of it however the price moves."""


@dataclass(frozen=True, slots=True)
class RestingOrder:
    """What every order on one symbol is: a buy of ``quantity`` at ``price``."""

    symbol: str
    quantity: Decimal
    price: Decimal


def resting_quantity(price: Decimal, step: Decimal, min_notional: Decimal) -> Decimal:
    """The smallest quantity on ``step`` worth at least ``NOTIONAL_FACTOR`` times ``min_notional``
    at ``price``."""
    if price <= 0 or step <= 0:
        raise ValueError(f"price and step must be positive, were {price} and {step}")
    steps = (NOTIONAL_FACTOR * min_notional / price / step).to_integral_value(ROUND_CEILING)
    return max(steps, Decimal(1)) * step


def spread(symbols: Sequence[str], count: int) -> list[str]:
    """``count`` symbols round-robin over ``symbols``: the same share (±1) on each."""
    if not symbols:
        raise ValueError("no symbols")
    return [symbols[number % len(symbols)] for number in range(count)]


async def _filters(paper_url: str, symbol: str) -> tuple[Decimal, Decimal]:
    async with httpx.AsyncClient(base_url=paper_url, timeout=10) as http:
        response = await http.get("/api/v3/exchangeInfo", params={"symbol": venue_symbol(symbol)})
        response.raise_for_status()
    found = {f["filterType"]: f for f in response.json()["symbols"][0]["filters"]}
    return Decimal(found["LOT_SIZE"]["stepSize"]), Decimal(found["NOTIONAL"]["minNotional"])


async def resting_orders(paper_url: str, symbols: Sequence[str]) -> dict[str, RestingOrder]:
    """The order of each symbol, from the venue's bid and filters now."""
    orders = {}
    for symbol in symbols:
        price = await resting_price(paper_url, symbol)
        step, min_notional = await _filters(paper_url, symbol)
        orders[symbol] = RestingOrder(symbol, resting_quantity(price, step, min_notional), price)
    return orders


async def place_directly(
    account: PaperAccount, orders: dict[str, RestingOrder], count: int, *, label: str, in_flight: int = 8
) -> None:
    """``count`` orders spread over ``orders``' symbols, sent straight to the venue, ``in_flight``
    at a time (one connection each)."""
    symbols = spread(list(orders), count)
    numbers = iter(range(count))

    async def worker() -> None:
        async with httpx.AsyncClient(base_url=str(account.http.base_url), timeout=30) as http:
            mine = account.with_client(http)
            for number in numbers:  # shared iterator: each number is taken by exactly one worker
                order = orders[symbols[number]]
                await mine.buy_limit(order.symbol, order.quantity, order.price, f"{label}-{number}")

    await asyncio.gather(*(worker() for _ in range(in_flight)))
