"""The backtest benchmark's pure parts: reading the kline file, repeating it, the table, the verdict,
and the CLI choosing it. Nothing here times anything."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cryptopulse.bench import run
from cryptopulse.bench.backtest import BacktestBench, backtest_table, read_candles, repeat_candles, verdict
from cryptopulse.cli import main
from tests.unit.agent.backtest.support import arrays


def bench(ours_seconds: float, *, same: bool = True) -> BacktestBench:
    return BacktestBench(
        source="test candles",
        ours_candles=1_000_000,
        ours_seconds=ours_seconds,
        peer_candles=30_000,
        peer_seconds=2.0,  # 15,000 candles/s
        trades=120,
        same_trades=same,
        ours_equity=10_123.456,
        peer_equity=10_123.457,
    )


def test_the_table_shows_both_rates_the_ratio_and_the_agreement() -> None:
    table = backtest_table(bench(0.5))
    assert "| 1,000,000 | 0.500 | 2,000,000 | 133.3 |" in table
    assert "| 30,000 | 2.000 | 15,000 | 1.0 |" in table
    assert "120 round trips, identical; final equity 10,123.46 vs 10,123.46" in table
    assert "**different**" in backtest_table(bench(0.5, same=False))
    assert table.endswith(verdict(bench(0.5)))


def test_the_verdict_is_met_only_when_faster() -> None:
    assert "**met**, 133.3 times" in verdict(bench(0.5))
    slower = verdict(bench(100.0))  # 10,000 candles/s against 15,000
    assert "**missed**, 0.67 times" in slower


def test_a_kline_file_is_read_into_columns(tmp_path: Path) -> None:
    path = tmp_path / "k.csv"
    path.write_text(
        "open_time,open,high,low,close,volume\n"
        "2023-03-01 00:00:00+00:00,23140.48,23150.77,23128.52,23142.31,2.131777\n"
        "2023-03-01 00:01:00+00:00,23143.89,23148.8,23137.61,23137.77,0.881378\n"
    )
    candles = read_candles(path)
    assert candles.open_time_ms.tolist() == [1_677_628_800_000, 1_677_628_860_000]
    assert candles.close.tolist() == [23142.31, 23137.77]
    assert candles.volume.tolist() == [2.131777, 0.881378]


def test_repeated_candles_continue_where_the_last_copy_ended() -> None:
    base = arrays([100.0, 105.0, 110.0], [104.0, 109.0, 120.0])
    long = repeat_candles(base, 7)
    assert len(long) == 9
    assert long.open.tolist() == pytest.approx([100, 105, 110, 120, 126, 132, 144, 151.2, 158.4])
    assert (np.diff(long.open_time_ms) == 60_000).all()
    assert len(repeat_candles(base, 2)) == 3


def test_the_cli_runs_only_the_backtest(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(run, "run_backtest_benchmark", lambda: bench(0.5))
    monkeypatch.setattr(run, "_save", lambda name, figures: None)
    for name in ("_run_feed", "_run_orders", "_run_risk", "_run_kill", "_run_rules"):
        monkeypatch.setattr(run, name, lambda *a, **k: pytest.fail("ran another benchmark"))
    assert main(["bench", "--only", "backtest"]) == 0
    out = capsys.readouterr().out
    assert "**Backtest**" in out and "**met**" in out
