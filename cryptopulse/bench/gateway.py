"""Gateway benchmark: REST p50/p99 with 200 concurrent signed-in clients, and WebSocket fan-out lag
of ticks to 500 clients, each beside a floor from the same run.

NATS, a migrated PostgreSQL with 200 traders' rows and the gateway (its own process) of the run's
own. REST: the clients (two processes) run closed loops over a realistic signed-in mix for a few
seconds, after the same clients on ``/healthz`` (the HTTP stack alone) and beside ``/api/pnl``'s
database work over raw asyncpg (the database's floor). Fan-out: 500 raw core-NATS subscribers,
then 500 WebSocket clients of ``/api/ws``, receive trades published at fixed rates; lag is
receive time - publish time of every delivery (for a batched trade, when its ``trades`` frame came).
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Literal, TypeVar
from urllib.parse import quote

import nats
from nats.aio.client import Client

from cryptopulse.bench.gateway_clients import (
    COLLECT,
    GO,
    STOP,
    FanOutPlan,
    FanOutReport,
    OpenRestPlan,
    RestPlan,
    RestReport,
    Workers,
    fan_out_worker,
    open_rest_worker,
    rest_worker,
)
from cryptopulse.bench.gateway_figures import (
    Arrivals,
    Cores,
    FanOutPhase,
    GatewayResult,
    RestPhase,
    lag_of,
)
from cryptopulse.bench.gateway_http import get_request
from cryptopulse.bench.gateway_stack import SYMBOL, VENUE, GatewayStack, gateway_stack
from cryptopulse.bench.latency import Latency
from cryptopulse.bench.orders import cpu_share
from cryptopulse.bench.processes import cpu_seconds
from cryptopulse.bench.risk_stack import Say
from services.api_gateway.main import READ_POOL_MAX
from services.api_gateway.user_reads import UserReads
from shared.config.settings import GatewaySettings
from shared.db.tenant_pool import create_tenant_pool
from shared.messages import subjects
from shared.messages.market import TradeTick

T = TypeVar("T")
CLIENTS = 200
SUBSCRIBERS = 500
CLIENT_PROCESSES = 2
DEFAULT_RATES = (20, 100, 500)
REST_S = 5.0
OPEN_S = 10.0
"""The open loop's scheduled window: at one request a second, 2,000 requests from 200 clients."""
DEFAULT_ARRIVALS = Arrivals(pace=1.0, poisson=True)
"""One request a second per open-loop client, at random: a screen refreshing its panels."""
TICKS_S = 5.0
DEFAULT_TICK_FLUSH_MS: int = GatewaySettings.model_fields["gateway_tick_flush_ms"].default
GRACE_S = 1.0
"""How long after the last tick the subscribers may still receive it before it counts as missing."""
POOL_CONNECTIONS = READ_POOL_MAX
"""As many connections as the gateway's read pool may open."""
ROUTES: tuple[tuple[str, str], ...] = (
    ("GET /api/orders", "/api/orders"),
    ("GET /api/positions", "/api/positions"),
    ("GET /api/pnl", "/api/pnl"),
    ("GET /api/intents?status=pending", "/api/intents?status=pending"),
    ("GET /api/market/candles", f"/api/market/candles?symbol={quote(SYMBOL, safe='')}&interval=1m"),
)


def split(items: Sequence[T], parts: int) -> list[list[T]]:
    """``items`` dealt round-robin into ``parts`` lists, none empty unless there are fewer items."""
    if parts < 1:
        raise ValueError(f"parts must be positive, was {parts}")
    return [list(items[n::parts]) for n in range(min(parts, len(items)))]


def mix_requests(
    host: str, port: int, tokens: Sequence[str], clients: int
) -> list[tuple[tuple[int, bytes], ...]]:
    """Per client, the five routes in order, starting at a different one for each neighbour,
    signed in as the next trader round-robin."""
    plans = []
    for n in range(clients):
        headers = {"Authorization": f"Bearer {tokens[n % len(tokens)]}"}
        order = [(n + k) % len(ROUTES) for k in range(len(ROUTES))]
        plans.append(tuple((r, get_request(host, port, ROUTES[r][1], headers)) for r in order))
    return plans


class Meter:
    """CPU the gateway, PostgreSQL (its backends included) and NATS use over a phase, in cores."""

    def __init__(self, stack: GatewayStack) -> None:
        assert stack.postgres.process is not None and stack.nats.process is not None
        self._gateway = stack.gateway
        self._postgres = stack.postgres.process.pid
        self._nats = stack.nats.process.pid
        self._start = self._now()

    def _now(self) -> tuple[float, float, float, float]:
        return (
            self._gateway.cpu_seconds(),
            cpu_seconds(self._postgres, children=True),
            cpu_seconds(self._nats),
            time.perf_counter(),
        )

    def start(self) -> None:
        self._start = self._now()

    def cores(self) -> Cores:
        now = self._now()
        elapsed = now[3] - self._start[3]
        gateway, postgres, nats_server = ((now[n] - self._start[n]) / elapsed for n in range(3))
        return Cores(gateway, postgres, nats_server)


def _rest_phase(
    what: str,
    stack: GatewayStack,
    requests: Sequence[tuple[tuple[int, bytes], ...]],
    routes: int,
    seconds: float,
    *,
    open_loop: Arrivals | None = None,
) -> tuple[RestPhase, list[list[float]]]:
    """Run the clients in ``CLIENT_PROCESSES`` processes, in closed loops or (``open_loop``) at
    their scheduled times; the phase and, per route, every request's seconds."""
    parts = split(requests, CLIENT_PROCESSES)
    if open_loop is None:
        worker: Callable[[Connection, Any], None] = rest_worker
        plans: list[object] = [
            RestPlan(stack.host, stack.port, tuple(part), routes, seconds) for part in parts
        ]
    else:
        worker = open_rest_worker
        plans = [
            OpenRestPlan(
                stack.host,
                stack.port,
                tuple(part),
                routes,
                seconds,
                open_loop.pace,
                open_loop.poisson,
                seed=n,
            )
            for n, part in enumerate(parts)
        ]
    meter = Meter(stack)
    try:
        with Workers(worker, plans) as workers:
            workers.receive()
            share = cpu_share()
            meter.start()
            workers.send(GO)
            reports: list[RestReport] = workers.receive(seconds + 120)
            cores = meter.cores()
    except RuntimeError as e:
        raise RuntimeError(f"{what}: {e}\nthe gateway's log ends:\n{stack.gateway.log_tail()}") from None
    failed = sum(r.errors for r in reports)
    first_failure = next((r.first_error for r in reports if r.first_error is not None), None)
    by_route = [[s for report in reports for s in report.samples[r]] for r in range(routes)]
    wall = max(r.wall_s for r in reports)
    latency = Latency.of([s for samples in by_route for s in samples], wall)
    client_cpu = tuple(r.cpu_s / r.wall_s for r in reports)
    offered = None if open_loop is None else open_loop.pace * len(requests)
    phase = RestPhase(what, latency, cores, client_cpu, share, failed, first_failure, offered)
    return phase, by_route


async def _database_floor(stack: GatewayStack, clients: int, seconds: float) -> RestPhase:
    """``/api/pnl``'s reads (the gateway's own ``UserReads.pnl_inputs``: one transaction as the
    user, three queries) over asyncpg, ``clients`` at once, for ``seconds``; no HTTP, no P&L."""
    users = list(stack.tokens)
    pool = await create_tenant_pool(stack.postgres.url, min_size=POOL_CONNECTIONS, max_size=POOL_CONNECTIONS)
    reads = UserReads(pool)
    samples: list[float] = []

    async def client(n: int, until: float) -> None:
        while time.perf_counter() < until:
            started = time.perf_counter()
            await reads.pnl_inputs(users[n % len(users)])
            samples.append(time.perf_counter() - started)

    try:
        await asyncio.gather(*(reads.pnl_inputs(u) for u in users[:clients]))  # warm-up
        share = cpu_share()
        meter = Meter(stack)
        meter.start()
        cpu, wall = time.process_time(), time.perf_counter()
        await asyncio.gather(*(client(n, wall + seconds) for n in range(clients)))
        elapsed = time.perf_counter() - wall
        cores = meter.cores()
        client_cpu = (time.process_time() - cpu) / elapsed
    finally:
        await pool.close()
    what = f"raw asyncpg: `/api/pnl`'s reads (database floor, {POOL_CONNECTIONS} connections)"
    return RestPhase(what, Latency.of(samples, elapsed), cores, (client_cpu,), share)


def _tick(trade_id: str) -> bytes:
    return TradeTick(
        venue=VENUE, symbol=SYMBOL, trade_id=trade_id, price="30000.10", quantity="0.00123",
        ts_event=datetime.now(UTC),
    ).to_json()  # fmt: skip


async def publish_ticks(publisher: Client, prefix: str, rate: int, seconds: float) -> dict[str, float]:
    """Publish ``rate`` trades a second on core NATS for ``seconds`` on a fixed schedule (no drift);
    return each trade id's publish time (``time.time()``)."""
    subject = subjects.trades(VENUE, SYMBOL)
    sent: dict[str, float] = {}
    started = time.perf_counter()
    for k in range(round(rate * seconds)):
        delay = started + k / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        trade_id = f"{prefix}-{k}"
        payload = _tick(trade_id)
        sent[trade_id] = time.time()
        await publisher.publish(subject, payload)
    await publisher.flush()
    return sent


async def _fan_out(
    stack: GatewayStack, subscribers: int, rates: Sequence[int], seconds: float
) -> list[FanOutPhase]:
    ws_url = f"ws://{stack.host}:{stack.port}/api/ws?symbol={quote(SYMBOL, safe='')}&interval=1m"
    subject = subjects.trades(VENUE, SYMBOL)
    kinds: tuple[tuple[str, Literal["nats", "websocket"], str], ...] = (
        ("raw core NATS (baseline)", "nats", stack.nats.url),
        ("gateway `/api/ws`", "websocket", ws_url),
    )
    publisher = await nats.connect(stack.nats.url)
    phases = []
    try:
        for what, kind, url in kinds:
            plans = [
                FanOutPlan(kind, url, subject, len(part))
                for part in split(range(subscribers), CLIENT_PROCESSES)
            ]
            with Workers(fan_out_worker, plans) as workers:
                await workers.areceive()
                for rate in rates:
                    share = cpu_share()
                    meter = Meter(stack)
                    meter.start()
                    sent = await publish_ticks(publisher, f"{kind}-{rate}", rate, seconds)
                    await asyncio.sleep(GRACE_S)
                    workers.send(COLLECT)
                    reports: list[FanOutReport] = await workers.areceive()
                    cores = meter.cores()
                    lag = lag_of(sent, (inbox for report in reports for inbox in report.received))
                    client_cpu = tuple(r.cpu_s / r.wall_s for r in reports)
                    phases.append(FanOutPhase(what, rate, len(sent), lag, cores, client_cpu, share))
                workers.send(STOP)
                await workers.areceive()
    finally:
        await publisher.close()
    return phases


def _by_route(mix: RestPhase, by_route: list[list[float]]) -> tuple[tuple[str, Latency], ...]:
    return tuple(
        (name, Latency.of(samples, mix.latency.count / mix.latency.per_s))
        for (name, _), samples in zip(ROUTES, by_route, strict=True)
    )


def run_gateway_benchmark(
    *,
    clients: int = CLIENTS,
    subscribers: int = SUBSCRIBERS,
    rates: Sequence[int] = DEFAULT_RATES,
    rest_s: float = REST_S,
    open_s: float = OPEN_S,
    arrivals: Arrivals = DEFAULT_ARRIVALS,
    ticks_s: float = TICKS_S,
    tick_flush_ms: int | None = None,
    say: Say = lambda _: None,
) -> GatewayResult:
    """Start NATS, PostgreSQL and the gateway in a temporary folder, seed, measure, stop everything;
    ``say`` hears each phase as it starts. The gateway batches trades every ``tick_flush_ms``
    (unset: the setting's default, what a deployment gets)."""
    if clients < 1 or subscribers < 1 or not rates or any(rate < 1 for rate in rates):
        raise ValueError(
            f"expected positive clients, subscribers and rates, were {clients}, {subscribers}, {rates}"
        )
    if arrivals.pace <= 0 or open_s <= 0:
        raise ValueError(f"expected a positive pace and open-loop time, were {arrivals.pace} and {open_s}")
    load_average = os.getloadavg()[0]
    flush_ms = DEFAULT_TICK_FLUSH_MS if tick_flush_ms is None else tick_flush_ms
    with (
        tempfile.TemporaryDirectory(prefix="cryptopulse-bench-gateway-") as tmp,
        gateway_stack(Path(tmp), flush_ms) as stack,
    ):
        tokens = list(stack.tokens.values())
        say(f"REST: {clients} clients on /healthz, then raw asyncpg, then the mix, {rest_s:g} s each")
        health = [((0, get_request(stack.host, stack.port, "/healthz")),)] * clients
        healthz, _ = _rest_phase("raw HTTP: the gateway's `/healthz` (baseline)", stack, health, 1, rest_s)
        database = asyncio.run(_database_floor(stack, clients, rest_s))
        mix_plan = mix_requests(stack.host, stack.port, tokens, clients)
        mix, by_route = _rest_phase(
            "gateway REST mix (the five routes below)", stack, mix_plan, len(ROUTES), rest_s
        )
        say(
            f"REST open loop: {clients} clients at {arrivals.describe()}, "
            f"/healthz then the mix, {open_s:g} s each"
        )
        open_healthz, _ = _rest_phase(
            "raw HTTP: the gateway's `/healthz` (baseline)", stack, health, 1, open_s, open_loop=arrivals
        )
        open_mix, open_by_route = _rest_phase(
            "gateway REST mix (the five routes below)",
            stack,
            mix_plan,
            len(ROUTES),
            open_s,
            open_loop=arrivals,
        )
        say(f"fan-out: {subscribers} raw NATS subscribers, then {subscribers} WebSocket clients")
        fan_out = asyncio.run(_fan_out(stack, subscribers, rates, ticks_s))
        stack.gateway.check_alive()
    return GatewayResult(
        clients=clients,
        users=len(tokens),
        healthz=healthz,
        database=database,
        mix=mix,
        routes=_by_route(mix, by_route),
        subscribers=subscribers,
        fan_out=tuple(fan_out),
        connections=POOL_CONNECTIONS,
        load_average=load_average,
        arrivals=arrivals,
        open_healthz=open_healthz,
        open_mix=open_mix,
        open_routes=_by_route(open_mix, open_by_route),
        tick_flush_ms=flush_ms,
    )
