"""Run every benchmark, print one table, and optionally write it into the README."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import platform
import tempfile
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from cryptopulse.bench.backtest import backtest_table, run_backtest_benchmark
from cryptopulse.bench.feed import FeedResult, run_feed_benchmark
from cryptopulse.bench.gateway import DEFAULT_ARRIVALS, run_gateway_benchmark
from cryptopulse.bench.gateway_figures import Arrivals, gateway_table
from cryptopulse.bench.http_metrics import http_metrics_table, run_http_metrics_benchmark
from cryptopulse.bench.kill import DEFAULT_ORDERS, kill_table, run_kill_benchmark
from cryptopulse.bench.nats_baseline import core_publish_subscribe, jetstream_publish_subscribe
from cryptopulse.bench.orders import DEFAULT_COUNTS, orders_table, run_orders_benchmark
from cryptopulse.bench.parser import parser_table, run_parser_benchmark
from cryptopulse.bench.replay import DEFAULT_MESSAGES, replay_table, run_replay_benchmark
from cryptopulse.bench.risk import DEFAULT_LEVELS, risk_table, run_risk_benchmark, stderr_progress
from cryptopulse.bench.rules import rules_table, run_rules_benchmark
from cryptopulse.readme import replace_section
from cryptopulse.servers.nats import NatsServer
from shared.messages.market import TradeTick

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"


def _tick_payload() -> bytes:
    return TradeTick(
        venue="paper",
        symbol="BTC/USDT",
        trade_id="123456789",
        price="23140.48",
        quantity="0.00123",
        ts_event=datetime.now(UTC),
    ).to_json()


def _baselines(count: int) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as tmp, NatsServer(Path(tmp)) as server:
        core = asyncio.run(core_publish_subscribe(server.url, _tick_payload(), count))
        jetstream = asyncio.run(jetstream_publish_subscribe(server.url, _tick_payload(), count // 4))
    return core, jetstream


def _measured() -> str:
    return f"Measured {datetime.now(UTC):%Y-%m-%d} on {platform.machine()}, {os.cpu_count()} cores"


def _table(core: float, jetstream: float, feeds: list[FeedResult]) -> str:
    lines = [
        f"{_measured()}; payload = one TradeTick ({len(_tick_payload())} bytes).",
        "",
        "| measurement | rate (msg/s) | vs raw core NATS | vs raw JetStream | loss | keeps up |",
        "|---|---:|---:|---:|---|---|",
        f"| raw core NATS publish → subscribe (baseline) | {core:,.0f} | 1.00 | | | |",
        f"| raw JetStream acked publish → subscribe (baseline) | {jetstream:,.0f} "
        f"| {jetstream / core:.2f} | 1.00 | | |",
    ]
    for feed in feeds:
        loss = f"{feed.missing} missing, {feed.duplicates} duplicated of {feed.received:,}"
        keeps_up = "yes" if feed.delivered_per_s >= 0.97 * feed.offered_per_s else "no: falls behind"
        lines.append(
            f"| feed end to end at {feed.offered_per_s:,.0f} trades/s offered "
            f"({feed.price_source}) | {feed.delivered_per_s:,.0f} | {feed.delivered_per_s / core:.2f} | "
            f"{feed.delivered_per_s / jetstream:.2f} | {loss} | {keeps_up} |"
        )
    lines += [
        "",
        "End to end = paper exchange (its own process) → ccxt.pro WebSocket → market_feed (validation,",
        "exact decimals, acknowledged JetStream publish) → a subscriber in the benchmark process.",
        "Target: ≥ 10,000 ticks/s with zero loss on 2 cores. Loss counts holes and repeats in the trade",
        "ids received during the window; a feed that falls behind lags (its backlog grows) but loses nothing",
        "until the venue drops it as a slow consumer, which the feed then reports as lost trades.",
    ]
    return "\n".join(lines)


def _run_feed(rates: list[int]) -> str:
    core, jetstream = _baselines(200_000)
    feeds = [run_feed_benchmark(rate) for rate in rates]
    _save(
        "bench.json",
        {"raw_core_nats": core, "raw_jetstream": jetstream, "feeds": [f.__dict__ for f in feeds]},
    )
    return _table(core, jetstream, feeds)


def _run_orders(counts: Mapping[int, int], *, header: bool) -> str:
    result = run_orders_benchmark(counts)
    _save("bench-orders.json", dataclasses.asdict(result))
    title = f"{_measured()}. " if header else ""
    return f"{title}**Order round trip** (command → exchange → event):\n\n{orders_table(result)}"


def _run_risk(levels: Mapping[int, int], *, header: bool) -> str:
    result = run_risk_benchmark(levels, say=stderr_progress())
    _save("bench-risk.json", dataclasses.asdict(result))
    title = f"{_measured()}. " if header else ""
    return f"{title}**Risk gate** (intent → decision, {result.users:,} users):\n\n{risk_table(result)}"


def _run_kill(orders: int, *, header: bool) -> str:
    result = run_kill_benchmark(orders)
    _save("bench-kill.json", dataclasses.asdict(result))
    title = f"{_measured()}. " if header else ""
    heading = f"**Kill switch** (engaged → zero open orders, {result.orders:,} orders)"
    return f"{title}{heading}:\n\n{kill_table(result)}"


def _run_rules(*, header: bool) -> str:
    results = run_rules_benchmark()
    _save("bench-rules.json", [dataclasses.asdict(r) for r in results])
    title = f"{_measured()}. " if header else ""
    return f"{title}**Rules engine** (cost per tick or candle close, in memory):\n\n{rules_table(results)}"


def _run_parser(*, header: bool) -> str:
    result = run_parser_benchmark()
    _save("bench-parser.json", dataclasses.asdict(result))
    title = f"{_measured()}. " if header else ""
    heading = "**Offline parser** (chat commands per second, beside reading them as JSON)"
    return f"{title}{heading}:\n\n{parser_table(result)}"


def _run_backtest(*, header: bool) -> str:
    result = run_backtest_benchmark()
    _save("bench-backtest.json", dataclasses.asdict(result))
    title = f"{_measured()}. " if header else ""
    heading = "**Backtest** (1-minute candles per second, beside backtesting.py)"
    return f"{title}{heading}:\n\n{backtest_table(result)}"


def _run_gateway(arrivals: Arrivals, tick_flush_ms: int | None, *, header: bool) -> str:
    result = run_gateway_benchmark(arrivals=arrivals, tick_flush_ms=tick_flush_ms, say=stderr_progress())
    _save("bench-gateway.json", dataclasses.asdict(result))
    title = f"{_measured()}. " if header else ""
    heading = (
        f"**API gateway** (REST with {result.clients} concurrent clients, "
        f"WebSocket fan-out to {result.subscribers})"
    )
    return f"{title}{heading}:\n\n{gateway_table(result)}"


def _run_replay(messages: int, *, header: bool) -> str:
    result = run_replay_benchmark(messages, say=stderr_progress())
    _save("bench-replay.json", dataclasses.asdict(result))
    title = f"{_measured()}. " if header else ""
    heading = f"**Audit replay** (messages per second over {result.messages:,} recorded messages)"
    return f"{title}{heading}:\n\n{replay_table(result)}"


def _run_http_metrics(*, header: bool) -> str:
    result = run_http_metrics_benchmark()
    _save("bench-http-metrics.json", dataclasses.asdict(result))
    title = f"{_measured()}. " if header else ""
    heading = "**HTTP request metrics** (cost per request of the middleware every service runs)"
    return f"{title}{heading}:\n\n{http_metrics_table(result)}"


def _save(name: str, figures: object) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / name).write_text(json.dumps(figures, indent=2))


def run_benchmarks(
    *,
    rates: list[int],
    update_readme: bool,
    only: str | None = None,
    order_counts: Mapping[int, int] = DEFAULT_COUNTS,
    risk_levels: Mapping[int, int] = DEFAULT_LEVELS,
    kill_orders: int = DEFAULT_ORDERS,
    replay_messages: int = DEFAULT_MESSAGES,
    arrivals: Arrivals = DEFAULT_ARRIVALS,
    tick_flush_ms: int | None = None,
) -> str:
    """Run the feed benchmark, the order round trip, the risk gate, the kill switch, the rules
    engine, the offline parser, the backtest, the API gateway, the audit replay, the HTTP request
    metrics, or (``only`` unset) all ten, as the README shows them."""
    if update_readme and only is not None:
        raise ValueError("the README shows every benchmark: --update-readme needs a full run")
    sections = []
    if only in (None, "feed"):
        sections.append(_run_feed(rates))
    if only in (None, "orders"):
        sections.append(_run_orders(order_counts, header=only == "orders"))
    if only in (None, "risk"):
        sections.append(_run_risk(risk_levels, header=only == "risk"))
    if only in (None, "kill"):
        sections.append(_run_kill(kill_orders, header=only == "kill"))
    if only in (None, "rules"):
        sections.append(_run_rules(header=only == "rules"))
    if only in (None, "parser"):
        sections.append(_run_parser(header=only == "parser"))
    if only in (None, "backtest"):
        sections.append(_run_backtest(header=only == "backtest"))
    if only in (None, "gateway"):
        sections.append(_run_gateway(arrivals, tick_flush_ms, header=only == "gateway"))
    if only in (None, "replay"):
        sections.append(_run_replay(replay_messages, header=only == "replay"))
    if only in (None, "http"):
        sections.append(_run_http_metrics(header=only == "http"))
    table = "\n\n".join(sections)
    if update_readme:
        replace_section("bench", table)
    return table
