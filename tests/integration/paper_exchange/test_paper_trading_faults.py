"""Trading faults switched at run time: refusals before acceptance, failures after it, hidden
orders, order rate limits, dropped user streams; and state surviving a restart."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import ccxt
import httpx
import pytest

from shared.exchange.binance import create_binance
from tests.support.paper import PaperServer

pytestmark = pytest.mark.asyncio
FUNDS = {"USDT": "100000", "BTC": "1"}


async def post_faults(paper: PaperServer, body: dict[str, Any]) -> None:
    async with httpx.AsyncClient(base_url=paper.http, timeout=10) as http:
        response = await http.post("/admin/faults", content=json.dumps(body))
    assert response.status_code == 200, response.text


@pytest.fixture
async def trader(start_paper: Callable[..., PaperServer]) -> AsyncIterator[tuple[PaperServer, Any]]:
    paper = start_paper(paper_history_candles=10, paper_orders_limit_10s=30)
    key, secret = paper.create_account(FUNDS)
    client = create_binance(venue="paper", paper_url=paper.http, api_key=key, secret=secret)
    client.options["fetchOpenOrders"] = {"warnWithoutSymbol": False}
    await client.load_markets()
    yield paper, client
    await client.close()


async def open_orders(client: Any) -> list[Any]:
    return list(await client.fetch_open_orders("BTC/USDT"))


async def resting_price(client: Any) -> float:
    return round((await client.fetch_ticker("BTC/USDT"))["bid"] * 0.9, 2)


@pytest.mark.parametrize(("status", "retry_after"), [(429, 7), (418, 120)])
async def test_refused_orders_are_ddos_protection_with_retry_after_and_not_placed(
    trader: tuple[PaperServer, Any], status: int, retry_after: int
) -> None:
    paper, client = trader
    await post_faults(paper, {"order_status": status, "retry_after_s": retry_after})
    with pytest.raises(ccxt.DDoSProtection):
        await client.create_order("BTC/USDT", "limit", "buy", 0.001, await resting_price(client))
    client.enableLastResponseHeaders = True
    with pytest.raises(ccxt.DDoSProtection):
        await client.create_order("BTC/USDT", "market", "buy", 0.001)
    headers = {name.lower(): value for name, value in (client.last_response_headers or {}).items()}
    assert headers.get("retry-after") == str(retry_after)
    assert await open_orders(client) == [] and await client.fetch_orders("BTC/USDT") == []
    await post_faults(paper, {"order_status": None})
    assert (await client.create_order("BTC/USDT", "market", "buy", 0.001))["status"] == "closed"


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        ({"after_accept_status": 500}, ccxt.ExchangeNotAvailable),
        ({"after_accept_status": 503}, ccxt.ExchangeNotAvailable),
        ({"after_accept_timeout": True}, ccxt.RequestTimeout),
        ({"after_accept_drop": True}, ccxt.NetworkError),
    ],
)
async def test_an_order_failed_after_acceptance_exists_on_the_exchange(
    trader: tuple[PaperServer, Any], fault: dict[str, Any], error: type[Exception]
) -> None:
    paper, client = trader
    await post_faults(paper, fault)
    price = await resting_price(client)
    with pytest.raises(error):
        await client.create_order("BTC/USDT", "limit", "buy", 0.001, price, {"clientOrderId": "unknown-1"})
    await post_faults(paper, {"reset": True})
    found = await client.fetch_order(None, "BTC/USDT", {"origClientOrderId": "unknown-1"})
    assert found["status"] == "open" and found["price"] == price
    assert [o["clientOrderId"] for o in await open_orders(client)] == ["unknown-1"]
    with pytest.raises(ccxt.InvalidOrder, match="Duplicate order sent"):  # a blind re-send is refused
        await client.create_order("BTC/USDT", "limit", "buy", 0.001, price, {"clientOrderId": "unknown-1"})


async def test_an_invisible_order_is_not_found_until_the_delay_passes(
    trader: tuple[PaperServer, Any],
) -> None:
    paper, client = trader
    await post_faults(paper, {"order_invisible_s": 1.0})
    placed = await client.create_order("BTC/USDT", "limit", "buy", 0.001, await resting_price(client))
    with pytest.raises(ccxt.OrderNotFound):
        await client.fetch_order(placed["id"], "BTC/USDT")
    assert await open_orders(client) == [] and await client.fetch_orders("BTC/USDT") == []
    await asyncio.sleep(1.1)
    assert (await client.fetch_order(placed["id"], "BTC/USDT"))["status"] == "open"
    assert [o["id"] for o in await open_orders(client)] == [placed["id"]]


async def test_too_many_new_orders_is_minus_1015_and_nothing_is_placed(
    trader: tuple[PaperServer, Any],
) -> None:
    _, client = trader
    price = await resting_price(client)
    placed, counted = 0, 0
    with pytest.raises(ccxt.DDoSProtection, match="-1015"):
        for _ in range(61):  # the 10 s window may roll over once while we send
            await client.create_order("BTC/USDT", "limit", "buy", 0.001, price)
            placed += 1
            headers = {k.lower(): v for k, v in client.last_response_headers.items()}
            counted = int(headers["x-mbx-order-count-10s"])
    assert counted == 30  # refused exactly when the window held its limit
    assert len(await open_orders(client)) == placed


async def test_cancel_all_open_orders_of_a_symbol(trader: tuple[PaperServer, Any]) -> None:
    _, client = trader
    price = await resting_price(client)
    for _ in range(3):
        await client.create_order("BTC/USDT", "limit", "buy", 0.001, price)
    canceled = await client.cancel_all_orders("BTC/USDT")
    assert len(canceled) == 3 and await open_orders(client) == []
    assert (await client.fetch_balance())["USDT"] == {"free": 100000, "used": 0, "total": 100000}


async def test_a_dropped_user_stream_fails_the_watcher_which_can_subscribe_again(
    trader: tuple[PaperServer, Any],
) -> None:
    paper, client = trader
    watcher = asyncio.create_task(client.watch_orders("BTC/USDT"))
    await asyncio.sleep(0.3)
    await post_faults(paper, {"drop_user_streams": True})
    with pytest.raises(ccxt.NetworkError):
        await asyncio.wait_for(watcher, 5)
    again = asyncio.create_task(client.watch_orders("BTC/USDT"))
    await asyncio.sleep(0.3)
    placed = await client.create_order("BTC/USDT", "market", "buy", 0.001)
    assert (await asyncio.wait_for(again, 5))[-1]["id"] == placed["id"]


async def test_accounts_orders_trades_and_balances_survive_a_restart(tmp_path: Path) -> None:
    first = PaperServer(paper_history_candles=10, paper_state_dir=tmp_path).start()
    key, secret = first.create_account(FUNDS)
    client = create_binance(venue="paper", paper_url=first.http, api_key=key, secret=secret)
    try:
        price = await resting_price(client)
        resting = await client.create_order(
            "BTC/USDT", "limit", "buy", 0.002, price, {"clientOrderId": "survivor"}
        )
        await client.create_order("BTC/USDT", "market", "sell", 0.01)
        before = (await client.fetch_balance())["info"]["balances"], await client.fetch_my_trades("BTC/USDT")
    finally:
        await client.close()
        first.stop()
    second = PaperServer(paper_history_candles=10, paper_state_dir=tmp_path).start()
    client = create_binance(venue="paper", paper_url=second.http, api_key=key, secret=secret)
    try:
        after = (await client.fetch_balance())["info"]["balances"], await client.fetch_my_trades("BTC/USDT")
        assert after == before
        found = await client.fetch_order(None, "BTC/USDT", {"origClientOrderId": "survivor"})
        assert found["id"] == resting["id"] and found["status"] == "open"
        assert (await client.cancel_order(resting["id"], "BTC/USDT"))["status"] == "canceled"
    finally:
        await client.close()
        second.stop()
