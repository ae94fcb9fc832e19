"""Injected trades (``POST /admin/trades``): the body's checks, and one print through the same path
as the simulated trades — fills by the fill-share rule, user and public streams, persistence."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from services.paper_exchange.admin import TradeError, read_trade
from services.paper_exchange.exchange import PaperExchange, listed_specs
from services.paper_exchange.faults import FaultRegistry
from services.paper_exchange.hub import Connection, Hub
from services.paper_exchange.metrics import PaperMetrics
from services.paper_exchange.model import Order
from services.paper_exchange.orders import read_order
from services.paper_exchange.simulator import Trade
from services.paper_exchange.stream_names import parse_stream
from services.paper_exchange.user_hub import UserStreams
from shared.config.settings import PaperExchangeSettings
from shared.telemetry.metrics import create_registry

D = Decimal
SPECS = listed_specs(PaperExchangeSettings())


def build(state_dir: Path | None = None) -> PaperExchange:
    settings = PaperExchangeSettings(
        paper_symbols=("BTC/USDT",),
        paper_history_candles=0,
        paper_state_dir=state_dir,
        paper_fill_share=D("0.25"),
    )
    return PaperExchange.build(
        settings, Hub(), FaultRegistry(), PaperMetrics(create_registry()), UserStreams()
    )


def resting_buy(exchange: PaperExchange, key: str, quantity: str = "0.010") -> Order:
    market = exchange.markets["BTCUSDT"]
    price = market.last_price - 1000
    params = {"side": "BUY", "type": "LIMIT", "timeInForce": "GTC", "quantity": quantity, "price": str(price)}
    order, fills = exchange.engine.place(
        exchange.engine.accounts.by_key[key], read_order(params, market.spec, market.last_price)
    )
    assert order.status == "NEW" and not fills
    return order


def funded(exchange: PaperExchange) -> str:
    return exchange.engine.accounts.create({"USDT": D("100000"), "BTC": D("1")}, True, 0).api_key


# -- THE BODY -----------------------------------------------------------------------------------


def test_read_trade_takes_decimal_strings_on_the_grid_and_any_case_of_symbol() -> None:
    assert read_trade({"symbol": "btcusdt", "price": "20000", "quantity": "0.016"}, SPECS) == (
        "BTCUSDT",
        D("20000.00"),
        D("0.01600"),
    )


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (["BTCUSDT", "1", "1"], "expected {"),
        ({"symbol": "BTCUSDT", "price": "1"}, "missing quantity"),
        ({"symbol": "BTCUSDT", "price": "1", "quantity": "1", "side": "BUY"}, "unknown side"),
        ({"symbol": "DOGEUSDT", "price": "1", "quantity": "1"}, 'unknown symbol "DOGEUSDT"; listed: BTCUSDT'),
        ({"symbol": 7, "price": "1", "quantity": "1"}, "unknown symbol 7"),
        ({"symbol": "BTCUSDT", "price": 20000.5, "quantity": "1"}, "price must be a decimal string"),
        ({"symbol": "BTCUSDT", "price": "abc", "quantity": "1"}, "price must be a decimal number"),
        ({"symbol": "BTCUSDT", "price": "NaN", "quantity": "1"}, "price must be a positive finite number"),
        ({"symbol": "BTCUSDT", "price": "Infinity", "quantity": "1"}, "positive finite"),
        ({"symbol": "BTCUSDT", "price": "-5", "quantity": "1"}, "positive finite"),
        ({"symbol": "BTCUSDT", "price": "0", "quantity": "1"}, "positive finite"),
        (
            {"symbol": "BTCUSDT", "price": "20000.001", "quantity": "1"},
            "price must be a whole multiple of 0.01",
        ),
        (
            {"symbol": "BTCUSDT", "price": "2000000", "quantity": "1"},
            "price must lie in [0.01000000, 1000000",
        ),
        (
            {"symbol": "BTCUSDT", "price": "20000", "quantity": "0.000015"},
            "quantity must be a whole multiple",
        ),
        ({"symbol": "BTCUSDT", "price": "20000", "quantity": "1e30"}, "quantity must lie in"),
    ],
)
def test_read_trade_refuses_a_bad_body_saying_why(body: Any, reason: str) -> None:
    with pytest.raises(TradeError) as refused:
        read_trade(body, SPECS)
    assert reason in str(refused.value)


# -- THE PRINT ----------------------------------------------------------------------------------


def test_an_injected_trade_at_a_resting_buys_price_fills_the_fill_share_of_its_quantity() -> None:
    exchange = build()
    key = funded(exchange)
    order = resting_buy(exchange, key)
    user, public = Connection(False, 1000), Connection(False, 1000)
    exchange.users.subscribers[key] = {user: 1}
    exchange.hub.add(public)
    exchange.hub.subscribe(public, [parse_stream("btcusdt@trade", exchange.specs)])

    trade = exchange.inject_trade("BTCUSDT", order.price, D("0.016"))  # 25% of 0.016 = 0.004

    assert order.status == "PARTIALLY_FILLED" and order.executed_qty == D("0.004")
    assert exchange.engine.open["BTCUSDT"][order.order_id] is order  # still resting for the rest
    [fill] = exchange.engine.store.fills(key, "BTCUSDT", "", (), 100)
    assert (fill.order_id, fill.price, fill.qty, fill.is_maker) == (
        order.order_id,
        order.price,
        D("0.004"),
        True,
    )
    assert fill.commission == D("0.00000400") and fill.commission_asset == "BTC"
    reports = [json.loads(frame)["event"] for frame in user.outbox]
    trade_report = next(r for r in reports if r.get("x") == "TRADE")
    assert (trade_report["X"], trade_report["l"], trade_report["z"]) == (
        "PARTIALLY_FILLED",
        "0.00400000",
        "0.00400000",
    )
    printed = [json.loads(frame) for frame in public.outbox]
    assert {"t": trade.id, "p": f"{order.price:.8f}", "q": "0.01600000", "m": True}.items() <= next(
        p for p in printed if p["t"] == trade.id
    ).items()


def test_inject_prints_at_the_markets_time_and_the_next_advance_releases_it_first() -> None:
    exchange = build()
    market = exchange.markets["BTCUSDT"]
    exchange.step()
    price = market.last_price - 1000

    trade = market.inject(price, D("0.5"))

    assert (trade.id, trade.time) == (market.next_trade_id - 1, market.now_ms)
    assert trade.buyer_is_maker  # below the last price: a seller hit the bids
    assert market.last_price == price and market.recent[-1] == trade
    assert market.forming.last_trade_id == trade.id and market.forming.low <= price
    released = market.advance(market.now_ms + 60_000, 10_000)
    trades = [t for t in released if isinstance(t, Trade)]
    assert trades[0] == trade and len(trades) > 1
    assert all(t.id > trade.id and t.time >= trade.time for t in trades[1:])


def test_injected_trades_fill_a_resting_order_step_by_step_and_never_past_its_quantity() -> None:
    exchange = build()
    order = resting_buy(exchange, funded(exchange))
    executed = []
    for _ in range(3):
        exchange.inject_trade("BTCUSDT", order.price, D("0.016"))
        executed.append(order.executed_qty)
    assert executed == [D("0.004"), D("0.008"), D("0.010")] and order.status == "FILLED"
    assert order.order_id not in exchange.engine.open["BTCUSDT"]


def test_a_print_above_a_resting_buy_fills_nothing() -> None:
    exchange = build()
    order = resting_buy(exchange, funded(exchange))
    exchange.inject_trade("BTCUSDT", order.price + D("0.01"), D("1"))
    assert order.status == "NEW" and order.executed_qty == 0


def test_a_partial_fill_from_an_injected_trade_survives_reopening_the_store(tmp_path: Path) -> None:
    first = build(tmp_path)
    key = funded(first)
    order = resting_buy(first, key)
    first.inject_trade("BTCUSDT", order.price, D("0.016"))
    first.engine.store.close()

    second = build(tmp_path)
    [reopened] = second.engine.open["BTCUSDT"].values()
    assert (reopened.status, reopened.executed_qty) == ("PARTIALLY_FILLED", D("0.004"))
    assert [f.qty for f in second.engine.store.fills(key, "BTCUSDT", "", (), 100)] == [D("0.004")]
