"""The daily loss limit's reduce-only state, and free balance for the worst the order may spend."""

from __future__ import annotations

from services.risk_gate.checks import BALANCE, REDUCE_ONLY, reduce_only_active
from services.risk_gate.checks.account import balance, reduce_only
from services.risk_gate.model import Failure
from shared.domain.enums import OrderSide
from tests.unit.risk_gate.support import (
    LIMITS,
    NOW,
    D,
    account,
    by_quote,
    limits,
    market,
    market_order,
    proposal,
    run,
    seconds,
)

SELL = OrderSide.SELL
LONG_1 = {"positions": {"BTC/USDT": D("1")}}
LOSS_LIMIT_HIT = account(drawdown=D("2500"), **LONG_1)


def refused(failure: Failure | None, check: str) -> str:
    assert failure is not None and failure.check == check, failure
    return failure.reason


# reduce-only (daily loss limit)


def test_a_loss_exactly_at_the_daily_limit_puts_the_user_in_reduce_only_and_a_cent_less_does_not() -> None:
    assert reduce_only_active(LIMITS, account(drawdown=D("2500")))
    assert not reduce_only_active(LIMITS, account(drawdown=D("2499.99")))
    assert run(reduce_only, acct=account(drawdown=D("2499.99"))) is None


def test_in_reduce_only_an_order_adding_to_the_position_is_refused_with_the_reason() -> None:
    reason = refused(run(reduce_only, proposal(), acct=LOSS_LIMIT_HIT), REDUCE_ONLY)
    assert reason == (
        "reduce-only: today's loss of 2500.00 USDT has reached your daily limit of 2500 USDT; "
        "only sell orders that reduce your BTC/USDT position are accepted"
    )


def test_in_reduce_only_selling_up_to_the_whole_position_passes_and_one_step_more_is_refused() -> None:
    assert run(reduce_only, proposal(side=SELL, quantity=D("1")), acct=LOSS_LIMIT_HIT) is None
    reason = refused(
        run(reduce_only, proposal(side=SELL, quantity=D("1.00001")), acct=LOSS_LIMIT_HIT), REDUCE_ONLY
    )
    assert reason.endswith("you may sell at most 1 of your BTC/USDT position")


def test_the_accounts_reduce_only_flag_applies_without_any_loss() -> None:
    flagged = account(reduce_only=True, **LONG_1)
    reason = refused(run(reduce_only, proposal(), acct=flagged), REDUCE_ONLY)
    assert reason.startswith("reduce-only: your account is in reduce-only mode; ")
    assert run(reduce_only, proposal(side=SELL, quantity=D("0.5")), acct=flagged) is None


def test_in_reduce_only_nothing_passes_without_a_position_to_reduce() -> None:
    flat = account(reduce_only=True)
    assert "no BTC/USDT position" in refused(run(reduce_only, proposal(side=SELL), acct=flat), REDUCE_ONLY)


def test_in_reduce_only_orders_in_flight_count_so_reducing_orders_cannot_overshoot() -> None:
    selling = account(reduce_only=True, in_flight={"BTC/USDT": D("-0.4")}, **LONG_1)
    assert run(reduce_only, proposal(side=SELL, quantity=D("0.6")), acct=selling) is None
    assert run(reduce_only, proposal(side=SELL, quantity=D("0.60001")), acct=selling) is not None


def test_in_reduce_only_a_position_already_being_closed_leaves_nothing_to_reduce() -> None:
    closing = account(reduce_only=True, in_flight={"BTC/USDT": D("-1")}, **LONG_1)
    reason = refused(run(reduce_only, proposal(side=SELL, quantity=D("0.1")), acct=closing), REDUCE_ONLY)
    assert reason.endswith("orders in flight already close your BTC/USDT position")


def test_in_reduce_only_a_pending_buy_does_not_enlarge_what_may_be_sold() -> None:
    buying = account(reduce_only=True, in_flight={"BTC/USDT": D("0.5")}, **LONG_1)
    assert run(reduce_only, proposal(side=SELL, quantity=D("1")), acct=buying) is None
    assert run(reduce_only, proposal(side=SELL, quantity=D("1.00001")), acct=buying) is not None


def test_in_reduce_only_a_short_position_is_reduced_by_buying() -> None:
    short = account(reduce_only=True, positions={"BTC/USDT": D("-1")})
    assert run(reduce_only, proposal(quantity=D("1")), acct=short) is None
    assert run(reduce_only, proposal(side=SELL, quantity=D("0.1")), acct=short) is not None


def test_in_reduce_only_a_quote_amount_is_sized_at_the_reference() -> None:
    # 1 BTC at the reference 30000 is 30000 USDT.
    assert run(reduce_only, by_quote("30000", side=SELL), acct=LOSS_LIMIT_HIT) is None
    assert run(reduce_only, by_quote("30000.00000001", side=SELL), acct=LOSS_LIMIT_HIT) is not None


def test_in_reduce_only_a_quote_amount_without_a_fresh_reference_fails_closed() -> None:
    stale = market(reference_at=NOW - seconds(31))
    assert run(reduce_only, by_quote("100", side=SELL), mkt=stale, acct=LOSS_LIMIT_HIT) is not None


def test_the_daily_loss_limit_is_the_users() -> None:
    assert (
        run(reduce_only, lim=limits(daily_loss_limit=D("100")), acct=account(drawdown=D("100"))) is not None
    )


# balance (15c3-5: credit and capital thresholds)


def test_a_limit_buy_needs_price_times_quantity_exactly() -> None:
    # 0.1 BTC at 30000 is 3000 USDT.
    assert run(balance, acct=account(free_balances={"USDT": D("3000")})) is None
    reason = refused(run(balance, acct=account(free_balances={"USDT": D("2999.99")})), BALANCE)
    assert reason == "this buy needs 3000.00 USDT but only 2999.99 USDT is free"


def test_a_market_buy_by_quantity_needs_the_reference_raised_by_the_collar() -> None:
    # 0.1 BTC at up to 31500 (30000 + 5%) is 3150 USDT.
    assert run(balance, market_order(), acct=account(free_balances={"USDT": D("3150")})) is None
    reason = refused(
        run(balance, market_order(), acct=account(free_balances={"USDT": D("3149.99999999")})), BALANCE
    )
    assert reason == (
        "this buy needs 3150.00 USDT (at up to 31500, the reference plus the 5% collar) "
        "but only 3149.99999999 USDT is free"
    )


def test_a_market_buy_by_quote_amount_needs_that_amount() -> None:
    assert run(balance, by_quote("500"), acct=account(free_balances={"USDT": D("500")})) is None
    assert run(balance, by_quote("500.00000001"), acct=account(free_balances={"USDT": D("500")})) is not None


def test_a_sell_by_quantity_needs_that_much_of_the_base_asset() -> None:
    assert run(balance, proposal(side=SELL), acct=account(free_balances={"BTC": D("0.1")})) is None
    reason = refused(
        run(balance, proposal(side=SELL), acct=account(free_balances={"BTC": D("0.09999")})), BALANCE
    )
    assert reason == "this sell needs 0.1 BTC but only 0.09999 BTC is free"


def test_a_market_sell_by_quote_amount_needs_the_base_at_the_collars_low() -> None:
    # 0.1 BTC at 28500 (30000 - 5%) fetches 2850 USDT.
    btc = account(free_balances={"BTC": D("0.1")})
    assert run(balance, by_quote("2850", side=SELL), acct=btc) is None
    reason = refused(run(balance, by_quote("2850.00000001", side=SELL), acct=btc), BALANCE)
    assert reason.startswith(
        "selling 2850.00000001 USDT of BTC at market may take up to about 0.10000001 BTC"
    )


def test_an_asset_with_no_balance_has_none_free() -> None:
    assert run(balance, acct=account(free_balances={})) is not None
    assert run(balance, proposal(side=SELL), acct=account(free_balances={"USDT": D("1e9")})) is not None


def test_a_market_order_cannot_be_budgeted_without_a_fresh_reference() -> None:
    assert run(balance, market_order(), mkt=market(reference_price=None)) is not None


def test_a_limit_order_is_budgeted_without_the_reference() -> None:
    assert run(balance, mkt=market(reference_price=None)) is None


def test_balances_add_up_exactly_where_floats_would_not() -> None:
    # 0.1 + 0.2 is 0.30000000000000004 in floats; here 0.3 BTC at 1.00 needs exactly 0.3 USDT.
    order = proposal(quantity=D("0.1") + D("0.2"), limit_price=D("1.00"))
    assert run(balance, order, acct=account(free_balances={"USDT": D("0.3")})) is None
