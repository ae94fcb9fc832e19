"""The floor under the kill switch: the same orders cancelled by nothing but the venue's own requests.

Each floor gets a fresh account with as many orders, on the same symbols, sizes and prices as
the executor's, placed straight on the venue beforehand. The clock starts just before the first
cancel request and stops when a signed ``GET /api/v3/openOrders`` lists nothing, as for the
kill switch, so both figures include the same confirming listing.

- bulk: one ``DELETE /api/v3/openOrders`` per symbol, all symbols at once: what the kill switch
  sends, without the listing before, the rows, events and verification around it;
- per order: one ``DELETE /api/v3/order`` each, ``PER_ORDER_IN_FLIGHT`` at once: the floor of a
  kill switch that cancelled order by order.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx

from cryptopulse.bench.kill_flow import last_update_s
from cryptopulse.bench.kill_orders import RestingOrder, place_directly
from cryptopulse.bench.order_flow import OrderFailed
from cryptopulse.bench.order_stack import BALANCES
from cryptopulse.bench.paper_account import PaperAccount
from shared.domain.symbols import venue_symbol

PER_ORDER_IN_FLIGHT = 8


@dataclass(frozen=True, slots=True)
class FloorTimes:
    requests_s: float
    """Until the last cancel request was answered."""
    venue_empty_s: float
    """Until a listing after them showed nothing open."""
    last_cancel_s: float
    """Until the venue's own timestamp of its last cancel (``updateTime``, ms)."""


async def _fresh(paper_url: str, orders: dict[str, RestingOrder], count: int, label: str) -> PaperAccount:
    http = httpx.AsyncClient(base_url=paper_url, timeout=60)
    account = await PaperAccount.open(http, BALANCES)
    await place_directly(account, orders, count, label=label)
    listed = len(await account.open_orders())
    if listed != count:
        raise OrderFailed(f"{label}: the venue lists {listed} open orders, {count} were placed")
    return account


async def _connected(
    clients: contextlib.AsyncExitStack, account: PaperAccount, paper_url: str
) -> PaperAccount:
    """``account`` over a client of its own, its connection opened before any clock starts."""
    http = await clients.enter_async_context(httpx.AsyncClient(base_url=paper_url, timeout=60))
    (await http.get("/api/v3/ping")).raise_for_status()
    return account.with_client(http)


async def _timed(
    account: PaperAccount, symbols: list[str], cancel: Callable[[], Awaitable[object]]
) -> FloorTimes:
    engaged_wall, started = time.time(), time.perf_counter()
    await cancel()
    answered = time.perf_counter()
    if await account.open_orders():
        raise OrderFailed("orders still open after the floor's cancels")
    empty = time.perf_counter()
    history = [o for s in symbols for o in await account.all_orders(s)]
    return FloorTimes(answered - started, empty - started, last_update_s(history, engaged_wall))


async def bulk_floor(paper_url: str, orders: dict[str, RestingOrder], count: int) -> FloorTimes:
    """One ``DELETE /api/v3/openOrders`` per symbol, at once, one connection each."""
    account = await _fresh(paper_url, orders, count, "floor-bulk")
    symbols = list(orders)
    async with contextlib.AsyncExitStack() as clients:
        own = [await _connected(clients, account, paper_url) for _ in symbols]

        async def cancel() -> None:
            await asyncio.gather(*(client.cancel_all(s) for client, s in zip(own, symbols, strict=True)))

        try:
            return await _timed(account, symbols, cancel)
        finally:
            await account.http.aclose()


async def per_order_floor(paper_url: str, orders: dict[str, RestingOrder], count: int) -> FloorTimes:
    """One ``DELETE /api/v3/order`` per order, ``PER_ORDER_IN_FLIGHT`` at once."""
    account = await _fresh(paper_url, orders, count, "floor-each")
    open_orders = [(str(o["symbol"]), int(o["orderId"])) for o in await account.open_orders()]
    by_venue = {venue_symbol(s): s for s in orders}
    queue = iter(open_orders)
    async with contextlib.AsyncExitStack() as clients:
        own = [await _connected(clients, account, paper_url) for _ in range(PER_ORDER_IN_FLIGHT)]

        async def worker(client: PaperAccount) -> None:
            for symbol, order_id in queue:  # shared iterator: each order is cancelled once
                await client.cancel(by_venue[symbol], order_id)

        async def cancel() -> None:
            await asyncio.gather(*(worker(client) for client in own))

        try:
            return await _timed(account, list(orders), cancel)
        finally:
            await account.http.aclose()
