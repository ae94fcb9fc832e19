"""The whole stack, started the way a user starts it: ``cryptopulse up`` in a subprocess."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pytest

from cryptopulse.servers.ports import free_port

REPO = Path(__file__).resolve().parents[2]
START = 1_677_628_800_000  # 2023-03-01T00:00:00Z


@dataclass(frozen=True)
class FileCandle:
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal


def write_replay_file(path: Path, rows: int = 3000) -> list[FileCandle]:
    """A kline CSV in Binance's export layout whose every price is unique, so ticks can be traced."""
    candles = []
    lines = ["open_time,open,high,low,close,volume"]
    for i in range(rows):
        base = Decimal(20000) + Decimal(i) * 10
        c = FileCandle(
            base + Decimal("1.01"),
            base + Decimal("4.04"),
            base + Decimal("0.02"),
            base + Decimal("2.03") if i % 2 else base + Decimal("0.53"),
            Decimal("1.5"),
        )
        candles.append(c)
        stamp = time.strftime("%Y-%m-%d %H:%M:%S+00:00", time.gmtime((START + i * 60_000) / 1000))
        lines.append(f"{stamp},{c.open},{c.high},{c.low},{c.close},{c.volume}")
    path.write_text("\n".join(lines) + "\n")
    return candles


@dataclass
class RunningStack:
    process: subprocess.Popen[str]
    env: dict[str, str]
    candles: list[FileCandle]
    output: list[str] = field(default_factory=list)

    @property
    def gateway(self) -> str:
        return f"http://127.0.0.1:{self.env['CRYPTOPULSE_GATEWAY_PORT']}"

    def pid_of(self, service: str) -> int:
        for line in self.output:
            match = re.search(rf"^\s+{service}\s.*pid (\d+)", line)
            if match:
                return int(match.group(1))
        raise LookupError(f"{service} pid not printed; output: {self.output}")

    def wait_for_output(self, text: str, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if any(text in line for line in self.output):
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        raise AssertionError(f"{text!r} not printed within {timeout_s}s; output:\n" + "".join(self.output))


def start_stack(tmp: Path, extra_env: dict[str, str] | None = None) -> RunningStack:
    candles = write_replay_file(tmp / "BTCUSDT_1m.csv")
    env = dict(os.environ)
    for name in ("NATS_URL", "DATABASE_URL"):
        env.pop(f"CRYPTOPULSE_{name}", None)
    env.update(
        {
            "CRYPTOPULSE_DATA_DIR": str(tmp / "data"),
            "CRYPTOPULSE_MASTER_KEY_FILE": str(tmp / "master.key"),
            "CRYPTOPULSE_NATS_PORT": str(free_port()),
            "CRYPTOPULSE_POSTGRES_PORT": str(free_port()),
            "CRYPTOPULSE_PAPER_PORT": str(free_port()),
            "CRYPTOPULSE_GATEWAY_PORT": str(free_port()),
            "CRYPTOPULSE_FEED_PORT": str(free_port()),
            "CRYPTOPULSE_AGENT_PORT": str(free_port()),
            "CRYPTOPULSE_RISK_GATE_PORT": str(free_port()),
            "CRYPTOPULSE_EXECUTOR_PORT": str(free_port()),
            "CRYPTOPULSE_PAPER_CANDLES_FILE": str(tmp / "BTCUSDT_1m.csv"),
            "CRYPTOPULSE_PAPER_SPEED": "30",
            "CRYPTOPULSE_PAPER_TRADES_PER_CANDLE": "4",
            "CRYPTOPULSE_PAPER_HISTORY_CANDLES": "600",
            "CRYPTOPULSE_FEED_BACKFILL_CANDLES": "300",
            "CRYPTOPULSE_WEB_DIST_DIR": str(REPO / "web" / "dist"),
        }
    )
    env.update(extra_env or {})
    process = subprocess.Popen(
        [sys.executable, "-m", "cryptopulse.cli", "up"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    stack = RunningStack(process, env, candles)

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            stack.output.append(line)

    threading.Thread(target=pump, daemon=True).start()
    stack.wait_for_output("CryptoPulse is up", timeout_s=180)
    return stack


def stop_stack(stack: RunningStack) -> int:
    if stack.process.poll() is None:
        stack.process.send_signal(signal.SIGINT)
    try:
        return stack.process.wait(60)
    except subprocess.TimeoutExpired:
        stack.process.kill()
        raise


REAL_TIME = {"CRYPTOPULSE_PAPER_SPEED": "1", "CRYPTOPULSE_PAPER_TRADES_PER_CANDLE": "60"}
"""The paper exchange at its default pace, for trading: market times are then wall-clock times,
and the risk gate refuses a reference price stamped in the future (a faster replay runs ahead)."""


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    running = start_stack(tmp_path_factory.mktemp("stack"))
    try:
        yield running
    finally:
        stop_stack(running)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """On a failure, attach the warnings and errors each service logged: the stack's side of the story."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    running = getattr(item, "funcargs", {}).get("stack")
    if not report.failed or not isinstance(running, RunningStack):
        return
    logs = Path(running.env["CRYPTOPULSE_DATA_DIR"]) / "logs"
    for log in sorted(logs.glob("*.log")):
        lines = [line for line in log.read_text(errors="replace").splitlines() if '"INFO"' not in line]
        report.sections.append((f"{log.name} (not INFO, last 40 lines)", "\n".join(lines[-40:])))
