"""The gateway benchmark's figures: fan-out lag from what was sent and received, and the tables."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from cryptopulse.bench.latency import Latency, ms, pair, percentile

TARGET_REST_P99_MS = 50.0
TARGET_LAG_P99_MS = 100.0
"""The issue's targets on 2 cores: REST p99 with 200 concurrent clients, fan-out lag p99 to 500."""
BUSY_BELOW = 0.8
"""A busy loop's share of a core under this means other work on the machine inflated the figures."""
CLIENT_SATURATED = 0.9
"""A client process busier than this share of a core set the pace itself."""


@dataclass(frozen=True, slots=True)
class Lag:
    """Fan-out lag (receive time - publish time) over every delivery to every client."""

    expected: int
    """Ticks published x clients."""
    delivered: int
    duplicates: int
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float

    @property
    def missing(self) -> int:
        return self.expected - self.delivered


def lag_of(sent: Mapping[str, float], received: Iterable[Sequence[tuple[str, float]]]) -> Lag:
    """Lag of what each client received, by trade id against its publish time (both ``time.time()``).

    Ids not in ``sent`` (a previous run's stragglers) are ignored; a second copy of an id at the
    same client is counted as a duplicate, not a delivery.
    """
    lags: list[float] = []
    clients = duplicates = 0
    for inbox in received:
        clients += 1
        seen: set[str] = set()
        for trade_id, at in inbox:
            published = sent.get(trade_id)
            if published is None:
                continue
            if trade_id in seen:
                duplicates += 1
                continue
            seen.add(trade_id)
            lags.append(at - published)
    if not lags:
        return Lag(len(sent) * clients, 0, duplicates, math.inf, math.inf, math.inf, math.inf)
    return Lag(
        expected=len(sent) * clients,
        delivered=len(lags),
        duplicates=duplicates,
        p50_ms=percentile(lags, 50) * 1000,
        p90_ms=percentile(lags, 90) * 1000,
        p99_ms=percentile(lags, 99) * 1000,
        max_ms=max(lags) * 1000,
    )


@dataclass(frozen=True, slots=True)
class Cores:
    """CPU each server process used over a phase, in cores (CPU seconds per second)."""

    gateway: float
    postgres: float
    nats: float


@dataclass(frozen=True, slots=True)
class Arrivals:
    """How each open-loop client paces its requests."""

    pace: float
    """Requests a second per client, on average."""
    poisson: bool = True
    """Exponential gaps (independent arrivals, bursts included); else evenly spaced."""

    def describe(self) -> str:
        spacing = "Poisson arrivals" if self.poisson else "evenly spaced"
        return f"{self.pace:g} request/s each, {spacing}"


@dataclass(frozen=True, slots=True)
class RestPhase:
    """One phase of ``clients`` concurrent clients: closed loops, or an open loop at a set pace."""

    what: str
    latency: Latency
    cores: Cores
    client_cpu: tuple[float, ...]
    """Share of a core each client process used during the phase."""
    cpu_share: float
    """Share of a core a busy loop got just before the phase: under 1, something else was running."""
    failed: int = 0
    """Requests answered other than 200 (their time is in the latency: they were waited for too)."""
    first_failure: str | None = None
    offered_per_s: float | None = None
    """Open loop only: requests a second the clients were scheduled to send, all together; each
    request's latency counts from its scheduled time, so a server falling behind is seen."""

    @property
    def gateway_ms_per_request(self) -> float | None:
        """Gateway CPU per request answered, in milliseconds; None where the gateway did not serve."""
        if self.cores.gateway < 0.01 or self.latency.per_s <= 0:
            return None
        return self.cores.gateway / self.latency.per_s * 1000


@dataclass(frozen=True, slots=True)
class FanOutPhase:
    what: str
    rate: int
    """Ticks published per second."""
    ticks: int
    lag: Lag
    cores: Cores
    client_cpu: tuple[float, ...]
    cpu_share: float


@dataclass(frozen=True, slots=True)
class GatewayResult:
    clients: int
    users: int
    healthz: RestPhase
    database: RestPhase
    """The floor of the heaviest route's database work, over asyncpg."""
    mix: RestPhase
    routes: tuple[tuple[str, Latency], ...]
    """The mix's figures route by route."""
    subscribers: int
    fan_out: tuple[FanOutPhase, ...]
    connections: int
    """Connections of the database floor's pool: as many as the gateway's read pool may open."""
    load_average: float
    arrivals: Arrivals
    open_healthz: RestPhase
    """``/healthz`` at the open loop's pace: its floor."""
    open_mix: RestPhase
    open_routes: tuple[tuple[str, Latency], ...]
    tick_flush_ms: int
    """How often the gateway sent each symbol's batched trades (0: a frame per trade)."""


def _ratio(numerator: float, denominator: float) -> str:
    if denominator <= 0 or math.isinf(numerator):
        return ""
    value = numerator / denominator
    return f"{value:.1f}x" if value < 100 else f"{value:,.0f}x"


def _cpu(shares: Sequence[float]) -> str:
    return " + ".join(f"{share:.0%}" for share in shares) if shares else ""


def _reading(phase: RestPhase, how: str) -> str:
    p99 = phase.latency.p99_ms
    if phase.failed:
        return (
            f"missed {how} ({ms(p99)} ms, and {phase.failed:,} of {phase.latency.count:,} requests "
            f"failed, the first with {phase.first_failure})"
        )
    if p99 <= TARGET_REST_P99_MS:
        return f"met {how} ({ms(p99)} ms)"
    return f"missed {how} ({ms(p99)} ms, {p99 / TARGET_REST_P99_MS:.1f}x the target)"


def rest_verdict(result: GatewayResult) -> str:
    """The target judged under both readings: clients at a realistic pace (open loop), and clients
    with no pause between requests (closed loop: the saturation figure), with Little's law."""
    target = (
        f"Target: REST p99 ≤ {TARGET_REST_P99_MS:g} ms with {result.clients} concurrent clients on 2 cores"
    )
    offered = result.open_mix.offered_per_s or 0.0
    paced = _reading(
        result.open_mix,
        f"at a realistic pace (open loop: {result.clients} signed-in clients at "
        f"{result.arrivals.describe()}, {offered:,.0f} requests/s offered)",
    )
    closed = _reading(result.mix, "with no pause between requests (closed loop)")
    return f"{target}: {paced}; {closed}. {littles_law(result)}"


def littles_law(result: GatewayResult) -> str:
    """Why a closed loop's latency is what it is: clients without a pause between requests wait,
    on average, clients / rate (Little's law), so the target needs that rate."""
    needed = result.clients / (TARGET_REST_P99_MS / 1000)
    return (
        f"With no pause between requests, {result.clients} clients wait about {result.clients} / rate "
        f"on average (Little's law): meeting the target there needs over {needed:,.0f} requests/s, "
        f"where `/healthz`, which touches nothing, served {result.healthz.latency.per_s:,.0f}/s and "
        f"the mix {result.mix.latency.per_s:,.0f}/s."
    )


def fan_out_verdict(result: GatewayResult) -> str:
    target = f"Target: fan-out lag p99 ≤ {TARGET_LAG_P99_MS:g} ms to {result.subscribers} clients on 2 cores"
    gateway = [phase for phase in result.fan_out if phase.what.startswith("gateway")]
    if not gateway:
        return f"{target} (not measured in this run)."

    def figure(p: FanOutPhase) -> str:
        lost = f" with {p.lag.missing:,} missing" if p.lag.missing else ""
        return f"{ms(p.lag.p99_ms)} ms at {p.rate}/s{lost}"

    met = [p for p in gateway if p.lag.p99_ms <= TARGET_LAG_P99_MS and p.lag.missing == 0]
    missed = [p for p in gateway if p not in met]
    if not missed:
        return f"{target}, none missing: met ({', '.join(map(figure, met))})."
    if not met:
        return f"{target}, none missing: missed ({', '.join(map(figure, missed))})."
    # Judged per tick rate: the target names none, so say at which rates it holds.
    return (
        f"{target}, none missing: met at {', '.join(f'{p.rate}/s' for p in met)} "
        f"({', '.join(map(figure, met))}); missed at {', '.join(f'{p.rate}/s' for p in missed)} "
        f"({', '.join(map(figure, missed))})."
    )


def _per_request(phase: RestPhase) -> str:
    value = phase.gateway_ms_per_request
    return "" if value is None else f"{value:.2f}"


def _rest_rows(
    heading: str,
    phases: Sequence[RestPhase],
    routes: Sequence[tuple[str, Latency]],
    baseline: RestPhase,
) -> list[str]:
    """A table of ``phases`` then the last one's ``routes``, each p99 beside ``baseline``'s."""
    offered = phases[-1].offered_per_s is not None
    lines = [
        f"| {heading} |{' offered/s |' if offered else ''} requests | failed | p50 / p99 (ms) | max (ms) "
        "| requests/s | p99 vs raw HTTP | gateway CPU (cores) | gateway CPU per request (ms) "
        "| PostgreSQL CPU (cores) | client CPU (per process) |",
        f"|---|{'---:|' if offered else ''}---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    base_p99 = baseline.latency.p99_ms
    for phase in phases:
        latency = phase.latency
        rate = f" {phase.offered_per_s:,.0f} |" if phase.offered_per_s is not None else ""
        lines.append(
            f"| {phase.what} |{rate} {latency.count:,} | {phase.failed:,} | {pair(latency)} "
            f"| {ms(latency.max_ms)} | {latency.per_s:,.0f} | {_ratio(latency.p99_ms, base_p99)} "
            f"| {phase.cores.gateway:.2f} | {_per_request(phase)} | {phase.cores.postgres:.2f} "
            f"| {_cpu(phase.client_cpu)} |"
        )
    mix = phases[-1].latency
    for route, latency in routes:
        share = latency.count / mix.count if mix.count else 0.0
        lines.append(
            f"| · {route} |{' |' if offered else ''} {latency.count:,} | | {pair(latency)} "
            f"| {ms(latency.max_ms)} | {mix.per_s * share:,.0f} | {_ratio(latency.p99_ms, base_p99)} "
            "| | | | |"
        )
    return lines


def _fan_out_rows(result: GatewayResult) -> list[str]:
    lines = [
        f"| fan-out to {result.subscribers} clients | ticks/s | ticks | deliveries "
        "| lag p50 / p90 / p99 (ms) | max (ms) | missing 1 s after the last | p99 vs raw NATS "
        "| gateway CPU (cores) | NATS CPU (cores) | client CPU (per process) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    raw = {p.rate: p for p in result.fan_out if not p.what.startswith("gateway")}
    for phase in result.fan_out:
        lag = phase.lag
        baseline = raw.get(phase.rate)
        vs = _ratio(lag.p99_ms, baseline.lag.p99_ms) if baseline is not None and baseline is not phase else ""
        missing = f"{lag.missing:,}" + (f" (+{lag.duplicates:,} repeated)" if lag.duplicates else "")
        lines.append(
            f"| {phase.what} | {phase.rate} | {phase.ticks:,} | {lag.delivered:,} "
            f"| {ms(lag.p50_ms)} / {ms(lag.p90_ms)} / {ms(lag.p99_ms)} | {ms(lag.max_ms)} | {missing} | {vs} "
            f"| {phase.cores.gateway:.2f} | {phase.cores.nats:.2f} | {_cpu(phase.client_cpu)} |"
        )
    return lines


def _warnings(result: GatewayResult) -> list[str]:
    lines = []
    phases: list[RestPhase | FanOutPhase] = [
        result.healthz, result.database, result.mix, result.open_healthz, result.open_mix, *result.fan_out,
    ]  # fmt: skip
    busiest = min(phase.cpu_share for phase in phases)
    if busiest < BUSY_BELOW:
        lines += [
            f"**The machine was busy**: a busy loop got only {busiest:.0%} of a core before a phase (load",
            f"average {result.load_average:.2f} at the start), so other processes competed with the run",
            "and these figures are pessimistic.",
            "",
        ]
    saturated = [phase.what for phase in phases if any(s >= CLIENT_SATURATED for s in phase.client_cpu)]
    if saturated:
        lines += [
            f"**The clients saturated a core** in: {'; '.join(saturated)}. There the clients, not the",
            "server, set the pace, and the figures are a bound on the server, not its measure.",
            "",
        ]
    return lines


def _batching(flush_ms: int) -> list[str]:
    if flush_ms == 0:
        return [
            "The gateway sent one `trade` frame per trade per client (`CRYPTOPULSE_GATEWAY_TICK_FLUSH_MS=0`)."
        ]
    return [
        "The gateway sends a symbol's trades as one `trades` frame per client, at most one per",
        f"{flush_ms} ms (`CRYPTOPULSE_GATEWAY_TICK_FLUSH_MS`; the first trade after a quiet spell at once);",
        "a batched trade's lag includes its wait for the flush (up to the interval), from publish until",
        "its frame arrived.",
    ]


def gateway_table(result: GatewayResult) -> str:
    """The Markdown block for the README: both REST tables and the fan-out table, the targets'
    verdicts, and what was measured."""
    closed = f"{result.clients} concurrent clients, closed loop"
    paced = (
        f"{result.clients} signed-in clients, open loop: {result.arrivals.describe()}; "
        "latency from each request's scheduled time"
    )
    lines = [
        *_rest_rows(
            f"measurement ({closed})",
            [result.healthz, result.database, result.mix],
            result.routes,
            result.healthz,
        ),
        "",
        *_rest_rows(
            f"measurement ({paced})",
            [result.open_healthz, result.open_mix],
            result.open_routes,
            result.open_healthz,
        ),
        "",
        rest_verdict(result),
        "",
        *_fan_out_rows(result),
        "",
        fan_out_verdict(result),
        "",
        *_warnings(result),
        "The gateway runs as its own process (one uvicorn worker), with NATS and PostgreSQL (fsync on)",
        f"on the same 2 cores. REST: {result.users} seeded traders (60 orders, 30 fills, a position,",
        "balances and 20 intents each; 500 candles), one client per connection, kept alive, each signed",
        "in as a trader and cycling through the five routes of the mix; clients split over two",
        "processes speaking raw HTTP/1.1 (httpx would spend as much CPU as the gateway). Closed loop:",
        "each client sends its next request as soon as the last is answered (the saturation figure).",
        "Open loop: each client sends at scheduled times whether or not the server keeps up, and a",
        "request's latency counts from when it was due, so waiting behind a slow answer is seen (no",
        "coordinated omission); its CPU per request includes the gateway's background work (event",
        "loop, NATS), spread over fewer requests. Floors in the same run at the same concurrency and",
        "pace: `/healthz` of the same process (the HTTP stack alone), and `/api/pnl`'s reads (role and",
        "claims set, then positions, fills, latest price, in one transaction: the gateway's own query",
        f"code) over asyncpg with {result.connections} connections, as many as the gateway's read pool",
        "may open.",
        f"Fan-out: {result.subscribers} WebSocket clients subscribed to BTC/USDT, split over two",
        "processes; trades published on core NATS at a fixed rate; lag = receive time - publish time by",
        "trade id, every delivery to every client; missing = not received a second after the last tick.",
        *_batching(result.tick_flush_ms),
        f"Baseline: {result.subscribers} raw core-NATS subscribers (one connection each) of the same ticks,",
        "one message per trade, unbatched.",
    ]
    return "\n".join(lines)
