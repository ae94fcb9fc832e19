"""`cryptopulse parse TEXT`: the JSON on stdout and exit 0, or exit 2 with one line on stderr."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from cryptopulse.cli import main


def run(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "cryptopulse.cli", "parse", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)


def test_a_command_prints_its_json_and_exits_0() -> None:
    done = run("Buy 0.5 BTC if it dips below $30,000")
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert json.loads(done.stdout) == {
        "kind": "conditional_order",
        "side": "buy",
        "symbol": "BTC/USDT",
        "order_type": "market",
        "amount": "0.5",
        "quote_amount": None,
        "limit_price": None,
        "conditions": [
            {
                "indicator": "price",
                "symbol": "BTC/USDT",
                "period": None,
                "interval": None,
                "op": "<",
                "value": "30000",
            }
        ],
    }


def test_an_invalid_command_exits_2_with_one_line_on_stderr() -> None:
    done = run("short 1 BTC")
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr == "cryptopulse parse: spot trading cannot short: you can only sell what you hold\n"


def test_unquoted_words_are_one_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["parse", "price", "of", "eth"]) == 0
    assert json.loads(capsys.readouterr().out) == {"kind": "query", "topic": "price", "symbol": "ETH/USDT"}


def test_a_missing_amount_is_refused_in_process(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["parse", "buy BTC"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and "missing amount: how much BTC?" in captured.err
