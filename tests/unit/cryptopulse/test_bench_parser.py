"""The parser benchmark's mix, its table and the CLI choosing it. Nothing here checks a speed."""

from __future__ import annotations

import random

import pytest

from cryptopulse.bench import run
from cryptopulse.bench.parser import (
    ISSUE_EXAMPLES,
    REFUSED,
    VARIANTS,
    ParserBench,
    Rate,
    mix,
    parser_table,
    run_parser_benchmark,
)
from cryptopulse.cli import main
from services.agent.parser import ParseError, parse_command


def bench() -> ParserBench:
    return ParserBench(
        mix=45,
        refused=8,
        rates=(
            Rate("json.loads (baseline)", 100_000, 1.0),
            Rate("command_from_json (baseline)", 100_000, 4.0),
            Rate("parse_command, accepted commands", 37_000, 7.4),
        ),
    )


def test_the_mix_is_every_example_every_variant_and_every_refusal_once() -> None:
    texts = mix(random.Random(1))
    assert sorted(texts) == sorted([*ISSUE_EXAMPLES, *VARIANTS, *REFUSED])
    assert "Buy 0.5 BTC if it dips below $30,000" in texts
    for text in (*ISSUE_EXAMPLES, *VARIANTS):
        parse_command(text)
    for text in REFUSED:
        with pytest.raises(ParseError):
            parse_command(text)


def test_the_table_shows_rates_costs_and_the_ratio_to_json_loads() -> None:
    table = parser_table(bench())
    assert "| json.loads (baseline) | 100,000 | 10.0 | 1.000 |" in table
    assert "| command_from_json (baseline) | 25,000 | 40.0 | 0.250 |" in table
    assert "| parse_command, accepted commands | 5,000 | 200.0 | 0.050 |" in table
    assert "45 commands" in table and "8 refusals" in table


def test_a_run_times_each_baseline_and_the_parser_over_the_same_commands() -> None:
    result = run_parser_benchmark(rounds=1)
    accepted = len(ISSUE_EXAMPLES) + len(VARIANTS)
    assert [r.commands for r in result.rates] == [accepted, accepted, accepted, accepted + len(REFUSED)]
    assert all(r.seconds > 0 for r in result.rates)


def test_the_cli_runs_only_the_parser(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(run, "run_parser_benchmark", bench)
    monkeypatch.setattr(run, "_save", lambda name, figures: None)
    for name in (
        "_run_feed",
        "_run_orders",
        "_run_risk",
        "_run_kill",
        "_run_rules",
        "_run_backtest",
        "_run_gateway",
        "_run_replay",
    ):
        monkeypatch.setattr(run, name, lambda *a, **k: pytest.fail("ran another benchmark"))
    assert main(["bench", "--only", "parser"]) == 0
    out = capsys.readouterr().out
    assert "**Offline parser**" in out and "| 5,000 |" in out
