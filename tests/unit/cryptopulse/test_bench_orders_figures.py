"""The order benchmark's arithmetic and its README block: percentiles, the closed loop, the table."""

from __future__ import annotations

import asyncio

import pytest

from cryptopulse.bench.latency import Latency, closed_loop, percentile
from cryptopulse.bench.orders import OrdersLevel, OrdersResult, meets_target, orders_table
from cryptopulse.bench.processes import clean_environment
from cryptopulse.cli import main


def test_percentile_is_the_nearest_rank_of_what_was_observed() -> None:
    samples = [float(n) for n in range(100, 0, -1)]  # 100 … 1, unsorted on purpose
    assert percentile(samples, 50) == 50.0
    assert percentile(samples, 99) == 99.0
    assert percentile(samples, 100) == 100.0
    assert percentile([7.0, 1.0, 3.0], 50) == 3.0
    assert percentile([4.0], 99) == 4.0


def test_one_slow_round_trip_in_a_hundred_is_the_p99() -> None:
    samples = [0.001] * 99 + [0.250]
    assert percentile(samples, 99) == 0.001  # the 99th smallest
    assert percentile([0.001] * 98 + [0.250] * 2, 99) == 0.250


@pytest.mark.parametrize("q", [0, -1, 100.5])
def test_percentile_refuses_a_rank_outside_zero_to_a_hundred(q: float) -> None:
    with pytest.raises(ValueError, match="q must be"):
        percentile([1.0], q)


def test_percentile_of_nothing_is_an_error() -> None:
    with pytest.raises(ValueError, match="no samples"):
        percentile([], 50)


def test_latency_is_reported_in_milliseconds_with_the_rate() -> None:
    latency = Latency.of([0.002, 0.004, 0.010, 0.003], elapsed_s=0.5)
    assert latency.count == 4
    assert latency.p50_ms == pytest.approx(3.0)
    assert latency.p99_ms == pytest.approx(10.0)
    assert latency.max_ms == pytest.approx(10.0)
    assert latency.per_s == pytest.approx(8.0)


async def test_closed_loop_keeps_exactly_k_in_flight_and_runs_each_number_once() -> None:
    in_flight, most = 0, 0
    seen: list[int] = []

    async def round_trip(number: int) -> float:
        nonlocal in_flight, most
        in_flight += 1
        most = max(most, in_flight)
        await asyncio.sleep(0.001)
        in_flight -= 1
        seen.append(number)
        return 0.001

    latency = await closed_loop(round_trip, in_flight=7, count=50)
    assert latency.count == 50
    assert sorted(seen) == list(range(50))
    assert most == 7


async def test_closed_loop_with_fewer_orders_than_slots_runs_each_once() -> None:
    seen: list[int] = []

    async def round_trip(number: int) -> float:
        seen.append(number)
        return 0.0

    await closed_loop(round_trip, in_flight=100, count=3)
    assert sorted(seen) == [0, 1, 2]


def level(in_flight: int, p50: float, p99: float, *, cpu_share: float = 1.0) -> OrdersLevel:
    return OrdersLevel(
        in_flight=in_flight,
        orders=Latency(count=300, p50_ms=p50, p99_ms=p99, max_ms=p99, per_s=238.4),
        nats=Latency(count=2000, p50_ms=0.15, p99_ms=0.4, max_ms=1.0, per_s=6000),
        http=Latency(count=2000, p50_ms=0.9, p99_ms=2.1, max_ms=3.0, per_s=1000),
        executor_cpu_ms=3.25,
        cancel_s=1.0,
        cpu_share=cpu_share,
    )


def test_the_target_is_met_at_its_bounds_and_missed_past_either() -> None:
    assert meets_target(level(1, 5.0, 20.0))
    assert not meets_target(level(1, 5.01, 10.0))
    assert not meets_target(level(1, 3.0, 20.5))


def test_the_table_puts_each_level_beside_its_floors_with_ratios() -> None:
    result = OrdersResult((level(1, 4.2, 15.0), level(10, 42.0, 180.0)), "a resting LIMIT buy")
    text = orders_table(result)
    assert "| 1 | 300 | 4.20 / 15.0 | 238 | 3.25 | 0.15 / 0.40 | 0.90 / 2.10 | 28 | 4.7 |" in text
    assert "| 10 | 300 | 42.0 / 180 | 238 | 3.25 | 0.15 / 0.40 | 0.90 / 2.10 | 280 | 47 |" in text
    assert "at 1 in flight on 2 cores: met (p50 4.20 ms, p99 15.0 ms)." in text
    assert "a resting LIMIT buy" in text
    assert "busy" not in text
    header, rule = text.splitlines()[:2]
    assert header.count("|") == rule.count("|")


def test_the_table_says_when_the_target_was_missed_or_not_measured() -> None:
    assert "missed (p50 6.00 ms, p99 30.0 ms)" in orders_table(OrdersResult((level(1, 6.0, 30.0),), "x"))
    assert "not measured in this run" in orders_table(OrdersResult((level(10, 6.0, 30.0),), "x"))


def test_the_table_warns_when_other_work_took_the_cpu() -> None:
    text = orders_table(OrdersResult((level(1, 4.0, 9.0, cpu_share=0.45),), "x"))
    assert "busy loop got only 45% of a core" in text


def test_a_partial_bench_run_cannot_rewrite_the_readme(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (
        ["bench", "--only", "orders", "--update-readme"],
        ["bench", "--orders", "5", "--update-readme"],
    ):
        with pytest.raises(SystemExit) as exit_info:
            main(argv)
        assert exit_info.value.code == 2
        assert "--update-readme" in capsys.readouterr().err


def test_the_benchmarks_servers_never_inherit_the_callers_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRYPTOPULSE_VAULT_ADDR", "https://vault.example:8200")
    monkeypatch.setenv("CRYPTOPULSE_DATABASE_URL", "postgresql+asyncpg://prod/db")
    monkeypatch.setenv("PATH_FOR_TEST", "kept")
    env = clean_environment({"CRYPTOPULSE_EXECUTOR_PORT": "1234"})
    assert env["CRYPTOPULSE_EXECUTOR_PORT"] == "1234"
    assert env["PATH_FOR_TEST"] == "kept"
    assert not {"CRYPTOPULSE_VAULT_ADDR", "CRYPTOPULSE_DATABASE_URL"} & set(env)
