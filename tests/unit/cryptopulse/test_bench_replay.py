"""The replay benchmark's recorded mix, its table, a small real run and the CLI choosing it.
Nothing here checks a speed."""

from __future__ import annotations

from collections import Counter

import pytest

from cryptopulse.bench import run
from cryptopulse.bench.replay import (
    MemorySample,
    ReplayBench,
    recorded_mix,
    replay_table,
    run_replay_benchmark,
)
from cryptopulse.cli import main


def bench(replay_seconds: float) -> ReplayBench:
    return ReplayBench(
        messages=100_000, batch=1_000, payload_bytes=480, publish_seconds=9.0, fetch_seconds=10.0,
        raw_seconds=2.5, replay_seconds=replay_seconds, report_seconds=8.0, timelines=16_000, peak_open=700,
        samples=[MemorySample(50_000, 80.0, 600), MemorySample(100_000, 81.0, 620)], rounds=3,
    )  # fmt: skip


def test_the_mix_interleaves_every_kind_of_order_with_the_services_headers() -> None:
    messages = list(recorded_mix(20_000))
    assert len(messages) == 20_000
    families = Counter(subject.split(".")[0] for subject, _, _ in messages)
    assert families.keys() == {"intent", "risk", "exec"}
    assert all(headers.keys() == {"Nats-Msg-Id", "Correlation-Id"} for _, _, headers in messages)
    assert len({headers["Nats-Msg-Id"] for _, _, headers in messages}) == 20_000


def test_the_table_shows_both_raw_reads_both_replays_both_ratios_and_memory() -> None:
    table = replay_table(bench(replay_seconds=4.0))
    assert "| raw nats-py `fetch` (baseline) | 100,000 | 10.00 | 10,000 | 0.25 | 1.00 |" in table
    assert "| raw batched pull, nothing decoded (baseline) | 100,000 | 2.50 | 40,000 | 1.00 | 4.00 |" in table
    assert "| replay: decode + rebuild timelines | 100,000 | 4.00 | 25,000 | 0.62 | 2.50 |" in table
    assert (
        "| replay writing `--json` (every message kept and listed) | 100,000 | 8.00 | 12,500 | 0.31 | 1.25 |"
        in table
    )
    assert "| resident memory (MB) | 80 | 81 |" in table and "| open timelines | 600 | 620 |" in table
    assert "judged against the batched pull" in table
    assert "**met** (0.62; 2.50 times nats-py's `fetch`)" in table


def test_the_target_is_judged_on_the_batched_pull_not_the_slower_fetch() -> None:
    slow = bench(replay_seconds=6.0)
    assert slow.fetch_ratio > 1 and "**missed** (0.42; 1.67 times nats-py's `fetch`)" in replay_table(slow)


def test_a_small_run_records_reads_and_replays_every_message() -> None:
    result = run_replay_benchmark(3_000, rounds=1)
    assert result.messages == 3_000 and result.timelines > 400
    assert result.raw_seconds > 0 and result.fetch_seconds > 0
    assert result.replay_seconds > 0 and result.report_seconds > 0
    assert result.samples[-1].messages == 3_000 and result.peak_open >= result.samples[-1].open_timelines


def test_the_cli_runs_the_replay_alone_with_the_messages_given(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: dict[str, object] = {}

    def run_benchmarks(**kwargs: object) -> str:
        calls.update(kwargs)
        return "table"

    monkeypatch.setattr(run, "run_benchmarks", run_benchmarks)
    assert main(["bench", "--only", "replay", "--messages", "5000"]) == 0
    assert calls["only"] == "replay" and calls["replay_messages"] == 5_000
    for argv in (["bench", "--update-readme", "--messages", "10"], ["bench", "--messages", "0"]):
        with pytest.raises(SystemExit) as exit_info:
            main(argv)
        assert exit_info.value.code == 2
