"""Price collars, per order and over a window, measured from a fresh reference price or not at all."""

from __future__ import annotations

from datetime import datetime

from services.risk_gate.checks import CUMULATIVE_COLLAR, PRICE_COLLAR, REFERENCE_PRICE
from services.risk_gate.checks.prices import cumulative_collar, price_collar, reference_price
from services.risk_gate.model import Failure
from tests.unit.risk_gate.support import (
    NOW,
    D,
    by_quote,
    limits,
    market,
    market_order,
    proposal,
    run,
    seconds,
)


def refused(failure: Failure | None, check: str) -> str:
    assert failure is not None and failure.check == check, failure
    return failure.reason


# the reference price: fail closed when missing or stale


def test_a_fresh_reference_passes() -> None:
    assert run(reference_price) is None


def test_a_reference_exactly_as_old_as_allowed_passes_and_one_second_older_fails_closed() -> None:
    assert run(reference_price, mkt=market(reference_at=NOW - seconds(30))) is None
    reason = refused(run(reference_price, mkt=market(reference_at=NOW - seconds(31))), REFERENCE_PRICE)
    assert reason == (
        "the reference price for BTC/USDT is 31 s old; at most 30 s is allowed: "
        "refusing rather than trading on a stale price"
    )


def test_the_age_limit_is_the_users() -> None:
    stale = market(reference_at=NOW - seconds(6))
    assert run(reference_price, lim=limits(reference_max_age_s=5), mkt=stale) is not None


def test_a_missing_reference_price_fails_closed() -> None:
    reason = refused(run(reference_price, mkt=market(reference_price=None)), REFERENCE_PRICE)
    assert reason == "no reference price for BTC/USDT: refusing rather than pricing the order blind"


def test_a_reference_price_without_a_timestamp_fails_closed() -> None:
    assert run(reference_price, mkt=market(reference_at=None)) is not None


def test_a_zero_reference_price_is_not_a_price() -> None:
    assert run(reference_price, mkt=market(reference_price=D(0))) is not None


def test_a_reference_from_far_in_the_future_means_a_broken_clock_and_fails_closed() -> None:
    assert run(reference_price, mkt=market(reference_at=NOW + seconds(30))) is None
    assert "in the future" in refused(
        run(reference_price, mkt=market(reference_at=NOW + seconds(31))), REFERENCE_PRICE
    )


def test_a_reference_timestamp_without_a_time_zone_fails_closed() -> None:
    naive = datetime(2025, 3, 3, 12, 0)
    assert "unknown age" in refused(run(reference_price, mkt=market(reference_at=naive)), REFERENCE_PRICE)


def test_a_limit_order_is_refused_too_without_a_fresh_reference() -> None:
    assert run(reference_price, proposal(), mkt=market(reference_price=None)) is not None


# per-order collar: 5% of the reference 30000 is 28500..31500


def test_a_limit_price_exactly_at_the_collar_passes_and_one_tick_beyond_is_refused() -> None:
    assert run(price_collar, proposal(limit_price=D("31500.00"))) is None
    assert run(price_collar, proposal(limit_price=D("28500.00"))) is None
    reason = refused(run(price_collar, proposal(limit_price=D("31500.01"))), PRICE_COLLAR)
    assert (
        reason
        == "limit price 31500.01 is more than 5% from the reference price 30000 (allowed 28500 to 31500)"
    )
    assert run(price_collar, proposal(limit_price=D("28499.99"))) is not None


def test_the_collar_width_is_the_users() -> None:
    assert (
        run(price_collar, proposal(limit_price=D("30300.01")), lim=limits(price_collar_pct=D("1")))
        is not None
    )
    assert run(price_collar, proposal(limit_price=D("30300.00")), lim=limits(price_collar_pct=D("1"))) is None


def test_a_market_orders_expected_price_is_the_reference_so_it_passes_when_fresh() -> None:
    assert run(price_collar, market_order()) is None
    assert run(price_collar, by_quote("100")) is None


def test_the_collar_fails_closed_without_a_fresh_reference_for_limit_and_market_orders() -> None:
    stale = market(reference_at=NOW - seconds(31))
    assert refused(run(price_collar, proposal(), mkt=stale), PRICE_COLLAR).startswith("no fresh reference")
    assert run(price_collar, market_order(), mkt=stale) is not None
    assert run(price_collar, market_order(), mkt=market(reference_price=None)) is not None


# cumulative collar: 10% of the window's first reference 30000 is 27000..33000


def test_a_price_exactly_at_the_cumulative_collar_passes_and_one_tick_beyond_is_refused() -> None:
    walked = market(reference_price=D("32000.00"), window_reference=D("30000.00"))
    assert run(cumulative_collar, proposal(limit_price=D("33000.00")), mkt=walked) is None
    reason = refused(
        run(cumulative_collar, proposal(limit_price=D("33000.01")), mkt=walked), CUMULATIVE_COLLAR
    )
    assert reason == (
        "price 33000.01 is more than 10% from 30000, the reference when this 300 s window opened "
        "(allowed 27000 to 33000)"
    )


def test_a_limit_price_inside_the_per_order_collar_can_still_walk_out_of_the_window() -> None:
    walked = market(reference_price=D("32000.00"), window_reference=D("30000.00"))
    order = proposal(limit_price=D("33500.00"))  # 4.7% above 32000, 11.7% above 30000
    assert run(price_collar, order, mkt=walked) is None
    assert run(cumulative_collar, order, mkt=walked) is not None


def test_a_market_order_is_measured_at_the_reference_against_the_window() -> None:
    at_edge = market(reference_price=D("27000.00"), window_reference=D("30000.00"))
    beyond = market(reference_price=D("26999.99"), window_reference=D("30000.00"))
    assert run(cumulative_collar, market_order(), mkt=at_edge) is None
    assert run(cumulative_collar, market_order(), mkt=beyond) is not None


def test_without_a_window_reference_the_current_reference_opens_the_window() -> None:
    assert run(cumulative_collar, proposal(limit_price=D("33000.00"))) is None
    assert run(cumulative_collar, proposal(limit_price=D("33000.01"))) is not None


def test_the_cumulative_collar_fails_closed_without_a_fresh_reference_or_a_valid_window() -> None:
    assert run(cumulative_collar, mkt=market(reference_price=None)) is not None
    assert run(cumulative_collar, mkt=market(window_reference=D(0))) is not None
