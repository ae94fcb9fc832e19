"""ccxt's real async ``binance`` class, built by ``create_binance``, trades on the paper exchange."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import ccxt
import httpx
import pytest

from shared.exchange.binance import create_binance
from tests.support.paper import PaperServer

pytestmark = pytest.mark.asyncio
FUNDS = {"USDT": "100000", "BTC": "1", "ETH": "10"}


@pytest.fixture
async def client(paper: PaperServer) -> AsyncIterator[Any]:
    key, secret = paper.create_account(FUNDS)
    exchange = create_binance(venue="paper", paper_url=paper.http, api_key=key, secret=secret)
    await exchange.load_markets()
    yield exchange
    await exchange.close()


async def below_market(client: Any, symbol: str = "BTC/USDT", offset: float = 0.9) -> float:
    return round((await client.fetch_ticker(symbol))["bid"] * offset, 2)


async def test_market_buy_by_amount_fills_with_fee_in_the_received_asset(client: Any) -> None:
    order = await client.create_order("BTC/USDT", "market", "buy", 0.01)
    assert order["status"] == "closed" and order["filled"] == 0.01 and order["trades"]
    assert order["fee"]["currency"] == "BTC" and order["fee"]["cost"] == pytest.approx(0.00001)
    balance = await client.fetch_balance()
    assert balance["BTC"]["free"] == pytest.approx(1.01 - 0.00001, abs=1e-12)
    assert balance["USDT"]["free"] == pytest.approx(100000 - order["cost"], abs=1e-6)


async def test_market_buy_by_quote_cost_spends_at_most_the_cost(client: Any) -> None:
    order = await client.create_order("ETH/USDT", "market", "buy", None, params={"quoteOrderQty": 100})
    assert order["status"] == "closed" and 99 < order["cost"] <= 100 and order["filled"] > 0


async def test_limit_gtc_rests_and_is_found_by_id_and_by_client_order_id(client: Any) -> None:
    price = await below_market(client)
    order = await client.create_order("BTC/USDT", "limit", "buy", 0.001, price, {"clientOrderId": "gtc-1"})
    assert order["status"] == "open" and order["clientOrderId"] == "gtc-1"
    by_id = await client.fetch_order(order["id"], "BTC/USDT")
    by_client_id = await client.fetch_order(None, "BTC/USDT", {"origClientOrderId": "gtc-1"})
    assert by_id["id"] == by_client_id["id"] == order["id"] and by_id["price"] == price
    assert [o["id"] for o in await client.fetch_open_orders("BTC/USDT")] == [order["id"]]
    assert (await client.fetch_balance())["USDT"]["used"] == pytest.approx(price * 0.001)
    canceled = await client.cancel_order(order["id"], "BTC/USDT")
    assert canceled["status"] == "canceled" and await client.fetch_open_orders("BTC/USDT") == []
    assert (await client.fetch_balance())["USDT"]["used"] == 0


async def test_limit_ioc_and_fok_that_cannot_rest_do_not_stay_open(client: Any) -> None:
    price = await below_market(client)
    ioc = await client.create_order("BTC/USDT", "limit", "buy", 0.001, price, {"timeInForce": "IOC"})
    fok = await client.create_order("BTC/USDT", "limit", "buy", 0.001, price, {"timeInForce": "FOK"})
    assert ioc["status"] == fok["status"] == "expired" and ioc["filled"] == fok["filled"] == 0
    ask = (await client.fetch_order_book("BTC/USDT", 5))["asks"][0][0]
    taken = await client.create_order("BTC/USDT", "limit", "buy", 0.0001, ask * 1.01, {"timeInForce": "FOK"})
    assert taken["status"] == "closed" and taken["filled"] == 0.0001 and taken["average"] <= ask * 1.01


async def test_limit_maker_that_would_cross_is_rejected(client: Any) -> None:
    ask = (await client.fetch_order_book("BTC/USDT", 5))["asks"][0][0]
    with pytest.raises(ccxt.OrderImmediatelyFillable):
        await client.create_order("BTC/USDT", "limit", "buy", 0.001, ask * 1.01, {"postOnly": True})


def zigzag_file(path: Path, rows: int = 3000) -> Path:
    """Flat ETH candles at 2000, and every 10th swinging 1% either way through any resting order."""
    lines = ["open_time,open,high,low,close,volume"]
    for i in range(rows):
        stamp = time.strftime("%Y-%m-%d %H:%M:%S+00:00", time.gmtime(1_677_628_800 + 60 * i))
        high, low = ("2020.00", "1980.00") if i % 10 == 0 else ("2000.00", "2000.00")
        lines.append(f"{stamp},2000.00,{high},{low},2000.00,50")
    path.write_text("\n".join(lines) + "\n")
    return path


async def place_resting(client: Any, side: str, price: float) -> Any:
    """A post-only order, placed again if a swing happened to be passing through its price."""
    for _ in range(10):
        try:
            return await client.create_order("ETH/USDT", "limit", side, 0.01, price, {"postOnly": True})
        except ccxt.OrderImmediatelyFillable:
            await asyncio.sleep(0.03)
    raise AssertionError(f"could not rest a {side} at {price}")


async def test_resting_orders_fill_as_maker_at_their_price_from_the_simulated_trades(tmp_path: Path) -> None:
    paper = PaperServer(
        paper_symbols=("ETH/USDT",), paper_candles_file=zigzag_file(tmp_path / "eth.csv"), paper_fill_share=1
    ).start()
    key, secret = paper.create_account(FUNDS)
    client = create_binance(venue="paper", paper_url=paper.http, api_key=key, secret=secret)
    try:
        await client.load_markets()
        sell = await place_resting(client, "sell", 2010)
        buy = await place_resting(client, "buy", 1990)
        # A swing may fill an order between its acceptance and the answer; either way it rested.
        assert {sell["status"], buy["status"]} <= {"open", "closed"}
        for order, price in ((sell, 2010.0), (buy, 1990.0)):
            for _ in range(200):  # a swing comes every second
                status = await client.fetch_order(order["id"], "ETH/USDT")
                if status["status"] == "closed":
                    break
                await asyncio.sleep(0.05)
            assert status["status"] == "closed", f"{order['side']} at {price} did not fill"
            mine = [t for t in await client.fetch_my_trades("ETH/USDT") if t["order"] == order["id"]]
            assert mine and all(t["takerOrMaker"] == "maker" and t["price"] == price for t in mine), mine
            assert status["filled"] == pytest.approx(sum(t["amount"] for t in mine)) == 0.01
    finally:
        await client.close()
        paper.stop()


async def test_fetch_orders_lists_every_order_of_the_symbol_in_id_order(client: Any) -> None:
    price = await below_market(client)
    ids = [(await client.create_order("BTC/USDT", "limit", "buy", 0.001, price))["id"] for _ in range(3)]
    await client.create_order("BTC/USDT", "market", "sell", 0.001)
    orders = await client.fetch_orders("BTC/USDT")
    assert [o["id"] for o in orders][:3] == ids and orders[-1]["status"] == "closed"


async def test_errors_map_to_the_ccxt_exception_classes_live_binance_gives(
    client: Any, paper: PaperServer
) -> None:
    price = await below_market(client)
    with pytest.raises(ccxt.InsufficientFunds):
        await client.create_order("BTC/USDT", "limit", "buy", 10, price)
    with pytest.raises(ccxt.InvalidOrder):  # -1013 Filter failure: PRICE_FILTER
        await client.create_order("BTC/USDT", "limit", "sell", 0.001, 2_000_000)
    with pytest.raises(ccxt.BadRequest):  # -1013 Filter failure: NOTIONAL
        await client.create_order("BTC/USDT", "limit", "buy", 0.00001, price)
    with pytest.raises(ccxt.OrderNotFound):
        await client.fetch_order("999999999", "BTC/USDT")
    with pytest.raises(ccxt.OrderNotFound):
        await client.cancel_order("999999999", "BTC/USDT")
    await client.create_order("BTC/USDT", "limit", "buy", 0.001, price, {"clientOrderId": "twice"})
    with pytest.raises(ccxt.InvalidOrder, match="Duplicate order sent"):
        await client.create_order("BTC/USDT", "limit", "buy", 0.001, price, {"clientOrderId": "twice"})
    key, secret = paper.create_account(FUNDS)
    for api_key, wrong_secret in ((key, secret[::-1]), ("nosuchkey", secret)):
        stranger = create_binance(venue="paper", paper_url=paper.http, api_key=api_key, secret=wrong_secret)
        try:
            with pytest.raises(ccxt.AuthenticationError):
                await stranger.fetch_balance()
        finally:
            await stranger.close()


async def test_a_read_only_key_reads_but_cannot_trade(paper: PaperServer) -> None:
    key, secret = paper.create_account(FUNDS, can_trade=False)
    client = create_binance(venue="paper", paper_url=paper.http, api_key=key, secret=secret)
    try:
        with pytest.raises(ccxt.AuthenticationError):  # -2015
            await client.create_order("BTC/USDT", "market", "buy", 0.001)
        assert (await client.fetch_balance())["USDT"]["free"] == 100000
        with pytest.raises(ccxt.DDoSProtection):  # ccxt reads -2015 after a success as a temporary ban
            await client.create_order("BTC/USDT", "market", "buy", 0.001)
        assert await client.fetch_open_orders("BTC/USDT") == []
    finally:
        await client.close()


async def test_signed_requests_check_timestamp_and_carry_order_counts(
    client: Any, paper: PaperServer
) -> None:
    client.options["recvWindow"] = 1
    client.options["timeDifference"] = 5000  # the client's clock 5 s behind
    with pytest.raises(ccxt.InvalidNonce):
        await client.fetch_balance()
    client.options["timeDifference"] = 0
    client.options["recvWindow"] = 10_000
    client.enableLastResponseHeaders = True
    await client.create_order("BTC/USDT", "market", "buy", 0.001)
    headers = {name.lower(): value for name, value in client.last_response_headers.items()}
    assert int(headers["x-mbx-order-count-10s"]) >= 1 and int(headers["x-mbx-order-count-1d"]) >= 1
    async with httpx.AsyncClient(base_url=paper.http) as http:
        info = (await http.get("/api/v3/exchangeInfo")).json()
    assert "STOP_LOSS_LIMIT" in info["symbols"][0]["orderTypes"]


async def test_test_order_validates_without_placing(client: Any) -> None:
    price = await below_market(client)
    await client.create_order("BTC/USDT", "limit", "buy", 0.001, price, {"test": True})
    assert await client.fetch_open_orders("BTC/USDT") == []
    with pytest.raises(ccxt.InvalidOrder):
        await client.create_order("BTC/USDT", "limit", "buy", 0.001, 2_000_000, {"test": True})


async def test_watch_orders_trades_and_balance_receive_user_data_events(client: Any) -> None:
    orders = asyncio.create_task(client.watch_orders("BTC/USDT"))
    trades = asyncio.create_task(client.watch_my_trades("BTC/USDT"))
    balance = asyncio.create_task(client.watch_balance())
    await asyncio.sleep(0.3)
    placed = await client.create_order("BTC/USDT", "market", "buy", 0.002)
    seen_orders, seen_trades, seen_balance = await asyncio.wait_for(
        asyncio.gather(orders, trades, balance), 10
    )
    assert seen_orders[-1]["id"] == placed["id"]
    assert {t["order"] for t in seen_trades} == {placed["id"]} and seen_trades[0]["fee"]["currency"] == "BTC"
    assert seen_balance["BTC"]["free"] == pytest.approx(1.002 - 0.000002, abs=1e-12)
