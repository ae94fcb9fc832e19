"""Symbol, order shape and the exchange's filters: exact parameters the venue would take, or a refusal."""

from __future__ import annotations

from decimal import Decimal

import pytest

from services.risk_gate.checks import (
    LOT_SIZE,
    NOTIONAL,
    ORDER_SHAPE,
    PRICE_FILTER,
    SYMBOL_ALLOWED,
    SYMBOL_TRADING,
)
from services.risk_gate.checks.market import (
    lot_size,
    notional,
    order_shape,
    price_filter,
    symbol_allowed,
    symbol_trading,
)
from services.risk_gate.model import Failure, Proposal
from shared.domain.enums import OrderSide
from tests.unit.risk_gate.support import (
    NOW,
    D,
    by_quote,
    limits,
    market,
    market_order,
    proposal,
    rules,
    run,
    seconds,
)


def refused(failure: Failure | None, check: str) -> str:
    assert failure is not None and failure.check == check, failure
    return failure.reason


# symbol


def test_with_no_allow_list_every_listed_symbol_is_allowed() -> None:
    assert run(symbol_allowed, lim=limits(allowed_symbols=None)) is None


def test_a_symbol_on_the_allow_list_passes() -> None:
    assert run(symbol_allowed, lim=limits(allowed_symbols=frozenset({"BTC/USDT", "ETH/USDT"}))) is None


def test_a_symbol_off_the_allow_list_is_refused_naming_the_allowed_ones() -> None:
    reason = refused(run(symbol_allowed, lim=limits(allowed_symbols=frozenset({"ETH/USDT"}))), SYMBOL_ALLOWED)
    assert reason == "BTC/USDT is not among your allowed symbols (ETH/USDT)"


def test_an_empty_allow_list_allows_nothing() -> None:
    assert run(symbol_allowed, lim=limits(allowed_symbols=frozenset())) is not None


def test_a_symbol_the_venue_does_not_list_is_refused() -> None:
    assert refused(run(symbol_trading, mkt=market(rules=None)), SYMBOL_TRADING) == (
        "BTC/USDT is not listed on paper"
    )


def test_a_symbol_that_is_not_trading_is_refused() -> None:
    assert "not trading" in refused(run(symbol_trading, mkt=market(trading=False)), SYMBOL_TRADING)


def test_market_data_for_another_symbol_is_refused_rather_than_trusted() -> None:
    assert run(symbol_trading, mkt=market(rules=rules(symbol="ETH/USDT"))) is not None


def test_a_listed_trading_symbol_passes() -> None:
    assert run(symbol_trading) is None


# order shape


@pytest.mark.parametrize(
    "changes",
    [
        {"quantity": D("0.1"), "quote_quantity": D("100")},
        {"quantity": None, "quote_quantity": None},
        {"quantity": D("0")},
        {"quantity": D("-0.1")},
        {"quantity": D("NaN")},
        {"quantity": D("Infinity")},
        {"limit_price": D("0")},
        {"limit_price": None},
        {"quantity": None, "quote_quantity": D("3000")},
    ],
    ids=[
        "both",
        "neither",
        "zero",
        "negative",
        "nan",
        "infinite",
        "zero-price",
        "no-price",
        "limit-by-quote",
    ],
)
def test_a_malformed_limit_order_is_refused(changes: dict[str, Decimal | None]) -> None:
    assert refused(run(order_shape, proposal(**changes)), ORDER_SHAPE)


def test_a_market_order_with_a_limit_price_is_refused() -> None:
    assert run(order_shape, market_order(limit_price=D("30000"))) is not None


@pytest.mark.parametrize(
    "order", [proposal(), market_order(), by_quote("100")], ids=["limit", "market", "quote"]
)
def test_well_formed_orders_pass_the_shape_check(order: Proposal) -> None:
    assert run(order_shape, order) is None


# PRICE_FILTER


def test_a_limit_price_on_the_tick_passes_and_half_a_tick_off_is_refused_not_rounded() -> None:
    assert run(price_filter, proposal(limit_price=D("30000.01"))) is None
    reason = refused(run(price_filter, proposal(limit_price=D("30000.015"))), PRICE_FILTER)
    assert reason == "limit price 30000.015 is not a multiple of the tick size 0.01"


def test_trailing_zeros_do_not_make_a_price_unquantised() -> None:
    assert run(price_filter, proposal(limit_price=D("30000.0100000"))) is None


def test_the_minimum_price_passes_and_one_tick_below_is_refused() -> None:
    low = rules(min_price=D("100.00"))
    assert run(price_filter, proposal(limit_price=D("100.00")), mkt=market(rules=low)) is None
    reason = refused(run(price_filter, proposal(limit_price=D("99.99")), mkt=market(rules=low)), PRICE_FILTER)
    assert reason == "limit price 99.99 is below the exchange minimum 100"


def test_the_maximum_price_passes_and_one_tick_above_is_refused() -> None:
    assert run(price_filter, proposal(limit_price=D("1000000.00"))) is None
    assert run(price_filter, proposal(limit_price=D("1000000.01"))) is not None


def test_zero_price_bounds_and_tick_mean_no_bound() -> None:
    unbounded = market(rules=rules(tick_size=D(0), min_price=D(0), max_price=D(0)))
    assert run(price_filter, proposal(limit_price=D("123456789.123456789")), mkt=unbounded) is None


def test_market_orders_have_no_price_to_filter() -> None:
    assert run(price_filter, market_order()) is None


# LOT_SIZE and MARKET_LOT_SIZE


def test_a_quantity_on_the_step_passes_and_half_a_step_off_is_refused_not_rounded() -> None:
    assert run(lot_size, proposal(quantity=D("0.12345"))) is None
    reason = refused(run(lot_size, proposal(quantity=D("0.123455"))), LOT_SIZE)
    assert reason == "quantity 0.123455 BTC is not a multiple of the step size 0.00001 (LOT_SIZE)"


def test_the_minimum_quantity_passes_and_one_step_below_is_refused() -> None:
    higher = market(rules=rules(min_qty=D("0.001")))
    assert run(lot_size, proposal(quantity=D("0.001")), mkt=higher) is None
    reason = refused(run(lot_size, proposal(quantity=D("0.00099")), mkt=higher), LOT_SIZE)
    assert reason == "quantity 0.00099 BTC is below the minimum 0.001 (LOT_SIZE)"


def test_the_maximum_quantity_passes_and_one_step_above_is_refused() -> None:
    assert run(lot_size, proposal(quantity=D("9000"))) is None
    assert run(lot_size, proposal(quantity=D("9000.00001"))) is not None


def test_a_market_order_also_meets_the_tighter_market_lot_size_maximum() -> None:
    assert run(lot_size, market_order(quantity=D("100"))) is None
    reason = refused(run(lot_size, market_order(quantity=D("100.00001"))), LOT_SIZE)
    assert reason == "quantity 100.00001 BTC is above the maximum 100 (MARKET_LOT_SIZE)"
    assert run(lot_size, proposal(quantity=D("100.00001"))) is None


def test_a_market_order_meets_both_steps() -> None:
    coarse = market(rules=rules(market_step_size=D("0.001")))
    assert run(lot_size, market_order(quantity=D("0.123")), mkt=coarse) is None
    assert "MARKET_LOT_SIZE" in refused(
        run(lot_size, market_order(quantity=D("0.12345")), mkt=coarse), LOT_SIZE
    )


def test_a_quote_amount_must_sit_on_the_quote_precision() -> None:
    assert run(lot_size, by_quote("10.12345678")) is None
    reason = refused(run(lot_size, by_quote("10.123456789")), LOT_SIZE)
    assert reason == "quote amount 10.123456789 USDT is not a multiple of 0.00000001 USDT"


def test_a_quote_amount_whose_estimated_quantity_is_under_the_minimum_is_refused() -> None:
    # 0.001 BTC at the reference 30000 is 30 USDT.
    higher = market(rules=rules(market_min_qty=D("0.001")))
    assert run(lot_size, by_quote("30"), mkt=higher) is None
    reason = refused(run(lot_size, by_quote("29.99999999"), mkt=higher), LOT_SIZE)
    assert reason.startswith(
        "29.99999999 USDT buys about 0.00099999 BTC at the reference 30000, below the minimum"
    )


def test_a_quote_amount_that_buys_less_than_one_step_is_refused() -> None:
    assert run(lot_size, by_quote("0.3")) is None  # 0.00001 BTC
    assert run(lot_size, by_quote("0.29999999")) is not None


def test_a_quote_amount_whose_estimated_quantity_is_over_the_market_maximum_is_refused() -> None:
    assert run(lot_size, by_quote("3000000")) is None  # 100 BTC
    reason = refused(run(lot_size, by_quote("3000000.00000001", side=OrderSide.SELL)), LOT_SIZE)
    assert "sells about" in reason and "above the maximum 100 BTC (MARKET_LOT_SIZE)" in reason


def test_a_quote_amount_without_a_fresh_reference_fails_closed() -> None:
    assert run(lot_size, by_quote("100"), mkt=market(reference_price=None)) is not None
    assert run(lot_size, by_quote("100"), mkt=market(reference_at=NOW - seconds(31))) is not None


# NOTIONAL


def test_the_minimum_notional_passes_and_one_tick_below_is_refused() -> None:
    assert run(notional, proposal(quantity=D("0.00025"), limit_price=D("20000.00"))) is None
    reason = refused(run(notional, proposal(quantity=D("0.00025"), limit_price=D("19999.99"))), NOTIONAL)
    assert reason == "order value 4.9999975 USDT is below the exchange minimum of 5 USDT"


def test_the_maximum_notional_passes_and_one_cent_above_is_refused() -> None:
    capped = market(rules=rules(max_notional=D("1000")))
    assert run(notional, proposal(quantity=D("0.1"), limit_price=D("10000.00")), mkt=capped) is None
    reason = refused(
        run(notional, proposal(quantity=D("0.1"), limit_price=D("10000.10")), mkt=capped), NOTIONAL
    )
    assert reason == "order value 1000.01 USDT is above the exchange maximum of 1000 USDT"


def test_a_market_order_by_quantity_is_valued_at_the_reference_price() -> None:
    assert run(notional, market_order(quantity=D("0.0002")), mkt=market(reference_price=D("25000"))) is None
    assert (
        run(notional, market_order(quantity=D("0.0002")), mkt=market(reference_price=D("24999.99")))
        is not None
    )


def test_a_market_order_by_quote_amount_is_valued_at_that_amount() -> None:
    assert run(notional, by_quote("5")) is None
    assert run(notional, by_quote("4.99999999")) is not None


def test_a_market_order_by_quantity_without_a_fresh_reference_fails_closed() -> None:
    assert run(notional, market_order(), mkt=market(reference_price=None)) is not None


def test_a_limit_order_needs_no_reference_for_its_notional() -> None:
    assert run(notional, proposal(), mkt=market(reference_price=None)) is None


def test_zero_notional_bounds_mean_no_bound() -> None:
    open_ended = market(rules=rules(min_notional=D(0), max_notional=D(0)))
    assert run(notional, proposal(quantity=D("0.00001"), limit_price=D("0.01")), mkt=open_ended) is None
