"""The feed end to end: paper exchange → market_feed → JetStream → a subscriber, with zero loss.

The whole stack runs as ``cryptopulse up`` runs it (separate processes on this machine). The
paper exchange replays candles so fast that it trades at ``offered_rate`` per second; a subscriber
on the trade subject counts what arrives and checks the trade ids for holes and repeats.
"""

from __future__ import annotations

import asyncio
import io
import json
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import nats

from cryptopulse.servers.ports import free_port
from cryptopulse.stack import Stack
from shared.config.settings import StackSettings
from shared.messages import subjects

REFERENCE_CANDLES = (
    Path(__file__).resolve().parents[3] / "shared" / "data" / "BTCUSDT_1m_2023-03-01_2023-03-21.csv"
)
"""Real Binance candles beside the repository when present; a random walk otherwise."""


@dataclass(frozen=True)
class FeedResult:
    offered_per_s: float
    delivered_per_s: float
    received: int
    missing: int
    duplicates: int
    seconds: float
    price_source: str


def _stack_env(rate_per_s: int, data_dir: Path) -> dict[str, str]:
    import os

    trades_per_candle = 600
    speed = rate_per_s * 60 / trades_per_candle
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRYPTOPULSE_")}
    env.update(
        {
            "CRYPTOPULSE_DATA_DIR": str(data_dir),
            "CRYPTOPULSE_LOG_LEVEL": "WARNING",
            "CRYPTOPULSE_PAPER_SYMBOLS": "BTC/USDT",
            "CRYPTOPULSE_FEED_SYMBOLS": "BTC/USDT",
            "CRYPTOPULSE_GATEWAY_SYMBOLS": "BTC/USDT",
            "CRYPTOPULSE_PAPER_SPEED": str(speed),
            "CRYPTOPULSE_PAPER_TRADES_PER_CANDLE": str(trades_per_candle),
            "CRYPTOPULSE_PAPER_HISTORY_CANDLES": "100",
            "CRYPTOPULSE_FEED_BACKFILL_CANDLES": "50",
            "CRYPTOPULSE_FEED_INTERVALS": "1m,5m,1h",
        }
    )
    for name in ("NATS", "POSTGRES", "PAPER", "GATEWAY", "FEED", "AGENT", "RISK_GATE", "EXECUTOR"):
        env[f"CRYPTOPULSE_{name}_PORT"] = str(free_port())
    if REFERENCE_CANDLES.exists():
        env["CRYPTOPULSE_PAPER_CANDLES_FILE"] = str(REFERENCE_CANDLES)
    return env


async def _count_trades(nats_url: str, warmup_s: float, measure_s: float) -> tuple[int, int, int, float]:
    nc = await nats.connect(nats_url, pending_size=256 * 1024 * 1024)
    seen: set[int] = set()
    duplicates = 0
    counting = False
    first_at = last_at = 0.0

    async def on_trade(msg: object) -> None:
        nonlocal duplicates, first_at, last_at
        if not counting:
            return
        trade_id = int(json.loads(msg.data)["trade_id"])  # type: ignore[attr-defined]
        if trade_id in seen:
            duplicates += 1
        seen.add(trade_id)
        now = time.perf_counter()
        first_at = first_at or now
        last_at = now

    await nc.subscribe(subjects.trades("paper", "BTC/USDT"), cb=on_trade, pending_msgs_limit=10_000_000)
    await asyncio.sleep(warmup_s)
    counting = True
    await asyncio.sleep(measure_s)
    counting = False
    await asyncio.sleep(2)  # let what was published in the window arrive
    await nc.close()
    if not seen:
        return 0, 0, 0, 0.0
    missing = (max(seen) - min(seen) + 1) - len(seen)
    return len(seen), missing, duplicates, last_at - first_at


def run_feed_benchmark(rate_per_s: int, *, warmup_s: float = 8, measure_s: float = 20) -> FeedResult:
    """Run the stack with the paper exchange trading ``rate_per_s``; measure what the subscriber gets."""
    with tempfile.TemporaryDirectory(prefix="cryptopulse-bench-") as tmp:
        env = _stack_env(rate_per_s, Path(tmp))
        import os

        saved = dict(os.environ)
        os.environ.clear()
        os.environ.update(env)  # the stack reads its ports through the settings classes
        try:
            stack = Stack(StackSettings(), out=io.StringIO(), env=dict(env))
            stack.start()
            try:
                received, missing, duplicates, seconds = asyncio.run(
                    _count_trades(
                        env.get("CRYPTOPULSE_NATS_URL") or stack.env["CRYPTOPULSE_NATS_URL"],
                        warmup_s,
                        measure_s,
                    )
                )
                stack.check_alive()
            finally:
                stack.stop()
        finally:
            os.environ.clear()
            os.environ.update(saved)
    return FeedResult(
        offered_per_s=float(rate_per_s),
        delivered_per_s=received / seconds if seconds else 0.0,
        received=received,
        missing=missing,
        duplicates=duplicates,
        seconds=seconds,
        price_source="BTCUSDT March 2023 replay" if REFERENCE_CANDLES.exists() else "seeded random walk",
    )
