"""Order size and exposure limits, counting orders in flight; reducing exposure always passes."""

from __future__ import annotations

from services.risk_gate.checks import MAX_ORDER_QUANTITY, MAX_ORDER_VALUE, MAX_POSITION, MAX_TOTAL_EXPOSURE
from services.risk_gate.checks.exposure import (
    max_order_quantity,
    max_order_value,
    max_position,
    max_total_exposure,
)
from services.risk_gate.model import Failure
from shared.domain.enums import OrderSide
from tests.unit.risk_gate.support import D, account, by_quote, limits, market, market_order, proposal, run

AT_25000 = market(reference_price=D("25000"))
"""At 25000 a position limit of 50000 is exactly 2 BTC."""


def refused(failure: Failure | None, check: str) -> str:
    assert failure is not None and failure.check == check, failure
    return failure.reason


# maximum order value (RTS 6 Art. 15(1)(b))


def test_an_order_worth_exactly_the_maximum_value_passes_and_one_cent_more_is_refused() -> None:
    assert run(max_order_value, proposal(quantity=D("1"), limit_price=D("25000.00"))) is None
    reason = refused(
        run(max_order_value, proposal(quantity=D("1"), limit_price=D("25000.01"))), MAX_ORDER_VALUE
    )
    assert reason == "order value 25000.01 USDT exceeds your limit of 25000 USDT"


def test_the_order_value_is_stated_exactly_in_the_reason() -> None:
    reason = refused(
        run(max_order_value, proposal(quantity=D("1.00000"), limit_price=D("30000.00"))), MAX_ORDER_VALUE
    )
    assert reason == "order value 30000.00 USDT exceeds your limit of 25000 USDT"
    odd = run(max_order_value, proposal(quantity=D("0.83334"), limit_price=D("30000.01")))
    assert refused(odd, MAX_ORDER_VALUE) == "order value 25000.2083334 USDT exceeds your limit of 25000 USDT"


def test_a_market_order_by_quantity_is_valued_at_the_reference() -> None:
    assert run(max_order_value, market_order(quantity=D("1")), mkt=AT_25000) is None
    assert run(max_order_value, market_order(quantity=D("1.00001")), mkt=AT_25000) is not None


def test_a_market_order_by_quote_amount_is_valued_at_that_amount() -> None:
    assert run(max_order_value, by_quote("25000")) is None
    assert run(max_order_value, by_quote("25000.00000001")) is not None


def test_the_order_value_fails_closed_without_a_fresh_reference() -> None:
    assert run(max_order_value, market_order(), mkt=market(reference_price=None)) is not None


# maximum order quantity (RTS 6 Art. 15(1)(c))


def test_without_a_quantity_cap_of_the_users_own_any_quantity_passes() -> None:
    assert run(max_order_quantity, proposal(quantity=D("8999"))) is None


def test_exactly_the_maximum_quantity_passes_and_one_step_more_is_refused() -> None:
    capped = limits(max_order_quantity=D("0.5"))
    assert run(max_order_quantity, proposal(quantity=D("0.5")), lim=capped) is None
    reason = refused(run(max_order_quantity, proposal(quantity=D("0.50001")), lim=capped), MAX_ORDER_QUANTITY)
    assert reason == "quantity 0.50001 BTC exceeds your limit of 0.5 BTC"


def test_a_quote_amounts_quantity_is_estimated_at_the_reference() -> None:
    capped = limits(max_order_quantity=D("0.5"))  # 15000 USDT at 30000
    assert run(max_order_quantity, by_quote("15000"), lim=capped) is None
    reason = refused(run(max_order_quantity, by_quote("15000.00000001"), lim=capped), MAX_ORDER_QUANTITY)
    assert reason.startswith("15000.00000001 USDT is about 0.50000001 BTC at the reference price 30000")


# maximum position per symbol, counting in-flight orders (Art. 15(2))


def test_a_position_exactly_at_the_limit_counting_orders_in_flight_passes_and_one_step_more_is_refused() -> (
    None
):
    held = account(positions={"BTC/USDT": D("1")}, in_flight={"BTC/USDT": D("0.5")})
    assert run(max_position, market_order(quantity=D("0.5")), mkt=AT_25000, acct=held) is None
    reason = refused(
        run(max_position, market_order(quantity=D("0.50001")), mkt=AT_25000, acct=held), MAX_POSITION
    )
    assert reason == (
        "your BTC/USDT position would be worth 50000.25 USDT counting open orders, "
        "above your limit of 50000 USDT"
    )


def test_a_position_is_valued_at_the_reference_not_the_limit_price() -> None:
    order = proposal(quantity=D("2"), limit_price=D("24000.00"))
    assert run(max_position, order, mkt=AT_25000) is None
    assert run(max_position, order, mkt=market(reference_price=D("25000.01"))) is not None


def test_orders_in_flight_count_against_the_position() -> None:
    pending = account(in_flight={"BTC/USDT": D("1.5")})
    assert run(max_position, market_order(quantity=D("0.5")), mkt=AT_25000, acct=pending) is None
    assert run(max_position, market_order(quantity=D("0.6")), mkt=AT_25000, acct=pending) is not None


def test_a_quote_amount_adds_exactly_its_value_to_the_position() -> None:
    held = account(positions={"BTC/USDT": D("1.5")})
    assert run(max_position, by_quote("12500"), mkt=AT_25000, acct=held) is None
    assert run(max_position, by_quote("12500.00000001"), mkt=AT_25000, acct=held) is not None


def test_an_order_reducing_a_position_over_the_limit_passes() -> None:
    over = account(positions={"BTC/USDT": D("3")})
    assert (
        run(max_position, proposal(side=OrderSide.SELL, quantity=D("0.5")), mkt=AT_25000, acct=over) is None
    )
    assert run(max_position, proposal(quantity=D("0.5")), mkt=AT_25000, acct=over) is not None


def test_the_position_limit_fails_closed_without_a_fresh_reference() -> None:
    assert run(max_position, mkt=market(reference_price=None)) is not None


def test_sums_are_exact_where_binary_floats_would_tip_over_the_limit() -> None:
    # 0.1 + 0.2 + 0.3 is 0.6000000000000001 in floats.
    tight = limits(max_position_notional=D("0.6"))
    held = account(positions={"BTC/USDT": D("0.1")}, in_flight={"BTC/USDT": D("0.2")})
    assert (
        run(
            max_position,
            market_order(quantity=D("0.3")),
            lim=tight,
            mkt=market(reference_price=D(1)),
            acct=held,
        )
        is None
    )


def test_38_digit_amounts_are_compared_without_rounding() -> None:
    # Python's default decimal context keeps 28 digits: it would round all three sums to 1E+19.
    one = D("0.000000000000000001")
    tight = limits(max_position_notional=D("10000000000000000000.000000000000000003"))
    held = account(
        positions={"BTC/USDT": D("10000000000000000000.000000000000000001")}, in_flight={"BTC/USDT": one}
    )
    at_one = market(reference_price=D(1))
    assert run(max_position, market_order(quantity=one), lim=tight, mkt=at_one, acct=held) is None
    assert run(max_position, market_order(quantity=D("2e-18")), lim=tight, mkt=at_one, acct=held) is not None


# total exposure across symbols


def _book() -> dict[str, object]:
    """ETH: 10 held + 5 in flight at 2000 = 30000; BTC: 2 at 25000 = 50000; 80000 in all."""
    return {
        "positions": {"BTC/USDT": D("2"), "ETH/USDT": D("10")},
        "in_flight": {"ETH/USDT": D("5")},
        "reference_prices": {"ETH/USDT": D("2000"), "BTC/USDT": D("99999")},
    }


def test_total_exposure_exactly_at_the_limit_passes_and_one_step_more_is_refused() -> None:
    book = account(**_book())
    assert run(max_total_exposure, market_order(quantity=D("0.8")), mkt=AT_25000, acct=book) is None
    reason = refused(
        run(max_total_exposure, market_order(quantity=D("0.80001")), mkt=AT_25000, acct=book),
        MAX_TOTAL_EXPOSURE,
    )
    assert reason == (
        "your total exposure would be 100000.25 USDT counting open orders, above your limit of 100000 USDT"
    )


def test_the_orders_symbol_is_valued_at_the_markets_reference_not_the_accounts() -> None:
    book = account(**_book())
    assert run(max_total_exposure, market_order(quantity=D("0.8")), mkt=AT_25000, acct=book) is None


def test_a_held_symbol_without_a_reference_price_fails_closed() -> None:
    book = account(**{**_book(), "reference_prices": {}})
    reason = refused(
        run(max_total_exposure, market_order(quantity=D("0.1")), mkt=AT_25000, acct=book), MAX_TOTAL_EXPOSURE
    )
    assert reason == "no reference price for ETH/USDT, so your total exposure cannot be valued: refusing"


def test_a_flat_symbol_needs_no_reference_price() -> None:
    flat = account(positions={"ETH/USDT": D("1")}, in_flight={"ETH/USDT": D("-1")})
    assert run(max_total_exposure, mkt=AT_25000, acct=flat) is None


def test_an_order_reducing_exposure_passes_even_over_the_limit_and_without_other_prices() -> None:
    over = account(positions={"BTC/USDT": D("5"), "ETH/USDT": D("100")})
    sell = market_order(side=OrderSide.SELL, quantity=D("1"))
    assert run(max_total_exposure, sell, mkt=AT_25000, acct=over) is None
    assert run(max_total_exposure, market_order(quantity=D("1")), mkt=AT_25000, acct=over) is not None


def test_total_exposure_fails_closed_without_a_fresh_reference() -> None:
    assert run(max_total_exposure, mkt=market(reference_price=None)) is not None
