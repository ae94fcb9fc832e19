"""The risk gate's floors, measured beside it in the same run: a raw JetStream echo (publish → pull
consumer in another process → acknowledged publish back), a raw PostgreSQL transaction over asyncpg
and through ``service_session``, the gate's own database work per decision run in this process,
the pure checks in a tight loop, and the CPU each process spends per decision."""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import count as numbers
from typing import Any

import asyncpg
import nats
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js.api import AckPolicy, ConsumerConfig, StreamConfig
from nats.js.errors import FetchTimeoutError
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from cryptopulse.bench.processes import ROOT, ServiceProcess, cpu_seconds
from cryptopulse.bench.risk_flow import DECISION_TIMEOUT_S, IntentMaker
from cryptopulse.bench.risk_stack import VENUE
from services.risk_gate import checks
from services.risk_gate.account_view import account_view
from services.risk_gate.decider import Decider
from services.risk_gate.intake import read_intent
from services.risk_gate.markets import Listing
from services.risk_gate.model import MarketView, Proposal
from services.risk_gate.outgoing import decision, submit_order
from services.risk_gate.published import PublishedMarks
from services.risk_gate.references import ReferencePrices
from shared.db.repositories import risk_limits
from shared.db.tenancy import service_session
from shared.domain.enums import DecisionOutcome
from shared.domain.risk_limits import Limits
from shared.messages import subjects
from shared.messages.base import utc_now

GATE_CONNECTIONS = 15
"""Connections the database floors may open: as many as the gate's ORM pool (``pool_size=5`` plus
SQLAlchemy's default overflow of 10). Its decisions use a pool of their own, a batch per
transaction (``DECISION_POOL_SIZE``)."""
ECHO_STREAM = "BENCH_RISK_ECHO"
ECHO_IN, ECHO_OUT = "bench.risk.in", "bench.risk.out"

_LOCK_SQL = "SELECT mode FROM risk_accounts WHERE user_id = $1 FOR UPDATE"
_INSERT_SQL = "INSERT INTO bench_decisions (intent_id, user_id, status) VALUES ($1, $2, 'approved')"
_LOCK_TEXT = text("SELECT mode FROM risk_accounts WHERE user_id = :user_id FOR UPDATE")
_INSERT_TEXT = text(
    "INSERT INTO bench_decisions (intent_id, user_id, status) VALUES (:intent_id, :user_id, 'approved')"
)
_BENCH_TABLE = (
    "CREATE TABLE IF NOT EXISTS bench_decisions (intent_id text PRIMARY KEY, user_id uuid NOT NULL, "
    "status text NOT NULL, decided_at timestamptz NOT NULL DEFAULT now())",
    "GRANT INSERT ON bench_decisions TO service_role",
)


# -- THE JETSTREAM ECHO ------------------------------------------------------------------------------


def serve_echo(nats_url: str) -> None:
    """The JetStream echo's process: what the gate does on NATS for an intent, and nothing else.
    Prints ``ready`` once its consumer exists; runs until terminated."""
    asyncio.run(_echo(nats_url))


async def _echo(nats_url: str) -> None:
    connection = await nats.connect(nats_url, pending_size=64 * 1024 * 1024)
    js = connection.jetstream()
    subscription = await js.pull_subscribe(
        f"{ECHO_IN}.*",
        durable="bench-echo",
        stream=ECHO_STREAM,
        config=ConsumerConfig(ack_policy=AckPolicy.EXPLICIT, ack_wait=30, max_deliver=5),
    )
    print("ready", flush=True)

    async def answer(message: Msg) -> None:
        key = message.subject.rsplit(".", 1)[-1]
        await js.publish(f"{ECHO_OUT}.{key}", message.data, headers={"Nats-Msg-Id": f"out-{key}"})
        await message.ack_sync()

    while True:  # the gate's consumer: fetch up to 100, answer them together, fetch again
        try:
            messages = await subscription.fetch(100, timeout=1.0)
        except (FetchTimeoutError, TimeoutError):
            continue
        await asyncio.gather(*(answer(m) for m in messages))


class JetStreamEcho:
    """Round trips through the echo process: acknowledged publish → echo → reply received here."""

    def __init__(self, connection: Client, payload: bytes) -> None:
        self._connection = connection
        self._js = connection.jetstream()
        self._payload = payload
        self._numbers = numbers()
        self._waiting: dict[str, asyncio.Future[float]] = {}
        self._process: asyncio.subprocess.Process | None = None

    @classmethod
    async def start(cls, nats_url: str, payload: bytes) -> JetStreamEcho:
        connection = await nats.connect(nats_url, pending_size=64 * 1024 * 1024)
        echo = cls(connection, payload)
        await echo._js.add_stream(StreamConfig(name=ECHO_STREAM, subjects=[f"{ECHO_IN}.*", f"{ECHO_OUT}.*"]))
        await connection.subscribe(f"{ECHO_OUT}.*", cb=echo._on_reply)
        await connection.flush()
        # Its own interpreter, as the gate has: the client here does not slow it down.
        command = "import sys; from cryptopulse.bench.risk_floors import serve_echo; serve_echo(sys.argv[1])"
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-c", command, nats_url,
            cwd=ROOT, stdout=asyncio.subprocess.PIPE, start_new_session=True,
        )  # fmt: skip
        echo._process = process
        assert process.stdout is not None
        try:
            line = await asyncio.wait_for(process.stdout.readline(), 60)
        except TimeoutError:
            line = b""
        if line.strip() != b"ready":
            await echo.close()
            raise RuntimeError("the JetStream echo process did not start")
        return echo

    def cpu_seconds(self) -> float:
        """CPU the echo process has used so far: the NATS client's work of a decision, alone."""
        if self._process is None:
            raise RuntimeError("the JetStream echo is not running")
        return cpu_seconds(self._process.pid)

    async def _on_reply(self, message: Msg) -> None:
        arrived = time.perf_counter()
        future = self._waiting.pop(message.subject.rsplit(".", 1)[-1], None)
        if future is not None and not future.done():
            future.set_result(arrived)

    async def round_trip(self, _: int) -> float:
        key = str(next(self._numbers))
        replied: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self._waiting[key] = replied
        started = time.perf_counter()
        await self._js.publish(f"{ECHO_IN}.{key}", self._payload, headers={"Nats-Msg-Id": f"in-{key}"})
        return await asyncio.wait_for(replied, DECISION_TIMEOUT_S) - started

    async def close(self) -> None:
        if self._process is not None:
            self._process.kill()  # it holds nothing worth a graceful stop
            await self._process.wait()
        with contextlib.suppress(Exception):
            await self._js.delete_stream(ECHO_STREAM)
        await self._connection.close()


# -- POSTGRESQL --------------------------------------------------------------------------------------


class PostgresFloor:
    """A decision's minimum in PostgreSQL: lock the user's row, insert one row, commit."""

    def __init__(self, pool: Any, sessionmaker: async_sessionmaker[AsyncSession], users: Sequence[uuid.UUID]):
        self._pool = pool
        self._sessionmaker = sessionmaker
        self._users = tuple(users)
        self._numbers = numbers()
        self._run = uuid.uuid4().hex[:8]

    @classmethod
    async def start(
        cls, dsn: str, sessionmaker: async_sessionmaker[AsyncSession], users: Sequence[uuid.UUID]
    ) -> PostgresFloor:
        pool = await asyncpg.create_pool(dsn, min_size=1, max_size=GATE_CONNECTIONS)
        async with pool.acquire() as connection:
            for statement in _BENCH_TABLE:
                await connection.execute(statement)
        return cls(pool, sessionmaker, users)

    def _next(self) -> tuple[str, uuid.UUID]:
        number = next(self._numbers)
        return f"pg-{self._run}-{number}", self._users[number % len(self._users)]

    async def raw(self, _: int) -> float:
        intent_id, user_id = self._next()
        started = time.perf_counter()
        async with self._pool.acquire() as connection, connection.transaction():
            await connection.fetchrow(_LOCK_SQL, user_id)
            await connection.execute(_INSERT_SQL, intent_id, user_id)
        return time.perf_counter() - started

    async def session(self, _: int) -> float:
        intent_id, user_id = self._next()
        started = time.perf_counter()
        async with service_session(self._sessionmaker) as session:
            await session.execute(_LOCK_TEXT, {"user_id": user_id})
            await session.execute(_INSERT_TEXT, {"intent_id": intent_id, "user_id": user_id})
        return time.perf_counter() - started

    async def close(self) -> None:
        await self._pool.close()


@dataclass
class StatementCounter:
    """SQL statements and transactions an engine runs (``before_cursor_execute`` and ``begin``),
    and, while attached, those of the asyncpg connections ``install`` was given (the decisions')."""

    statements: int = 0
    transactions: int = 0
    _counting: bool = False

    async def install(self, connection: asyncpg.Connection) -> None:
        """An asyncpg pool's ``init``: count the connection's queries (BEGIN is a transaction)."""
        connection.add_query_logger(self._query)

    def attach(self, engine: AsyncEngine) -> None:
        event.listen(engine.sync_engine, "before_cursor_execute", self._statement)
        event.listen(engine.sync_engine, "begin", self._begin)
        self._counting = True

    def detach(self, engine: AsyncEngine) -> None:
        event.remove(engine.sync_engine, "before_cursor_execute", self._statement)
        event.remove(engine.sync_engine, "begin", self._begin)
        self._counting = False

    def _query(self, record: Any) -> None:
        if not self._counting:
            return
        word = record.query.lstrip().split(None, 1)[0].rstrip(";").upper()
        if word == "BEGIN":
            self.transactions += 1
        elif word not in ("COMMIT", "ROLLBACK"):
            self.statements += 1

    def _statement(self, *_: object) -> None:
        self.statements += 1

    def _begin(self, *_: object) -> None:
        self.transactions += 1


class InProcessGate:
    """The gate's database work per decision, in this process: ``decide``, then the decision is
    marked published in the gate's batches (by a task the first round trip starts)."""

    def __init__(self, decider: Decider, marks: PublishedMarks, maker: IntentMaker) -> None:
        self._decider = decider
        self._marks = marks
        self._maker = maker
        self._task: asyncio.Task[None] | None = None
        self.outcomes: Counter[str] = Counter()

    async def round_trip(self, _: int) -> float:
        if self._task is None:
            self._task = asyncio.create_task(self._marks.run())
        intent = self._maker.next()
        proposal = Proposal.of(intent, uuid.UUID(intent.user_id), utc_now())
        started = time.perf_counter()
        out = await self._decider.decide(proposal)
        elapsed = time.perf_counter() - started
        self._marks.add(out.intent_id, out.status)
        self.outcomes[out.status.value] += 1
        return elapsed

    async def settle(self) -> None:
        """Write the marks noted so far (so a statement count includes them)."""
        await self._marks.flush()

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


# -- PURE CHECKS -------------------------------------------------------------------------------------


def _market(listing: Listing, references: ReferencePrices, symbol: str, limits: Limits) -> MarketView:
    """The market as the decider builds it for ``symbol``."""
    now = utc_now()
    reference = references.latest(symbol)
    anchor = references.window_start(symbol, limits.collar_window_s, now)
    return MarketView(
        rules=listing.rules.get(symbol),
        trading=listing.trading.get(symbol, False),
        reference_price=reference.price if reference else None,
        reference_at=reference.at if reference else None,
        window_reference=anchor.price if anchor else None,
    )


def _rate(work: Callable[[], object], seconds: float) -> float:
    """Calls of ``work`` per second in a tight loop of about ``seconds``."""
    done, started = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - started) < seconds:
        for _ in range(50):
            work()
        done += 50
    return done / elapsed


async def pure_rates(
    sessionmaker: async_sessionmaker[AsyncSession],
    listing: Listing,
    references: ReferencePrices,
    maker: IntentMaker,
    seconds: float,
) -> tuple[float, float]:
    """(checks per second, intake + checks + messages per second) on a typical passing intent,
    checked against a real user's account as the run left it."""
    intent = maker.next()
    user_id = uuid.UUID(intent.user_id)
    now = utc_now()
    async with service_session(sessionmaker) as session:
        limits = await risk_limits.load(session, user_id)
        account = await account_view(
            session, user_id, VENUE.value, references.prices(), limits=limits, now=now
        )
    market = _market(listing, references, intent.symbol, limits)
    proposal = Proposal.of(intent, user_id, now)
    failure = checks.evaluate(proposal, limits, market, account, now)
    if failure is not None:
        raise RuntimeError(f"the typical intent does not pass: {failure}")
    checks_per_s = _rate(lambda: checks.evaluate(proposal, limits, market, account, now), seconds)
    data, subject = intent.to_json(), subjects.intents(intent.user_id)

    def pipeline() -> None:
        read = read_intent(data, subject, venue=VENUE.value, listed=listing.symbols, received_at=now)
        assert isinstance(read, Proposal)
        checks.evaluate(read, limits, market, account, now)
        decision(
            read.intent_id, str(read.user_id), DecisionOutcome.APPROVED, now,
            correlation_id=read.correlation_id, digest=read.digest, actor="risk_gate",
        ).to_json()  # fmt: skip
        submit_order(read, now).to_json()

    return checks_per_s, _rate(pipeline, seconds)


# -- CPU ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CpuPerDecision:
    """CPU milliseconds each process spent per decision during a gate level (all cores together)."""

    gate_ms: float
    postgres_ms: float
    nats_ms: float
    client_ms: float

    @property
    def total_ms(self) -> float:
        return self.gate_ms + self.postgres_ms + self.nats_ms + self.client_ms


@dataclass
class CpuMeter:
    """CPU of the gate, PostgreSQL (with its backends), NATS and this process, between two reads."""

    gate: ServiceProcess
    postgres_pid: int
    nats_pid: int
    _start: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)

    def _read(self) -> tuple[float, float, float, float]:
        return (
            self.gate.cpu_seconds(),
            cpu_seconds(self.postgres_pid, children=True),
            cpu_seconds(self.nats_pid),
            time.process_time(),
        )

    def start(self) -> None:
        self._start = self._read()

    def per_decision(self, decisions: int) -> CpuPerDecision:
        end = self._read()
        return CpuPerDecision(*((e - b) * 1000 / decisions for e, b in zip(end, self._start, strict=True)))
