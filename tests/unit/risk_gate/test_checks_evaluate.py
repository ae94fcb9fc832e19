"""``evaluate`` runs the checks in their documented order, and the first refusal decides."""

from __future__ import annotations

import random
from datetime import datetime
from decimal import Context, Decimal, localcontext

import pytest

from services.risk_gate import checks
from services.risk_gate.checks import CHECK_NAMES, CHECKS, evaluate
from services.risk_gate.model import AccountView, Failure, Limits, MarketView, Proposal
from shared.domain.enums import IntentSource, OrderSide, OrderType, VenueName
from shared.domain.market_rules import MarketRules
from tests.unit.risk_gate.support import (
    ACCOUNT,
    LIMITS,
    MARKET,
    NOW,
    PROPOSAL,
    USER,
    D,
    account,
    by_quote,
    limits,
    market,
    market_order,
    proposal,
    seconds,
)


def decided(
    p: Proposal = PROPOSAL,
    lim: Limits = LIMITS,
    mkt: MarketView = MARKET,
    acct: AccountView = ACCOUNT,
) -> str | None:
    failure = evaluate(p, lim, mkt, acct, NOW)
    return None if failure is None else failure.check


def test_the_checks_run_cheap_and_definitive_first() -> None:
    assert CHECK_NAMES == (
        "symbol_allowed",
        "symbol_trading",
        "order_shape",
        "rule_disabled",
        "rule_throttle",
        "duplicate_intent",
        "intent_rate",
        "order_rate",
        "max_open_orders",
        "reference_price",
        "reduce_only",
        "price_filter",
        "lot_size",
        "notional",
        "price_collar",
        "cumulative_collar",
        "max_order_value",
        "max_order_quantity",
        "max_position",
        "max_total_exposure",
        "balance",
    )


def test_every_check_name_is_exported_as_a_constant() -> None:
    assert {getattr(checks, name.upper()) for name in CHECK_NAMES} == set(CHECK_NAMES)


@pytest.mark.parametrize(
    "order",
    [
        PROPOSAL,
        market_order(),
        by_quote("3000"),
        proposal(side=OrderSide.SELL),
        by_quote("3000", side=OrderSide.SELL),
    ],
    ids=["limit-buy", "market-buy", "quote-buy", "limit-sell", "quote-sell"],
)
def test_an_ordinary_order_passes_every_check(order: Proposal) -> None:
    assert evaluate(order, LIMITS, MARKET, ACCOUNT, NOW) is None


def test_a_symbol_off_the_allow_list_is_refused_before_its_size_is_looked_at() -> None:
    assert decided(proposal(quantity=D("100")), lim=limits(allowed_symbols=frozenset())) == "symbol_allowed"


def test_a_duplicate_is_refused_before_the_stale_reference_is_noticed() -> None:
    repeat = account(recent_digests={PROPOSAL.digest: NOW})
    assert decided(acct=repeat, mkt=market(reference_price=None)) == "duplicate_intent"


def test_a_stale_reference_fails_closed_before_any_price_is_judged() -> None:
    off_tick = proposal(limit_price=D("99999.999"))
    assert decided(off_tick, mkt=market(reference_at=NOW - seconds(31))) == "reference_price"


def test_reduce_only_is_reported_before_the_exchange_filters() -> None:
    assert decided(proposal(limit_price=D("30000.001")), acct=account(reduce_only=True)) == "reduce_only"


def test_the_exchange_filter_is_reported_before_the_collar() -> None:
    assert decided(proposal(limit_price=D("40000.001"))) == "price_filter"


def test_the_collar_is_reported_before_the_order_value() -> None:
    assert decided(proposal(quantity=D("1"), limit_price=D("40000.00"))) == "price_collar"


def test_the_order_value_is_reported_before_the_balance() -> None:
    broke = account(free_balances={})
    assert decided(proposal(quantity=D("1"), limit_price=D("30000.00")), acct=broke) == "max_order_value"


def test_the_balance_is_the_last_word() -> None:
    assert decided(acct=account(free_balances={})) == "balance"


def test_evaluate_is_pure_the_same_inputs_give_the_same_answer() -> None:
    broke = account(free_balances={})
    assert evaluate(PROPOSAL, LIMITS, MARKET, broke, NOW) == evaluate(PROPOSAL, LIMITS, MARKET, broke, NOW)


# property: never raises, always the first refusal of the table


def _amount(rng: random.Random) -> Decimal:
    """A positive exact amount, from one digit to NUMERIC(38, 18)'s full width."""
    digits = rng.choice([1, 2, 4, 6, 8, 20, 38])
    return Decimal(rng.randint(1, 10**digits)).scaleb(-min(digits, rng.choice([0, 1, 2, 5, 8, 18])))


def _bound(rng: random.Random) -> Decimal:
    return rng.choice([D(0), _amount(rng)])


def _signed(rng: random.Random) -> Decimal:
    return _amount(rng) * rng.choice([1, -1])


def _pick(rng: random.Random, *choices: str) -> Decimal:
    return D(rng.choice(choices))


def _rules(rng: random.Random, symbol: str) -> MarketRules | None:
    if rng.random() < 0.05:
        return None
    step = _pick(rng, "0", "0.00001", "0.001", "1")
    base, quote = symbol.split("/")
    return MarketRules(
        symbol=symbol,
        base=base,
        quote=quote,
        tick_size=_pick(rng, "0", "0.01", "0.5"),
        min_price=_bound(rng),
        max_price=_bound(rng),
        step_size=step,
        min_qty=_bound(rng),
        max_qty=_bound(rng),
        market_step_size=rng.choice([step, D("0.1")]),
        market_min_qty=_bound(rng),
        market_max_qty=_bound(rng),
        min_notional=_bound(rng),
        max_notional=_bound(rng),
        quote_step=_pick(rng, "0.00000001", "0.01"),
    )


def _case(rng: random.Random) -> tuple[Proposal, Limits, MarketView, AccountView, datetime]:
    """Any combination of valid values (and a few malformed orders), most gates open."""
    symbols = ["BTC/USDT", "ETH/USDT", "SOL/USDT"]
    symbol = rng.choice(symbols)
    by_quantity = rng.random() < 0.7
    order_type = rng.choice(list(OrderType))
    priced = (order_type is OrderType.LIMIT) != (rng.random() < 0.05)
    p = Proposal(
        intent_id="i",
        user_id=USER,
        venue=rng.choice(list(VenueName)),
        symbol=symbol,
        side=rng.choice(list(OrderSide)),
        order_type=order_type,
        quantity=_amount(rng) if by_quantity or rng.random() < 0.05 else None,
        quote_quantity=None if by_quantity else _amount(rng),
        limit_price=_amount(rng) if priced else None,
        source=rng.choice(list(IntentSource)),
        rule_id=rng.choice([None, None, None, "r1", "r2"]),
        correlation_id="i",
        received_at=NOW,
    )
    lim = Limits(
        allowed_symbols=rng.choice([None, None, None, frozenset(symbols), frozenset(symbols[:1])]),
        max_order_notional=_amount(rng),
        max_order_quantity=rng.choice([None, _amount(rng)]),
        max_position_notional=_amount(rng),
        max_total_exposure=_amount(rng),
        max_open_orders=rng.randint(1, 60),
        max_intents_per_minute=rng.randint(1, 60),
        max_orders_per_minute=rng.randint(1, 60),
        price_collar_pct=_pick(rng, "0", "1", "5", "50", "100", "150"),
        cumulative_collar_pct=_pick(rng, "0", "2.5", "10", "200"),
        reference_max_age_s=rng.randint(0, 60),
        rule_max_executions=rng.randint(0, 5),
        daily_loss_limit=_amount(rng),
        duplicate_window_s=rng.randint(0, 120),
    )
    mkt = MarketView(
        rules=_rules(rng, symbol),
        trading=rng.random() < 0.97,
        reference_price=rng.choice([None, _amount(rng), _amount(rng)]),
        reference_at=rng.choice([None, NOW - seconds(rng.randint(-90, 90)), NOW]),
        window_reference=rng.choice([None, _amount(rng)]),
    )
    acct = AccountView(
        positions={s: _signed(rng) for s in rng.sample(symbols, rng.randint(0, 3))},
        in_flight={s: _signed(rng) for s in rng.sample(symbols, 2)},
        reference_prices={s: _amount(rng) for s in rng.sample(symbols, rng.randint(0, 3))},
        open_orders=rng.choice([0, rng.randint(0, 60)]),
        intents_last_minute=rng.choice([0, rng.randint(0, 60)]),
        orders_last_minute=rng.choice([0, rng.randint(0, 60)]),
        free_balances={a: _amount(rng) for a in rng.sample(["BTC", "ETH", "SOL", "USDT"], rng.randint(0, 4))},
        recent_digests=rng.choice([{}, {}, {p.digest: NOW - seconds(rng.randint(0, 200))}]),
        rule_executions={"r1": rng.randint(0, 6)},
        disabled_rules=rng.choice([frozenset(), frozenset({"r2"})]),
        drawdown=rng.choice([D(0), _amount(rng)]),
        reduce_only=rng.random() < 0.1,
    )
    return p, lim, mkt, acct, NOW


def _first_refusal(case: tuple[Proposal, Limits, MarketView, AccountView, datetime]) -> Failure | None:
    """Every check on its own: each names itself when it refuses, and none raises."""
    first = None
    for check in CHECKS:
        result = check(*case)
        assert result is None or (result.check == check.__name__ and result.reason), result
        first = first or result
    return first


def test_evaluate_never_raises_and_returns_the_first_refusal_in_table_order() -> None:
    rng = random.Random(20250303)
    outcomes: set[str | None] = set()
    for _ in range(3000):
        case = _case(rng)
        first = _first_refusal(case)
        assert evaluate(*case) == first
        outcomes.add(None if first is None else first.check)
    assert len(outcomes) >= 12, outcomes


def _ticks(rng: random.Random, low: int, high: int, unit: str) -> Decimal:
    return D(rng.randint(low, high)) * D(unit)


def _near_case(rng: random.Random) -> tuple[Proposal, Limits, MarketView, AccountView, datetime]:
    """Exact, on-tick values around the ordinary order's boundaries, so the later checks decide."""
    reference = _ticks(rng, 2_500_000, 3_500_000, "0.01")
    quantity = _ticks(rng, 1, rng.choice([30, 200_000]), "0.00001")
    side = rng.choice(list(OrderSide))
    p = rng.choice(
        [
            proposal(
                side=side, quantity=quantity, limit_price=reference + _ticks(rng, -200_000, 200_000, "0.01")
            ),
            market_order(side=side, quantity=quantity),
            by_quote(str(_ticks(rng, 1, rng.choice([10**9, 5 * 10**12]), "0.00000001")), side=side),
        ]
    )
    mkt = market(
        reference_price=reference,
        reference_at=NOW - seconds(rng.randint(0, 35)),
        window_reference=rng.choice([None, _ticks(rng, 2_800_000, 3_200_000, "0.01")]),
    )
    acct = account(
        positions={"BTC/USDT": _ticks(rng, 0, 300_000, "0.00001"), "ETH/USDT": _ticks(rng, 0, 20, "1")},
        in_flight={"BTC/USDT": _ticks(rng, -50_000, 50_000, "0.00001")},
        reference_prices={"ETH/USDT": D("2000")} if rng.random() < 0.9 else {},
        free_balances={"USDT": _ticks(rng, 0, 10_000_000, "0.01"), "BTC": _ticks(rng, 0, 300_000, "0.00001")},
        drawdown=_ticks(rng, 2000, 2600, "1"),
    )
    return p, LIMITS, mkt, acct, NOW


def test_around_the_boundaries_evaluate_never_raises_and_every_later_check_gets_to_decide() -> None:
    rng = random.Random(7)
    outcomes: set[str | None] = set()
    for _ in range(3000):
        case = _near_case(rng)
        first = _first_refusal(case)
        assert evaluate(*case) == first
        outcomes.add(None if first is None else first.check)
    later = {"reduce_only", "lot_size", "notional", "price_collar", "cumulative_collar", "max_order_value"}
    assert later | {"max_position", "max_total_exposure", "balance", None} <= outcomes, outcomes


def test_evaluate_is_exact_whatever_the_callers_decimal_context() -> None:
    over = proposal(quantity=D("0.83334"))  # 25000.20 at 30000.00: over the 25000 limit by 0.20
    with localcontext(Context(prec=4)):  # where 0.83334 x 30000.00 would round to 25000
        failure = evaluate(over, LIMITS, MARKET, ACCOUNT, NOW)
    assert failure is not None and failure.check == "max_order_value"
