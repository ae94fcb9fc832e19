"""The rules benchmark's workloads and table. Nothing here checks a speed."""

from __future__ import annotations

from cryptopulse.bench.rules import RulesResult, rules_table, run_rules_benchmark


def test_the_table_shows_what_holds_and_the_naive_loop_beside_the_engine() -> None:
    table = rules_table([
        RulesResult(10_000, "price, per tick", 20.0, 4_000.0, 0.5),
        RulesResult(10_000, "indicator, per candle close", 2_000.0, 50_000.0, 260.0),
    ])  # fmt: skip
    assert "| 10,000 | price, per tick | 0.5 | 20.0 | 4,000.0 | 200.0 |" in table
    assert "| 10,000 | indicator, per candle close | 260.0 | 2,000.0 | 50,000.0 | 25.0 |" in table
    assert table.endswith("Target ≤ 100 µs per tick at 10,000 price rules: met.")


def test_a_small_run_measures_every_workload_and_rules_do_hold() -> None:
    results = run_rules_benchmark(counts=(100,), ticks=300, candle_counts=(300,), closes=140)
    assert [(r.rules, r.kind) for r in results] == [
        (100, "price, per tick"),
        (300, "indicator, per candle close"),
    ]
    assert all(r.engine_us > 0 and r.naive_us > 0 for r in results)
    assert results[1].holding > 0  # the indicator workload's levels are met, not never
