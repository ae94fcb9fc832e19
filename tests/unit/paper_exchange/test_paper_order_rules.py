"""A new order's parameters and the symbol's filters are checked the way Binance checks them."""

from __future__ import annotations

from decimal import Decimal

import pytest

from services.paper_exchange.errors import BinanceError
from services.paper_exchange.markets import spec_for
from services.paper_exchange.matching import commission, resting_fill, slipped, take_book, triggered
from services.paper_exchange.orders import read_order

BTC = spec_for("BTC/USDT")  # tick 0.01, step 0.00001, min notional 5
AVG = Decimal("65000")
MARKET = {"type": "MARKET", "price": "", "timeInForce": ""}


def order(**params: str) -> dict[str, str]:
    return {
        "side": "BUY",
        "type": "LIMIT",
        "timeInForce": "GTC",
        "quantity": "0.001",
        "price": "60000",
        **params,
    }


def error_of(params: dict[str, str]) -> BinanceError:
    with pytest.raises(BinanceError) as error:
        read_order(params, BTC, AVG)
    return error.value


def test_a_valid_limit_order_reads_exactly_with_a_generated_client_id() -> None:
    request = read_order(order(), BTC, AVG)
    assert (request.price, request.quantity, request.resp_type) == (
        Decimal("60000"),
        Decimal("0.001"),
        "FULL",
    )
    assert len(request.client_order_id) == 22


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"price": "60000.001"}, "Filter failure: PRICE_FILTER"),
        ({"price": "0.001"}, "Filter failure: PRICE_FILTER"),
        ({"price": "2000000"}, "Filter failure: PRICE_FILTER"),
        ({"quantity": "0.000001"}, "Filter failure: LOT_SIZE"),
        ({"quantity": "0.000015"}, "Filter failure: LOT_SIZE"),
        ({"quantity": "9001"}, "Filter failure: LOT_SIZE"),
        ({"quantity": "0.00001"}, "Filter failure: NOTIONAL"),
        ({**MARKET, "quantity": "0.00005"}, "Filter failure: NOTIONAL"),
        ({**MARKET, "quantity": "", "quoteOrderQty": "4.99"}, "Filter failure: NOTIONAL"),
        ({**MARKET, "quantity": "91"}, "Filter failure: MARKET_LOT_SIZE"),
        ({"type": "STOP_LOSS_LIMIT", "stopPrice": "59000.005"}, "Filter failure: PRICE_FILTER"),
    ],
)  # fmt: skip
def test_filter_failures_are_minus_1013_naming_the_filter(params: dict[str, str], message: str) -> None:
    error = error_of(order(**params))
    assert (error.code, error.msg) == (-1013, message)


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"side": ""}, -1102), ({"side": "HOLD"}, -1117), ({"type": "STOP_LOSS"}, -1116),
        ({"timeInForce": ""}, -1102), ({"timeInForce": "GTX"}, -1115), ({"price": ""}, -1102),
        ({"quantity": "1e-3"}, -1100), ({"price": "-5"}, -1100), ({"type": "STOP_LOSS_LIMIT"}, -1102),
        ({"type": "MARKET", "timeInForce": ""}, -1106),
        ({"type": "MARKET", "price": "", "quantity": "", "quoteOrderQty": ""}, -1102),
        ({"newClientOrderId": "has spaces"}, -1100), ({"newOrderRespType": "ALL"}, -1177),
    ],
)  # fmt: skip
def test_missing_or_malformed_parameters_get_binance_codes(params: dict[str, str], code: int) -> None:
    assert error_of(order(**params)).code == code


def test_response_type_defaults_to_ack_for_stop_orders() -> None:
    request = read_order(order(type="STOP_LOSS_LIMIT", stopPrice="59000"), BTC, AVG)
    assert request.resp_type == "ACK" and request.stop_price == Decimal("59000")


ASKS = [
    (Decimal("100.00"), Decimal("1")),
    (Decimal("100.01"), Decimal("2")),
    (Decimal("100.02"), Decimal("5")),
]
STEP, TICK = Decimal("0.001"), Decimal("0.01")


def test_a_taker_walks_the_book_level_by_level() -> None:
    takes = take_book(ASKS, "BUY", quantity=Decimal("2.5"), step=STEP, tick=TICK, bps=Decimal(0))
    assert takes == [(Decimal("100.00"), Decimal("1")), (Decimal("100.01"), Decimal("1.5"))]


def test_a_limit_taker_stops_at_its_price() -> None:
    takes = take_book(ASKS, "BUY", quantity=Decimal("8"), limit=Decimal("100.01"), step=STEP, tick=TICK,
                      bps=Decimal(0))  # fmt: skip
    assert sum(q for _, q in takes) == Decimal("3")


def test_slippage_worsens_each_level_for_the_taker_but_never_past_the_limit() -> None:
    assert slipped(Decimal("100.00"), "BUY", Decimal("10"), TICK) == Decimal("100.10")
    assert slipped(Decimal("100.00"), "SELL", Decimal("10"), TICK) == Decimal("99.90")
    takes = take_book(ASKS[:1], "BUY", quantity=Decimal("1"), limit=Decimal("100.05"), step=STEP, tick=TICK,
                      bps=Decimal("10"))  # fmt: skip
    assert takes == [(Decimal("100.05"), Decimal("1"))]


def test_a_quote_amount_buys_whole_steps_within_the_amount() -> None:
    takes = take_book(ASKS, "BUY", quote=Decimal("150"), step=STEP, tick=TICK, bps=Decimal(0))
    assert takes == [(Decimal("100.00"), Decimal("1")), (Decimal("100.01"), Decimal("0.499"))]
    assert sum(p * q for p, q in takes) <= 150


def test_a_resting_order_fills_a_share_of_each_trade_in_whole_steps() -> None:
    assert resting_fill(Decimal("1"), Decimal("0.123"), Decimal("0.25"), STEP) == Decimal("0.030")
    assert resting_fill(Decimal("0.01"), Decimal("10"), Decimal("0.25"), STEP) == Decimal("0.01")
    assert resting_fill(Decimal("1"), Decimal("0.003"), Decimal("0.25"), STEP) == 0


@pytest.mark.parametrize(
    ("kind", "side", "price", "fires"),
    [("STOP_LOSS_LIMIT", "SELL", "99", True), ("STOP_LOSS_LIMIT", "SELL", "101", False),
     ("STOP_LOSS_LIMIT", "BUY", "101", True), ("STOP_LOSS_LIMIT", "BUY", "99", False),
     ("TAKE_PROFIT_LIMIT", "SELL", "101", True), ("TAKE_PROFIT_LIMIT", "SELL", "99", False),
     ("TAKE_PROFIT_LIMIT", "BUY", "99", True), ("TAKE_PROFIT_LIMIT", "BUY", "101", False)],
)  # fmt: skip
def test_stop_and_take_profit_trigger_on_the_trade_price(
    kind: str, side: str, price: str, fires: bool
) -> None:
    assert triggered(kind, side, Decimal("100"), Decimal(price)) is fires


def test_commission_is_a_rate_of_what_is_received_at_eight_decimals() -> None:
    assert commission(Decimal("0.01"), Decimal("0.001")) == Decimal("0.00001000")
    assert commission(Decimal("650.88490"), Decimal("0.001")) == Decimal("0.65088490")
    assert commission(Decimal("0.000015"), Decimal("0.001")) == Decimal("0.00000002")
