"""Risk gate: decisions per second and decision latency of one gate process deciding for 1,000 users.

A NATS, a migrated PostgreSQL and a paper exchange (for the venue's listing only) of the run's
own; 1,000 users, each with balances, a BTC and an ETH position and autonomous mode, so an intent
that passes every check is approved and its order command published: the whole path. Reference
ticks for BTC/USDT and ETH/USDT go out on core NATS every 0.5 s. Intents (small LIMIT orders 1%
off the reference, distinct digests, spread round-robin over the users) are published to
JetStream, acknowledged, with ``k`` in flight (a closed loop); a round trip ends when the decision
reaches a core-NATS subscriber here.

In the same run and at the same ``k``, the floors: a raw JetStream echo (publish → pull consumer
in another process → acknowledged publish back), a raw PostgreSQL transaction (``SELECT … FOR
UPDATE`` + ``INSERT``, what a decision needs at least) over asyncpg and through the project's
``service_session``, and the gate's own database work per decision (``Decider.decide``, and its
share of the batched marks out of the outbox) run in this process without NATS. Then the pure
checks in a tight loop, and the CPU each process spent per decision, to show where the time goes.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import nats
from prometheus_client import CollectorRegistry
from sqlalchemy.ext.asyncio import AsyncEngine

from cryptopulse.bench.latency import Latency, RoundTrip, closed_loop, ms, pair
from cryptopulse.bench.orders import BUSY_BELOW, cpu_share
from cryptopulse.bench.risk_floors import (
    GATE_CONNECTIONS,
    CpuMeter,
    CpuPerDecision,
    InProcessGate,
    JetStreamEcho,
    PostgresFloor,
    StatementCounter,
    pure_rates,
)
from cryptopulse.bench.risk_flow import (
    APPROVED,
    TICK_EVERY_S,
    IntentFlow,
    IntentMaker,
    describe_intents,
    send_ticks,
)
from cryptopulse.bench.risk_stack import USERS, VENUE, RiskStack, Say, risk_stack
from services.risk_gate import checks
from services.risk_gate.decider import Decider
from services.risk_gate.main import DECISION_POOL_SIZE, create_decision_pool, create_gate_engine
from services.risk_gate.markets import Listing, load_listing
from services.risk_gate.metrics import RiskMetrics
from services.risk_gate.published import PublishedMarks
from services.risk_gate.references import ReferencePrices
from shared.db.service_pool import create_service_sessionmaker

DEFAULT_LEVELS: Mapping[int, int] = {1: 100, 10: 300, 100: 500}
"""Intents per in-flight level, kept since the gate decided some 30 intents a second (so runs stay
comparable; it now decides hundreds a second, and the whole run takes under a minute)."""
DEFAULT_BASELINE_COUNT = 150
DEFAULT_WARMUP = 100
ECHO_CPU_COUNT = 2000
TARGET_PER_S = 5000.0
TARGET_P99_MS = 5.0
"""The issue's targets for one gate process with 1,000 users."""


# -- RESULTS -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ClientCpu:
    """CPU milliseconds this process spent per round trip of each database floor: what the client
    side of the same work costs, whatever the waiting."""

    postgres_ms: float
    session_ms: float
    in_process_ms: float


@dataclass(frozen=True, slots=True)
class RiskLevel:
    """One in-flight level: the gate and its floors, each a closed loop at ``in_flight``."""

    in_flight: int
    gate: Latency
    """Intent published (acknowledged) → decision received, through the gate process."""
    jetstream: Latency
    """Raw JetStream echo: acknowledged publish → pull consumer → acknowledged publish back."""
    postgres: Latency
    """Raw asyncpg transaction: ``SELECT … FOR UPDATE`` of the user's row + one ``INSERT``."""
    session: Latency
    """The same two statements through ``service_session`` (SQLAlchemy, role and claims set)."""
    in_process: Latency
    """The gate's database work per decision (decide; marked published in batches), here, without NATS."""
    cpu: CpuPerDecision
    client_cpu: ClientCpu
    cpu_share: float
    """Share of a core a busy loop got just before the level: under 1, something else was running."""
    statements: float = 0.0
    """SQL statements per decision of the in-process gate at this level (batches share them)."""
    transactions: float = 0.0


@dataclass(frozen=True, slots=True)
class RiskResult:
    users: int
    cores: int
    levels: tuple[RiskLevel, ...]
    outcomes: Mapping[str, int]
    """Decisions the gate published during the levels, by outcome (all approved when healthy)."""
    checks_per_s: float
    """``checks.evaluate`` on a typical passing proposal, in a tight loop."""
    pipeline_per_s: float
    """Intake (parse, validate) + checks + decision and order messages serialised: no I/O."""
    statements_per_decision: float
    """SQL statements the gate's transactions execute per decision (BEGIN/COMMIT not counted)."""
    transactions_per_decision: float
    proposal: str
    load_average: float
    """The machine's one-minute load average when the run started."""
    profile: str | None = None
    """Where the gate's cProfile statistics went; its figures are then slowed by the profiler."""
    echo_cpu_ms: float = 0.0
    """CPU milliseconds the JetStream echo process spent per message at the highest level: a
    Python process's NATS work for one decision (fetch, an acknowledged publish, the ack) alone."""


def best(result: RiskResult) -> RiskLevel:
    """The level with the highest decision rate: the closed-loop maximum."""
    return max(result.levels, key=lambda level: level.gate.per_s)


def single(result: RiskResult) -> RiskLevel | None:
    return next((level for level in result.levels if level.in_flight == 1), None)


# -- THE TABLE ---------------------------------------------------------------------------------------


def ratio(numerator: float, denominator: float) -> str:
    """``numerator / denominator`` as ``12.3x``; empty when the denominator is not positive."""
    if denominator <= 0:
        return ""
    value = numerator / denominator
    if value < 10:
        return f"{value:.2f}x"
    return f"{value:.1f}x" if value < 100 else f"{value:,.0f}x"


def verdict(result: RiskResult) -> str:
    """The targets, met or missed, and by how much."""
    top = best(result)
    rate = top.gate.per_s
    rate_text = (
        f"met ({rate:,.0f}/s at {top.in_flight} in flight)"
        if rate >= TARGET_PER_S
        else f"missed: {rate:,.0f}/s at best ({top.in_flight} in flight), "
        f"{TARGET_PER_S / rate if rate else float('inf'):.1f}x short"
    )
    one = single(result)
    if one is None:
        p99_text = "not measured (no level at 1 in flight)"
    elif one.gate.p99_ms <= TARGET_P99_MS:
        p99_text = f"met ({ms(one.gate.p99_ms)} ms at 1 in flight)"
    else:
        p99_text = (
            f"missed: {ms(one.gate.p99_ms)} ms at 1 in flight, "
            f"{one.gate.p99_ms / TARGET_P99_MS:.1f}x the target"
        )
    return f"Targets: ≥ {TARGET_PER_S:,.0f} decisions/s: {rate_text}; p99 ≤ {TARGET_P99_MS:g} ms: {p99_text}."


def ceiling(result: RiskResult) -> str:
    """What one gate process can reach at most, from the CPU measured per decision, and where the
    floors measured in the same run put it."""
    top = best(result)
    gate_ms, total_ms = top.cpu.gate_ms, top.cpu.total_ms
    if gate_ms <= 0:
        return ""
    budget_ms = 1000 / TARGET_PER_S
    pipeline_ms = 1000 / result.pipeline_per_s
    return (
        f"Ceiling: at {top.in_flight} in flight the gate spent {ms(gate_ms)} ms of CPU per decision, so one "
        f"process cannot pass {1000 / gate_ms:,.0f} decisions/s even with a core to itself; "
        f"{TARGET_PER_S:,.0f}/s leaves it {budget_ms:.2f} ms. Floors of the same run: the JetStream "
        f"echo process alone spends {ms(result.echo_cpu_ms)} ms per message (one publish; the gate makes "
        f"two), intake + checks + messages {pipeline_ms:.2f} ms: {result.echo_cpu_ms + pipeline_ms:.2f} ms "
        f"before any database work. All processes together spent {ms(total_ms)} ms per decision: "
        f"{TARGET_PER_S:,.0f}/s would keep {total_ms * TARGET_PER_S / 1000:.1f} cores busy, on a "
        f"machine of {result.cores}."
    )


def _per_level_sql(result: RiskResult) -> list[str]:
    """Statements and transactions per decision at each level: batching shares them."""
    if not any(level.statements for level in result.levels):
        return []
    parts = [
        f"{level.statements:.2f} statements in {level.transactions:.2f} transactions at {level.in_flight}"
        for level in result.levels
    ]
    return [f"Per decision by level (intents in flight): {'; '.join(parts)}."]


def risk_table(result: RiskResult) -> str:
    """The Markdown block: latency and rate beside their floors, CPU per decision, the verdict."""
    lines = [
        "| in flight | decisions | risk gate p50 / p99 (ms) | raw JetStream echo | raw PG lock + insert "
        "| same via service_session | gate's DB work in-process | gate p50 ÷ JetStream | gate p50 ÷ PG |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for level in result.levels:
        lines.append(
            f"| {level.in_flight} | {level.gate.count:,} | {pair(level.gate)} | {pair(level.jetstream)} "
            f"| {pair(level.postgres)} | {pair(level.session)} | {pair(level.in_process)} "
            f"| {ratio(level.gate.p50_ms, level.jetstream.p50_ms)} "
            f"| {ratio(level.gate.p50_ms, level.postgres.p50_ms)} |"
        )
    lines += [
        "",
        "| in flight | risk gate (decisions/s) | raw JetStream echo (/s) | raw PG lock + insert (/s) "
        "| same via service_session (/s) | gate's DB work in-process (/s) | JetStream ÷ gate "
        "| PG ÷ gate |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for level in result.levels:
        lines.append(
            f"| {level.in_flight} | {level.gate.per_s:,.0f} | {level.jetstream.per_s:,.0f} "
            f"| {level.postgres.per_s:,.0f} | {level.session.per_s:,.0f} | {level.in_process.per_s:,.0f} "
            f"| {ratio(level.jetstream.per_s, level.gate.per_s)} "
            f"| {ratio(level.postgres.per_s, level.gate.per_s)} |"
        )
    lines += [
        "",
        "| in flight | CPU per decision (ms): gate / PostgreSQL / NATS / client = total | cores kept busy "
        "| client CPU per transaction (ms): raw PG / service_session / gate's DB work | core share before |",
        "|---:|---|---:|---|---:|",
    ]
    for level in result.levels:
        cpu, client = level.cpu, level.client_cpu
        lines.append(
            f"| {level.in_flight} "
            f"| {ms(cpu.gate_ms)} / {ms(cpu.postgres_ms)} / {ms(cpu.nats_ms)} / {ms(cpu.client_ms)} "
            f"= {ms(cpu.total_ms)} | {cpu.total_ms * level.gate.per_s / 1000:.2f} of {result.cores} "
            f"| {ms(client.postgres_ms)} / {ms(client.session_ms)} / {ms(client.in_process_ms)} "
            f"| {level.cpu_share:.0%} |"
        )
    outcomes = ", ".join(f"{n:,} {outcome}" for outcome, n in sorted(result.outcomes.items()))
    lines += [
        "",
        f"Pure checks (`checks.evaluate`, all {len(checks.CHECKS)} passing): "
        f"{result.checks_per_s:,.0f}/s ({1e6 / result.checks_per_s:,.0f} µs each); intake + checks + "
        f"decision and order messages, no I/O: {result.pipeline_per_s:,.0f}/s "
        f"({1e6 / result.pipeline_per_s:,.0f} µs each).",
        f"Per decision the gate runs {result.transactions_per_decision:.2f} transactions with "
        f"{result.statements_per_decision:.1f} SQL statements (plus BEGIN and COMMIT each; the gate's "
        "pool does no pre-ping), two acknowledged publishes at once (decision, order command) and an "
        "acknowledged ack; marking decisions published is batched off the decision's path.",
        *_per_level_sql(result),
        f"Decisions: {outcomes}.",
        "",
        verdict(result),
        "",
        ceiling(result),
        "",
    ]
    busiest = min((level.cpu_share for level in result.levels), default=1.0)
    if busiest < BUSY_BELOW:
        lines += [
            f"**The machine was busy**: a busy loop got only {busiest:.0%} of a core before a level (load",
            f"average {result.load_average:.2f} at the start), so other processes competed with the run",
            "and the rates are pessimistic; CPU per decision is less affected.",
            "",
        ]
    lines += [
        f"One gate process, {result.users:,} users (balances, a BTC and an ETH position, autonomous",
        f"mode); intents = {result.proposal}, round-robin over the users (one in flight per user),",
        "closed loop; NATS, PostgreSQL (fsync on), the gate, the JetStream echo and this client share",
        f"{result.cores} cores. Default limits except the per-minute intent and order throttles, raised",
        "so that repeated intents are decided rather than throttled. Floors measured in the same run at",
        "the same concurrency; the raw PostgreSQL transaction and its service_session twin may open",
        f"{GATE_CONNECTIONS} connections (the gate decides on {DECISION_POOL_SIZE}, a batch a transaction).",
        "Client CPU is this process's CPU per transaction (per decision for the gate's two), the Python",
        "side of the same database work.",
    ]
    if result.profile is not None:
        lines += [
            "",
            f"**The gate ran under cProfile** (statistics in `{result.profile}`): its figures are slowed.",
        ]
    return "\n".join(lines)


# -- THE RUN -----------------------------------------------------------------------------------------


async def _client_timed(round_trip: RoundTrip, in_flight: int, count: int) -> tuple[Latency, float]:
    """The closed loop's figures and this process's CPU milliseconds per round trip."""
    started = time.process_time()
    latency = await closed_loop(round_trip, in_flight=in_flight, count=count)
    return latency, (time.process_time() - started) * 1000 / count


async def _echo_cpu(echo: JetStreamEcho, in_flight: int) -> float:
    """The echo process's CPU milliseconds per message over ``ECHO_CPU_COUNT`` round trips: enough
    that /proc's 10 ms clock ticks blur it by under 0.01 ms."""
    started = echo.cpu_seconds()
    await closed_loop(echo.round_trip, in_flight=in_flight, count=ECHO_CPU_COUNT)
    return (echo.cpu_seconds() - started) * 1000 / ECHO_CPU_COUNT


async def _counted(
    counter: StatementCounter, engine: AsyncEngine, gate: InProcessGate, in_flight: int, count: int
) -> tuple[Latency, float, float, float]:
    """The in-process gate's closed loop and client CPU, then its statements and transactions per
    decision (its published marks included)."""
    before = (counter.statements, counter.transactions)
    counter.attach(engine)
    try:
        latency, cpu = await _client_timed(gate.round_trip, in_flight, count)
        await gate.settle()
    finally:
        counter.detach(engine)
    return latency, cpu, (counter.statements - before[0]) / count, (counter.transactions - before[1]) / count


async def _measure(
    stack: RiskStack,
    levels: Mapping[int, int],
    *,
    baseline_count: int,
    warmup: int,
    pure_s: float,
    load_average: float,
    say: Say,
) -> RiskResult:
    ticker = await nats.connect(stack.nats.url)
    references = ReferencePrices()
    ticking = asyncio.create_task(send_ticks(ticker, references))
    maker = IntentMaker(stack.users)
    flow = await IntentFlow.connect(stack.nats.url, maker)
    echo = await JetStreamEcho.start(stack.nats.url, maker.make(0).to_json())
    engine = create_gate_engine(stack.postgres.url)  # as the gate's
    sessionmaker = create_service_sessionmaker(engine)
    floor = await PostgresFloor.start(stack.postgres.dsn, sessionmaker, stack.users)
    assert stack.postgres.process is not None and stack.nats.process is not None
    meter = CpuMeter(stack.gate, stack.postgres.process.pid, stack.nats.process.pid)
    counter = StatementCounter()
    pool = await create_decision_pool(stack.postgres.url, init=counter.install)  # as the gate's
    listing = Listing()
    metrics = RiskMetrics(CollectorRegistry())  # as the gate's, on a registry nobody scrapes
    decider = Decider(sessionmaker, pool, listing, references, venue=VENUE.value, metrics=metrics)
    in_process = InProcessGate(decider, PublishedMarks(sessionmaker), maker)
    try:
        await load_listing(listing, venue=VENUE.value, paper_url=stack.paper_url)
        await asyncio.sleep(2 * TICK_EVERY_S)  # the gate has seen a tick of each symbol
        say(f"warm-up: {warmup} intents")
        await closed_loop(flow.round_trip, in_flight=10, count=warmup)
        if set(flow.decisions.outcomes) != {APPROVED}:
            raise RuntimeError(f"warm-up intents were not all approved: {flow.decisions.refusals}")
        flow.decisions.outcomes.clear()
        for round_trip in (echo.round_trip, floor.raw, floor.session, in_process.round_trip):
            await closed_loop(round_trip, in_flight=10, count=50)
        results = []
        for in_flight, count in levels.items():
            say(f"{in_flight} in flight: {count:,} intents, then the floors")
            share = cpu_share()
            meter.start()
            gate = await closed_loop(flow.round_trip, in_flight=in_flight, count=count)
            cpu = meter.per_decision(count)
            jetstream = await closed_loop(echo.round_trip, in_flight=in_flight, count=baseline_count)
            postgres, postgres_cpu = await _client_timed(floor.raw, in_flight, baseline_count)
            session, session_cpu = await _client_timed(floor.session, in_flight, baseline_count)
            local, local_cpu, statements, transactions = await _counted(
                counter, engine, in_process, in_flight, baseline_count
            )
            client = ClientCpu(postgres_cpu, session_cpu, local_cpu)
            figures = {"statements": statements, "transactions": transactions}
            results.append(
                RiskLevel(in_flight, gate, jetstream, postgres, session, local, cpu, client, share, **figures)
            )
        if set(in_process.outcomes) != {APPROVED}:
            raise RuntimeError(f"in-process decisions were not all approved: {dict(in_process.outcomes)}")
        checks_per_s, pipeline_per_s = await pure_rates(sessionmaker, listing, references, maker, pure_s)
        echo_cpu_ms = await _echo_cpu(echo, max(levels))
        decided = baseline_count * len(levels)
        return RiskResult(
            users=len(stack.users),
            cores=os.cpu_count() or 1,
            levels=tuple(results),
            outcomes=dict(flow.decisions.outcomes),
            checks_per_s=checks_per_s,
            pipeline_per_s=pipeline_per_s,
            statements_per_decision=counter.statements / decided,
            transactions_per_decision=counter.transactions / decided,
            proposal=describe_intents(),
            load_average=load_average,
            echo_cpu_ms=echo_cpu_ms,
        )
    finally:
        ticking.cancel()
        for close in (in_process.close, floor.close, echo.close, flow.close, ticker.close, pool.close):
            await close()
        await engine.dispose()


def run_risk_benchmark(
    levels: Mapping[int, int] = DEFAULT_LEVELS,
    *,
    users: int = USERS,
    baseline_count: int = DEFAULT_BASELINE_COUNT,
    warmup: int = DEFAULT_WARMUP,
    pure_s: float = 1.0,
    profile: Path | None = None,
    say: Say = lambda _: None,
) -> RiskResult:
    """Start everything in a temporary folder, measure each in-flight level, stop everything.

    ``levels`` maps intents in flight to intents sent at that level. With ``profile`` the gate
    runs under cProfile and writes its statistics there when it stops (its figures then suffer).
    """
    load_average = os.getloadavg()[0]
    with (
        tempfile.TemporaryDirectory(prefix="cryptopulse-bench-risk-") as tmp,
        risk_stack(Path(tmp), users, profile, say) as stack,
    ):
        result = asyncio.run(
            _measure(
                stack,
                levels,
                baseline_count=baseline_count,
                warmup=warmup,
                pure_s=pure_s,
                load_average=load_average,
                say=say,
            )
        )
        stack.gate.check_alive()
        say("stopping")
    if profile is not None:
        result = dataclasses.replace(result, profile=str(profile))
    return result


def parse_levels(text_levels: str) -> dict[int, int]:
    """``"1:300,10:1000"`` → ``{1: 300, 10: 1000}`` (in flight → intents)."""
    levels: dict[int, int] = {}
    for part in text_levels.split(","):
        in_flight, _, count = part.strip().partition(":")
        if not in_flight.isdigit() or not count.isdigit() or int(in_flight) < 1 or int(count) < 1:
            raise ValueError(f"expected in_flight:count with positive integers, was {part!r}")
        levels[int(in_flight)] = int(count)
    return levels


def stderr_progress() -> Say:
    """Progress to stderr, each line with the seconds elapsed since this call."""
    started = time.monotonic()

    def say(what: str) -> None:
        print(f"[{time.monotonic() - started:5.1f}s] {what}", file=sys.stderr, flush=True)

    return say


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m cryptopulse.bench.risk``: run the benchmark and print its table."""
    parser = argparse.ArgumentParser(prog="python -m cryptopulse.bench.risk", description=__doc__)
    parser.add_argument("--levels", default=",".join(f"{k}:{n}" for k, n in DEFAULT_LEVELS.items()),
                        help="in_flight:intents,… (default %(default)s)")  # fmt: skip
    parser.add_argument("--users", type=int, default=USERS)
    parser.add_argument("--baseline-count", type=int, default=DEFAULT_BASELINE_COUNT,
                        help="round trips per floor and level (default %(default)s)")  # fmt: skip
    parser.add_argument("--warmup", type=int, default=DEFAULT_WARMUP)
    parser.add_argument("--profile", type=Path, help="run the gate under cProfile, statistics to this file")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)
    say = stderr_progress()
    result = run_risk_benchmark(
        parse_levels(args.levels),
        users=args.users,
        baseline_count=args.baseline_count,
        warmup=args.warmup,
        profile=args.profile.resolve() if args.profile else None,
        say=say,
    )
    if args.json is not None:
        args.json.write_text(json.dumps(dataclasses.asdict(result), indent=2))
    print(risk_table(result))


if __name__ == "__main__":
    main()
