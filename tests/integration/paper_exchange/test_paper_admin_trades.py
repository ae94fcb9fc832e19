"""``POST /admin/trades`` on a running exchange: an injected trade partially fills a resting order
exactly as a simulated one would (REST, user stream, public trade stream, balances), and a bad
body is refused with its reason and changes nothing."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from decimal import Decimal
from typing import Any

import httpx
import pytest
import websockets

from shared.exchange.binance import create_binance
from tests.support.paper import PaperServer

pytestmark = pytest.mark.asyncio
D = Decimal
FUNDS = {"USDT": "100000", "BTC": "1"}
ORDER_QTY = D("0.010")
FILLED_QTY = D("0.004")


def fmt(value: Decimal) -> str:
    return f"{value:.8f}"


@pytest.fixture
async def trader(start_paper: Callable[..., PaperServer]) -> AsyncIterator[tuple[PaperServer, Any]]:
    """An exchange of the test's own: an injected print would fill other tests' resting orders."""
    paper = start_paper()
    key, secret = paper.create_account(FUNDS)
    client = create_binance(venue="paper", paper_url=paper.http, api_key=key, secret=secret)
    await client.load_markets()
    yield paper, client
    await client.close()


async def rest_far_below_the_market(client: Any) -> tuple[Decimal, dict[str, Any]]:
    """A LIMIT buy of 0.010 at 60% of the bid, which the simulated prices do not reach."""
    bid = D(str((await client.fetch_ticker("BTC/USDT"))["bid"]))
    price = (bid * D("0.6")).quantize(D("0.01"))
    order = await client.create_order("BTC/USDT", "limit", "buy", str(ORDER_QTY), str(price))
    assert order["info"]["status"] == "NEW"
    return price, order


async def raw_order(client: Any, order_id: str) -> dict[str, Any]:
    info: dict[str, Any] = (await client.fetch_order(order_id, "BTC/USDT"))["info"]
    return info


async def raw_balances(client: Any) -> dict[str, tuple[Decimal, Decimal]]:
    balances = (await client.fetch_balance())["info"]["balances"]
    return {b["asset"]: (D(b["free"]), D(b["locked"])) for b in balances}


async def trade_event(public: Any, trade_id: int) -> dict[str, Any]:
    """The public trade stream's event of ``trade_id`` (the stream prints hundreds a second)."""
    while True:
        event: dict[str, Any] = json.loads(await asyncio.wait_for(public.recv(), 5))
        if event["t"] >= trade_id:
            assert event["t"] == trade_id, f"trade {trade_id} skipped on the stream"
            return event


async def test_an_injected_trade_partially_fills_a_resting_buy_by_the_fill_share(
    trader: tuple[PaperServer, Any],
) -> None:
    # Arrange
    paper, client = trader
    price, order = await rest_far_below_the_market(client)
    quantity = FILLED_QTY / paper.settings.paper_fill_share  # 0.016 at the default 25%
    my_trades = asyncio.create_task(client.watch_my_trades("BTC/USDT"))
    # An unbounded queue keeps reading while the stream floods, so the close handshake is not stuck.
    async with websockets.connect(f"{paper.ws}/ws/btcusdt@trade", max_queue=None) as public:
        await asyncio.sleep(0.3)  # both sockets subscribed

        # Act
        printed = paper.inject_trade("BTCUSDT", price, quantity)

        # Assert: the print itself, on the public stream like any trade
        assert (printed["price"], printed["qty"], printed["isBuyerMaker"]) == (
            fmt(price),
            fmt(quantity),
            True,
        )
        event = await trade_event(public, printed["id"])
        assert (event["p"], event["q"], event["m"], event["T"]) == (
            fmt(price),
            fmt(quantity),
            True,
            printed["time"],
        )
    async with httpx.AsyncClient(base_url=paper.http) as http:
        params = {"symbol": "BTCUSDT", "fromId": printed["id"], "limit": 1}
        [listed] = (await http.get("/api/v3/historicalTrades", params=params)).json()
    assert (listed["id"], listed["price"], listed["qty"]) == (printed["id"], fmt(price), fmt(quantity))

    # Assert: the order, its one fill and the balances, to the last decimal
    status = await raw_order(client, order["id"])
    assert (status["status"], status["executedQty"], status["cummulativeQuoteQty"]) == (
        "PARTIALLY_FILLED",
        fmt(FILLED_QTY),
        fmt(price * FILLED_QTY),
    )
    [fill] = [t["info"] for t in await client.fetch_my_trades("BTC/USDT")]
    assert (fill["orderId"], fill["price"], fill["qty"], fill["isMaker"]) == (
        int(order["id"]),
        fmt(price),
        fmt(FILLED_QTY),
        True,
    )
    assert (fill["commission"], fill["commissionAsset"]) == (fmt(D("0.000004")), "BTC")  # 0.1% of 0.004
    balances = await raw_balances(client)
    assert balances["USDT"] == (D("100000") - price * ORDER_QTY, price * (ORDER_QTY - FILLED_QTY))
    assert balances["BTC"] == (D("1") + FILLED_QTY - D("0.000004"), D(0))

    # Assert: the user stream's executionReport carried the same fill
    [streamed] = await asyncio.wait_for(my_trades, 10)
    assert streamed["order"] == order["id"] and streamed["id"] == str(fill["id"])
    assert streamed["info"]["X"] == "PARTIALLY_FILLED" and streamed["info"]["l"] == fmt(FILLED_QTY)


BAD_BODIES: dict[str, tuple[bytes, str]] = {
    "not JSON": (b"price=1", "the body is not JSON"),
    "unknown symbol": (b'{"symbol": "NOPEUSDT", "price": "1", "quantity": "1"}', 'unknown symbol "NOPEUSDT"'),
    "price off the tick": (
        b'{"symbol": "BTCUSDT", "price": "PRICE1", "quantity": "0.016"}',
        "price must be a whole multiple of 0.01000000",
    ),
    "quantity off the step": (
        b'{"symbol": "BTCUSDT", "price": "PRICE", "quantity": "0.0160001"}',
        "quantity must be a whole multiple of 0.00001000",
    ),
    "a float quantity": (
        b'{"symbol": "BTCUSDT", "price": "PRICE", "quantity": 0.016}',
        "quantity must be a decimal string",
    ),
    "not positive": (b'{"symbol": "BTCUSDT", "price": "PRICE", "quantity": "-0.016"}', "positive finite"),
    "missing price": (b'{"symbol": "BTCUSDT", "quantity": "0.016"}', "missing price"),
}


async def test_a_bad_trade_body_is_refused_with_its_reason_and_changes_nothing(
    trader: tuple[PaperServer, Any],
) -> None:
    paper, client = trader
    price, order = await rest_far_below_the_market(client)
    before = await raw_balances(client)
    async with httpx.AsyncClient(base_url=paper.http, timeout=10) as http:
        for name, (body, reason) in BAD_BODIES.items():
            content = body.replace(b"PRICE1", f"{price}1".encode()).replace(b"PRICE", str(price).encode())
            response = await http.post("/admin/trades", content=content)
            assert response.status_code == 400, name
            assert reason in response.json()["error"], (name, response.json())
        recent = (await http.get("/api/v3/trades", params={"symbol": "BTCUSDT", "limit": 1000})).json()
    assert all(D(t["price"]) > price for t in recent)  # nothing printed down there
    status = await raw_order(client, order["id"])
    assert (status["status"], status["executedQty"]) == ("NEW", fmt(D(0)))
    assert await client.fetch_my_trades("BTC/USDT") == []
    assert await raw_balances(client) == before
