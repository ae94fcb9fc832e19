"""The risk benchmark's pure parts: its intents pass every check, the figures and the table."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from cryptopulse.bench.latency import Latency, ms
from cryptopulse.bench.processes import cpu_seconds
from cryptopulse.bench.risk import (
    ClientCpu,
    RiskLevel,
    RiskResult,
    best,
    ceiling,
    parse_levels,
    ratio,
    risk_table,
    verdict,
)
from cryptopulse.bench.risk_floors import CpuPerDecision
from cryptopulse.bench.risk_flow import SHAPES, IntentMaker
from cryptopulse.bench.risk_stack import BALANCES, LIMITS, POSITIONS, PRICES
from services.paper_exchange.markets import spec_for, symbol_info
from services.risk_gate import checks
from services.risk_gate.model import AccountView, MarketView, Proposal
from shared.domain.market_rules import rules_from_market

USERS = [uuid.UUID(int=n + 1) for n in range(3)]


def _market(symbol: str, now: datetime) -> MarketView:
    """The market as the gate sees it with the paper exchange's listing and the run's ticks."""
    rules = rules_from_market(symbol, {"info": symbol_info(spec_for(symbol))})
    price = PRICES[symbol]
    return MarketView(rules, True, price, now, window_reference=price)


def _account() -> AccountView:
    """A benchmark user before its first intent: the seeded positions and balances."""
    return AccountView(
        positions={symbol: quantity for symbol, (quantity, _) in POSITIONS.items()},
        reference_prices=dict(PRICES),
        free_balances=dict(BALANCES),
    )


def test_every_shape_of_intent_passes_every_check_for_a_seeded_user() -> None:
    maker = IntentMaker(USERS)
    now = datetime.now(UTC)
    for nth in range(len(SHAPES)):
        intent = maker.make(nth * len(USERS))  # the first user's nth intent
        proposal = Proposal.of(intent, USERS[0], now)
        failure = checks.evaluate(proposal, LIMITS, _market(intent.symbol, now), _account(), now)
        assert failure is None, (intent.symbol, intent.side, failure)


def test_intents_go_round_robin_and_no_two_of_a_user_share_a_digest() -> None:
    maker = IntentMaker(USERS)
    now = datetime.now(UTC)
    intents = [maker.next() for _ in range(12 * len(USERS))]
    assert [i.user_id for i in intents[:4]] == [str(u) for u in (*USERS, USERS[0])]
    assert len({i.intent_id for i in intents}) == len(intents)
    for user in USERS:
        digests = [Proposal.of(i, user, now).digest for i in intents if i.user_id == str(user)]
        assert len(set(digests)) == len(digests) == 12


def test_intent_prices_sit_on_the_tick_about_one_percent_off_the_reference() -> None:
    maker = IntentMaker(USERS)
    buy, _, sell, _ = (maker.make(nth * len(USERS)) for nth in range(4))  # a user's first four
    assert buy.limit_price == Decimal("29700.00")  # 1% under, then one tick further per intent
    assert sell.limit_price == Decimal("30300.02")  # the third: 1% over, two ticks further
    assert maker.make(4 * len(USERS)).limit_price == Decimal("29699.96")


def test_the_raised_throttles_are_the_only_limits_changed() -> None:
    from shared.domain.risk_limits import Limits

    assert LIMITS.max_intents_per_minute > Limits().max_intents_per_minute
    assert LIMITS.max_orders_per_minute > Limits().max_orders_per_minute
    unchanged = {"max_intents_per_minute", "max_orders_per_minute"}
    for name in Limits.__dataclass_fields__:
        if name not in unchanged:
            assert getattr(LIMITS, name) == getattr(Limits(), name), name


@pytest.mark.parametrize(
    ("value", "text"), [(0.4567, "0.46"), (9.994, "9.99"), (12.34, "12.3"), (1234.5, "1,234")]
)
def test_milliseconds_keep_the_digits_that_matter(value: float, text: str) -> None:
    assert ms(value) == text


def test_ratios_are_plain_and_empty_without_a_denominator() -> None:
    assert ratio(3.0, 2.0) == "1.50x"
    assert ratio(50.0, 2.0) == "25.0x"
    assert ratio(500.0, 2.0) == "250x"
    assert ratio(1.0, 0.0) == ""


def test_levels_parse_and_refuse_nonsense() -> None:
    assert parse_levels("1:300, 10:1000") == {1: 300, 10: 1000}
    for bad in ("1", "0:10", "a:1", "1:0", "1:-5"):
        with pytest.raises(ValueError, match="in_flight:count"):
            parse_levels(bad)


def test_cpu_seconds_of_this_process_grow_with_work() -> None:
    before = cpu_seconds(os.getpid())
    sum(n * n for n in range(2_000_000))
    after = cpu_seconds(os.getpid())
    assert after > before >= 0
    assert cpu_seconds(os.getpid(), children=True) >= after


def _latency(p50: float, p99: float, per_s: float, count: int = 100) -> Latency:
    return Latency(count=count, p50_ms=p50, p99_ms=p99, max_ms=p99, per_s=per_s)


def _level(in_flight: int, gate: Latency, share: float = 1.0) -> RiskLevel:
    floor = _latency(1.0, 2.0, 1000.0)
    return RiskLevel(
        in_flight=in_flight,
        gate=gate,
        jetstream=_latency(2.0, 4.0, 500.0),
        postgres=floor,
        session=floor,
        in_process=_latency(10.0, 20.0, 100.0),
        cpu=CpuPerDecision(gate_ms=8.0, postgres_ms=1.5, nats_ms=0.3, client_ms=0.2),
        client_cpu=ClientCpu(postgres_ms=0.1, session_ms=0.5, in_process_ms=8.0),
        cpu_share=share,
    )


def _result(*levels: RiskLevel) -> RiskResult:
    return RiskResult(
        users=1000,
        cores=2,
        levels=levels,
        outcomes={"approved": 300},
        checks_per_s=10_000.0,
        pipeline_per_s=2_500.0,
        statements_per_decision=22.0,
        transactions_per_decision=2.0,
        proposal="LIMIT orders",
        load_average=0.5,
        echo_cpu_ms=0.25,
    )


def test_the_verdict_says_by_how_much_each_target_is_missed() -> None:
    result = _result(_level(1, _latency(12.0, 20.0, 80.0)), _level(10, _latency(50.0, 90.0, 200.0)))
    assert best(result).in_flight == 10
    text = verdict(result)
    assert "missed: 200/s at best (10 in flight), 25.0x short" in text
    assert "missed: 20.0 ms at 1 in flight, 4.0x the target" in text


def test_the_verdict_says_met_when_met() -> None:
    text = verdict(_result(_level(1, _latency(1.0, 4.0, 6000.0))))
    assert "met (6,000/s at 1 in flight)" in text and "met (4.00 ms at 1 in flight)" in text


def test_the_table_has_a_row_per_level_with_its_ratios_and_cpu() -> None:
    table = risk_table(
        _result(_level(1, _latency(12.0, 20.0, 80.0)), _level(10, _latency(50.0, 90.0, 200.0)))
    )
    assert (
        "| 1 | 100 | 12.0 / 20.0 | 2.00 / 4.00 | 1.00 / 2.00 | 1.00 / 2.00 | 10.0 / 20.0 | 6.00x | 12.0x |"
        in table
    )
    assert "| 10 | 200 | 500 | 1,000 | 1,000 | 100 | 2.50x | 5.00x |" in table
    assert "| 1 | 8.00 / 1.50 / 0.30 / 0.20 = 10.0 | 0.80 of 2 | 0.10 / 0.50 / 8.00 | 100% |" in table
    assert "22.0 SQL statements" in table and "300 approved" in table
    assert "machine was busy" not in table


def test_the_ceiling_is_what_the_gate_cpu_per_decision_allows_one_process() -> None:
    text = ceiling(_result(_level(1, _latency(12.0, 20.0, 80.0))))
    assert "the gate spent 8.00 ms of CPU per decision" in text
    assert "cannot pass 125 decisions/s" in text and "5,000/s leaves it 0.20 ms" in text
    assert "echo process alone spends 0.25 ms per message" in text
    assert "intake + checks + messages 0.40 ms: 0.65 ms before any database work" in text
    assert "5,000/s would keep 50.0 cores busy, on a machine of 2" in text


def test_the_table_warns_when_the_machine_was_busy() -> None:
    table = risk_table(_result(_level(1, _latency(12.0, 20.0, 80.0), share=0.4)))
    assert "**The machine was busy**: a busy loop got only 40% of a core" in table


def test_a_full_run_appends_the_risk_table_after_the_orders(monkeypatch: pytest.MonkeyPatch) -> None:
    from cryptopulse.bench import run

    levels_run: list[dict[int, int]] = []
    saved: list[str] = []

    def risk_benchmark(levels: dict[int, int], **_: object) -> RiskResult:
        levels_run.append(levels)
        return _result(_level(1, _latency(12.0, 20.0, 80.0)))

    monkeypatch.setattr(run, "_run_feed", lambda rates: "FEED")
    monkeypatch.setattr(run, "_run_orders", lambda counts, *, header: "ORDERS")
    monkeypatch.setattr(run, "run_risk_benchmark", risk_benchmark)
    monkeypatch.setattr(run, "_run_kill", lambda orders, *, header: "KILL")
    monkeypatch.setattr(run, "_run_rules", lambda *, header: "RULES")
    monkeypatch.setattr(run, "_run_parser", lambda *, header: "PARSER")
    monkeypatch.setattr(run, "_run_backtest", lambda *, header: "BACKTEST")
    monkeypatch.setattr(run, "_run_gateway", lambda arrivals, flush_ms, *, header: "GATEWAY")
    monkeypatch.setattr(run, "_run_http_metrics", lambda *, header: "HTTP")
    monkeypatch.setattr(run, "_run_replay", lambda messages, *, header: "REPLAY")
    monkeypatch.setattr(run, "_save", lambda name, figures: saved.append(name))
    table = run.run_benchmarks(rates=[1], update_readme=False, risk_levels={1: 5})
    assert table.startswith(
        "FEED\n\nORDERS\n\n**Risk gate** (intent → decision, 1,000 users):\n\n| in flight |"
    )
    alone = run.run_benchmarks(rates=[1], update_readme=False, only="risk")
    assert alone.startswith("Measured ") and "FEED" not in alone and "ORDERS" not in alone
    assert levels_run == [{1: 5}, dict(run.DEFAULT_LEVELS)] and saved == ["bench-risk.json"] * 2
