"""Commands quantised to the filters exactly, or refused with the filter's name before sending."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from services.executor.quantize import OrderRefused, fits_storage, prepare
from shared.domain.enums import OrderSide, OrderType, TimeInForce
from shared.domain.market_rules import MarketRules
from shared.messages.commands import SubmitOrder

D = Decimal
RULES = MarketRules(
    symbol="BTC/USDT", base="BTC", quote="USDT", tick_size=D("0.01"), min_price=D("0.01"),
    max_price=D("1000000"), step_size=D("0.00001"), min_qty=D("0.00001"), max_qty=D("9000"),
    market_step_size=D("0.00001"), market_min_qty=D("0"), market_max_qty=D("100"),
    min_notional=D("5"), max_notional=D("0"), quote_step=D("0.00000001"),
)  # fmt: skip


def cmd(**fields: Any) -> SubmitOrder:
    values: dict[str, Any] = {
        "intent_id": "i1", "user_id": "u1", "venue": "paper", "client_order_id": "cp-1",
        "symbol": "BTC/USDT", "side": OrderSide.BUY, "order_type": OrderType.LIMIT,
        "quantity": D("0.0012345"), "limit_price": D("30000.129"), "ts_event": datetime.now(UTC),
    }  # fmt: skip
    return SubmitOrder.model_validate({**values, **fields})


def test_limit_quantity_rounds_down_and_buy_price_rounds_down_to_the_tick() -> None:
    request = prepare(cmd(), RULES)
    assert request.quantity == D("0.00123") and request.price == D("30000.12")
    assert request.time_in_force == TimeInForce.GTC


def test_a_sell_price_rounds_up_so_quantising_never_worsens_it() -> None:
    assert prepare(cmd(side=OrderSide.SELL), RULES).price == D("30000.13")


def test_market_orders_carry_no_price_and_quote_amounts_go_as_quote() -> None:
    by_quote = prepare(
        cmd(order_type=OrderType.MARKET, quantity=None, limit_price=None, quote_quantity=D("10.123456789")),
        RULES,
    )
    assert (
        by_quote.price is None and by_quote.quantity is None and by_quote.quote_quantity == D("10.12345678")
    )
    assert prepare(cmd(order_type=OrderType.MARKET, limit_price=None), RULES).price is None


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"quantity": D("0.000001")}, "LOT_SIZE"),
        ({"quantity": D("100000")}, "LOT_SIZE"),
        ({"limit_price": D("2000000")}, "PRICE_FILTER"),
        ({"limit_price": D("0.001")}, "PRICE_FILTER"),
        ({"quantity": D("0.0001"), "limit_price": D("100")}, "NOTIONAL"),
        ({"quantity": None}, "needs quantity"),
        ({"quantity": None, "quote_quantity": D("10")}, "limit order needs"),
        ({"quote_quantity": D("10")}, "not both"),
        ({"order_type": OrderType.MARKET}, "no limit_price"),
        ({"order_type": OrderType.MARKET, "limit_price": None, "quantity": D("101")}, "LOT_SIZE"),
    ],
)
def test_bad_numbers_are_refused_with_the_filter_name(fields: dict[str, Any], reason: str) -> None:
    with pytest.raises(OrderRefused, match=reason):
        prepare(cmd(**fields), RULES)


def test_numbers_that_do_not_fit_numeric_38_18_are_detected() -> None:
    assert fits_storage(D("12345678901234567890.123456789012345678"))
    assert not fits_storage(D("1e21")) and not fits_storage(D("1e-19"))
