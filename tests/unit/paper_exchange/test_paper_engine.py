"""The trading engine on a real simulated market: balances, fills, partial fills, persistence."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from services.paper_exchange.errors import BinanceError
from services.paper_exchange.exchange import PaperExchange
from services.paper_exchange.faults import FaultRegistry
from services.paper_exchange.hub import Connection, Hub
from services.paper_exchange.metrics import PaperMetrics
from services.paper_exchange.orders import read_order
from services.paper_exchange.simulator import Trade
from services.paper_exchange.user_hub import UserStreams
from shared.config.settings import PaperExchangeSettings
from shared.telemetry.metrics import create_registry

D = Decimal


def build(state_dir: Path | None = None, **overrides: object) -> PaperExchange:
    settings = PaperExchangeSettings(
        paper_symbols=("BTC/USDT",), paper_history_candles=0, paper_state_dir=state_dir, **overrides
    )
    metrics = PaperMetrics(create_registry())
    return PaperExchange.build(settings, Hub(), FaultRegistry(), metrics, UserStreams())


@pytest.fixture
def exchange() -> PaperExchange:
    return build()


def place(exchange: PaperExchange, key: str, **params: str):  # type: ignore[no-untyped-def]
    market = exchange.markets["BTCUSDT"]
    request = read_order({"timeInForce": "GTC", **params}, market.spec, market.last_price)
    return exchange.engine.place(exchange.engine.accounts.by_key[key], request)


def funded(exchange: PaperExchange, usdt: str = "100000", btc: str = "1") -> str:
    return exchange.engine.accounts.create({"USDT": D(usdt), "BTC": D(btc)}, True, 0).api_key


def balance(exchange: PaperExchange, key: str, asset: str) -> tuple[Decimal, Decimal]:
    account = exchange.engine.accounts.by_key[key]
    return account.free[asset], account.locked[asset]


def trade(price: Decimal, qty: str = "1") -> Trade:
    return Trade(1, 0, price, D(qty), False)


def test_market_buy_pays_the_book_and_receives_base_less_commission(exchange: PaperExchange) -> None:
    key = funded(exchange)
    order, fills = place(exchange, key, side="BUY", type="MARKET", quantity="0.01")
    cost = sum((f.price * f.qty for f in fills), D(0))
    assert order.status == "FILLED" and order.executed_qty == D("0.01") and order.cumm_quote == cost
    assert balance(exchange, key, "USDT") == (D("100000") - cost, 0)
    assert balance(exchange, key, "BTC") == (D("1.01") - D("0.00001"), 0)
    assert all(f.commission_asset == "BTC" for f in fills)


def test_market_sell_receives_quote_less_commission_in_quote(exchange: PaperExchange) -> None:
    key = funded(exchange)
    _, fills = place(exchange, key, side="SELL", type="MARKET", quantity="0.5")
    proceeds = sum((f.price * f.qty for f in fills), D(0))
    fees = sum((f.commission for f in fills), D(0))
    assert balance(exchange, key, "USDT")[0] == D("100000") + proceeds - fees
    assert balance(exchange, key, "BTC") == (D("0.5"), 0)


def test_market_buy_by_quote_amount_spends_at_most_that_amount(exchange: PaperExchange) -> None:
    key = funded(exchange)
    order, _ = place(exchange, key, side="BUY", type="MARKET", quoteOrderQty="100")
    assert order.status == "FILLED" and order.orig_qty == order.executed_qty > 0
    assert D("99") < order.cumm_quote <= D("100")


def test_a_resting_buy_locks_quote_and_a_cancel_frees_it_exactly(exchange: PaperExchange) -> None:
    key = funded(exchange)
    price = exchange.markets["BTCUSDT"].last_price - 1000
    order, fills = place(exchange, key, side="BUY", type="LIMIT", quantity="0.1", price=str(price))
    assert not fills and order.status == "NEW"
    assert balance(exchange, key, "USDT") == (D("100000") - price * D("0.1"), price * D("0.1"))
    account = exchange.engine.accounts.by_key[key]
    exchange.engine.cancel(account, order, "c1")
    assert order.status == "CANCELED" and balance(exchange, key, "USDT") == (D("100000"), 0)
    with pytest.raises(BinanceError) as again:
        exchange.engine.cancel(account, order, "c2")
    assert again.value.code == -2011


def test_resting_limit_fills_partially_by_a_share_of_each_crossing_trade(exchange: PaperExchange) -> None:
    key = funded(exchange)
    price = exchange.markets["BTCUSDT"].last_price - 1000
    order, _ = place(exchange, key, side="BUY", type="LIMIT", quantity="0.5", price=str(price))
    exchange.engine.on_trades("BTCUSDT", [trade(price + 1), trade(price, "0.4")])  # one above, one at
    assert order.status == "PARTIALLY_FILLED" and order.executed_qty == D("0.1")  # 25% of 0.4
    assert balance(exchange, key, "USDT")[1] == price * D("0.4")
    exchange.engine.on_trades("BTCUSDT", [trade(price - 5, "4")])
    assert order.status == "FILLED" and order.executed_qty == D("0.5")
    assert balance(exchange, key, "USDT") == (D("100000") - price * D("0.5"), 0)  # maker fills at its price
    assert balance(exchange, key, "BTC")[0] == D("1.5") - D("0.0005")
    assert not exchange.engine.open["BTCUSDT"]


def test_duplicate_open_client_id_and_insufficient_balance_are_minus_2010(exchange: PaperExchange) -> None:
    key = funded(exchange, usdt="1000")
    price = str(exchange.markets["BTCUSDT"].last_price - 1000)
    place(exchange, key, side="BUY", type="LIMIT", quantity="0.001", price=price, newClientOrderId="same")
    with pytest.raises(BinanceError) as duplicate:
        place(exchange, key, side="BUY", type="LIMIT", quantity="0.001", price=price, newClientOrderId="same")
    assert (duplicate.value.code, duplicate.value.msg) == (-2010, "Duplicate order sent.")
    with pytest.raises(BinanceError) as poor:
        place(exchange, key, side="BUY", type="LIMIT", quantity="1", price=price)
    assert poor.value.msg == "Account has insufficient balance for requested action."
    assert balance(exchange, key, "USDT")[0] == D("1000") - D(price) * D("0.001")


def test_limit_maker_that_would_take_is_rejected_and_fok_that_cannot_fill_expires(
    exchange: PaperExchange,
) -> None:
    key = funded(exchange, usdt="10000000")
    ask = exchange.markets["BTCUSDT"].book.top()[1][0]
    with pytest.raises(BinanceError) as maker:
        place(exchange, key, side="BUY", type="LIMIT_MAKER", quantity="0.001", price=str(ask))
    assert maker.value.msg == "Order would immediately match and take."
    order, fills = place(
        exchange, key, side="BUY", type="LIMIT", timeInForce="FOK", quantity="50", price=str(ask)
    )
    assert order.status == "EXPIRED" and not fills and balance(exchange, key, "USDT") == (D("10000000"), 0)
    order, fills = place(
        exchange, key, side="BUY", type="LIMIT", timeInForce="IOC", quantity="50", price=str(ask)
    )
    assert (
        order.status == "EXPIRED" and 0 < order.executed_qty < 50 and balance(exchange, key, "USDT")[1] == 0
    )


def test_stop_loss_limit_waits_for_its_trigger_then_fills_as_a_limit(exchange: PaperExchange) -> None:
    key = funded(exchange)
    last = exchange.markets["BTCUSDT"].last_price
    stop, limit = last - 500, last - 600
    order, _ = place(exchange, key, side="SELL", type="STOP_LOSS_LIMIT", quantity="0.01", price=str(limit),
                     stopPrice=str(stop))  # fmt: skip
    assert not order.is_working and balance(exchange, key, "BTC") == (D("0.99"), D("0.01"))
    exchange.engine.on_trades("BTCUSDT", [trade(stop + 1)])
    assert not order.is_working
    exchange.engine.on_trades("BTCUSDT", [trade(stop), trade(limit + 10)])
    assert order.is_working and order.status == "FILLED"
    with pytest.raises(BinanceError) as immediate:
        place(exchange, key, side="SELL", type="STOP_LOSS_LIMIT", quantity="0.01", price=str(last + 100),
              stopPrice=str(last + 50))  # fmt: skip
    assert immediate.value.msg == "Stop price would trigger immediately."


def test_user_events_carry_execution_reports_then_the_account_position(exchange: PaperExchange) -> None:
    key = funded(exchange)
    connection = Connection(False, 1000)
    exchange.users.subscribers[key] = {connection: 7}
    order, fills = place(exchange, key, side="BUY", type="MARKET", quantity="0.01")
    frames = [json.loads(f) for f in connection.outbox]
    assert all(f["subscriptionId"] == 7 for f in frames)
    events = [f["event"] for f in frames]
    assert [e.get("x") for e in events[:-1]] == ["NEW"] + ["TRADE"] * len(fills)
    assert (
        events[-2]["X"] == "FILLED" and events[-2]["z"] == "0.01000000" and events[-2]["i"] == order.order_id
    )
    assert [e["t"] for e in events[1:-1]] == [f.trade_id for f in fills]
    assert events[-1]["e"] == "outboundAccountPosition" and {b["a"] for b in events[-1]["B"]} == {
        "BTC",
        "USDT",
    }


def test_accounts_orders_and_fills_survive_reopening_the_store(tmp_path: Path) -> None:
    first = build(tmp_path)
    key = funded(first)
    price = str(first.markets["BTCUSDT"].last_price - 1000)
    resting, _ = place(
        first, key, side="BUY", type="LIMIT", quantity="0.2", price=price, newClientOrderId="keep"
    )
    filled, fills = place(first, key, side="SELL", type="MARKET", quantity="0.1")
    before = first.engine.accounts.by_key[key]
    first.engine.store.close()

    second = build(tmp_path)
    after = second.engine.accounts.by_key[key]
    assert (after.secret, after.free, after.locked) == (before.secret, before.free, before.locked)
    assert [o.doc() for o in second.engine.open["BTCUSDT"].values()] == [resting.doc()]
    assert second.engine.store.find_order(key, "BTCUSDT", None, "keep") == resting
    assert second.engine.store.fills(key, "BTCUSDT", "", (), 100) == fills
    again, _ = place(second, key, side="BUY", type="MARKET", quantity="0.001")
    assert again.order_id == filled.order_id + 1  # ids continue, never reused
