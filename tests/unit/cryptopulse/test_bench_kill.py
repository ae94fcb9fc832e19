"""The kill-switch benchmark's pure parts: order sizing, signing, the venue's timestamps, the table
and its verdict, and the CLI choosing it. Nothing here times anything."""

from __future__ import annotations

from decimal import Decimal

import pytest

from cryptopulse.bench import run
from cryptopulse.bench.kill import KillResult, kill_table, verdict
from cryptopulse.bench.kill_floor import FloorTimes
from cryptopulse.bench.kill_flow import last_update_s
from cryptopulse.bench.kill_orders import resting_quantity, spread
from cryptopulse.bench.paper_account import signed_query
from cryptopulse.cli import main
from services.paper_exchange.signing import check_signature, rest_payload


def result(venue_empty_s: float, *, cpu_share: float = 1.0) -> KillResult:
    return KillResult(
        orders=1_000,
        symbols=("BTC/USDT", "ETH/USDT", "SOL/USDT", "BNB/USDT"),
        place_s=45.0,
        flag_written_s=0.05,
        published_s=0.055,
        venue_empty_s=venue_empty_s,
        venue_last_cancel_s=venue_empty_s - 0.02,
        last_canceled_event_s=venue_empty_s + 1,
        report_s=venue_empty_s + 2,
        pass_started_s=0.06,
        reported_cancelled=1_000,
        executor_cpu_s=3.5,
        bulk=FloorTimes(requests_s=0.25, venue_empty_s=0.25, last_cancel_s=0.24),
        per_order=FloorTimes(requests_s=4.5, venue_empty_s=4.6, last_cancel_s=4.5),
        cpu_share=cpu_share,
    )


def test_quantity_is_the_smallest_step_worth_twice_the_minimum_notional() -> None:
    assert resting_quantity(Decimal("52000.00"), Decimal("0.00001"), Decimal(5)) == Decimal("0.00020")
    assert resting_quantity(Decimal("120.00"), Decimal("0.001"), Decimal(5)) == Decimal("0.084")
    # a price so high one step is already worth enough: still one step, never zero
    assert resting_quantity(Decimal("1000000"), Decimal("0.001"), Decimal(5)) == Decimal("0.001")
    with pytest.raises(ValueError, match="positive"):
        resting_quantity(Decimal(0), Decimal("0.001"), Decimal(5))


def test_orders_are_spread_evenly_over_the_symbols() -> None:
    symbols = spread(["A", "B", "C", "D"], 1_000)
    assert {s: symbols.count(s) for s in "ABCD"} == {"A": 250, "B": 250, "C": 250, "D": 250}
    assert spread(["A", "B"], 3) == ["A", "B", "A"]
    with pytest.raises(ValueError, match="no symbols"):
        spread([], 3)


def test_a_signed_query_passes_the_paper_exchanges_own_check() -> None:
    query = signed_query("s3cret", {"symbol": "BTCUSDT", "orderId": "7"}, 1_700_000_000_000)
    payload, signature = rest_payload(query, "")
    check_signature("s3cret", payload, signature)  # raises if the signature were wrong
    assert "timestamp=1700000000000" in payload and "recvWindow=60000" in payload


def test_the_last_cancel_is_dated_by_the_venues_latest_update_time() -> None:
    orders: list[dict[str, object]] = [{"updateTime": 1_000_500}, {"updateTime": 1_002_250}]
    assert last_update_s(orders, since_wall=1_000.0) == pytest.approx(2.25)


def test_the_table_compares_every_figure_with_the_bulk_cancel_floor() -> None:
    table = kill_table(result(17.5))
    assert "| measurement | seconds | vs baseline |" in table
    assert "| kill switch: engaged → the venue lists 0 open orders | 17.500 | 70.0x |" in table
    assert "(baseline) | 0.250 | 1.0x |" in table
    assert "| floor: 1,000 `DELETE /api/v3/order`, 8 at once → the venue lists 0 | 4.600 | 18.4x |" in table
    assert "machine was busy" not in table


def test_the_verdict_judges_zero_open_orders_against_two_seconds() -> None:
    assert verdict(result(1.9)).startswith("Target: kill complete ≤ 2 s with 1,000 open orders: met (1.90 s")
    missed = verdict(result(17.5))
    assert ": missed (17.50 s to zero open orders at the venue, 70.0x the raw cancel floor" in missed
    assert "report after 19.50 s" in missed
    assert result(2.0).met and not result(2.01).met


def test_a_busy_machine_is_said_so() -> None:
    assert "a busy loop got only 60% of a core" in kill_table(result(3.0, cpu_share=0.6))


def test_bench_runs_the_kill_switch_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: dict[str, object] = {}

    def run_benchmarks(**kwargs: object) -> str:
        calls.update(kwargs)
        return "table"

    monkeypatch.setattr(run, "run_benchmarks", run_benchmarks)
    assert main(["bench", "--only", "kill"]) == 0
    assert calls["only"] == "kill"


def test_a_full_run_shows_the_kill_switch_table_before_the_backtest(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[int] = []
    saved: list[str] = []

    def kill_benchmark(orders: int) -> KillResult:
        asked.append(orders)
        return result(17.5)

    monkeypatch.setattr(run, "_run_feed", lambda rates: "FEED")
    monkeypatch.setattr(run, "_run_orders", lambda counts, *, header: "ORDERS")
    monkeypatch.setattr(run, "_run_risk", lambda levels, *, header: "RISK")
    monkeypatch.setattr(run, "run_kill_benchmark", kill_benchmark)
    monkeypatch.setattr(run, "_run_rules", lambda *, header: "RULES")
    monkeypatch.setattr(run, "_run_parser", lambda *, header: "PARSER")
    monkeypatch.setattr(run, "_run_backtest", lambda *, header: "BACKTEST")
    monkeypatch.setattr(run, "_run_gateway", lambda arrivals, flush_ms, *, header: "GATEWAY")
    monkeypatch.setattr(run, "_run_replay", lambda messages, *, header: "REPLAY")
    monkeypatch.setattr(run, "_run_http_metrics", lambda *, header: "HTTP")
    monkeypatch.setattr(run, "_save", lambda name, figures: saved.append(name))
    table = run.run_benchmarks(rates=[1], update_readme=False)
    assert table.endswith("\n\nRULES\n\nPARSER\n\nBACKTEST\n\nGATEWAY\n\nREPLAY\n\nHTTP")
    assert table.startswith(
        "FEED\n\nORDERS\n\nRISK\n\n**Kill switch** (engaged → zero open orders, 1,000 orders):\n\n"
        "| measurement |"
    )
    alone = run.run_benchmarks(rates=[1], update_readme=False, only="kill")
    assert alone.startswith("Measured ") and "RISK" not in alone
    assert asked == [1_000, 1_000] and saved == ["bench-kill.json"] * 2
