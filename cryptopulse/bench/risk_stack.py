"""The risk benchmark's stack: NATS, PostgreSQL, the paper exchange (for the venue's listing only),
1,000 users ready to trade, then one risk gate process, optionally under cProfile."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import signal
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import insert, update

from cryptopulse.bench.base_stack import base_stack
from cryptopulse.bench.processes import ServiceProcess, service_env
from cryptopulse.servers.nats import NatsServer
from cryptopulse.servers.ports import free_port
from cryptopulse.servers.postgres import PostgresServer
from cryptopulse.stack import ensure_streams_at
from shared.db.engine import create_engine, create_sessionmaker
from shared.db.migrate import upgrade_async
from shared.db.models.portfolio import Balance, Position
from shared.db.models.risk import RiskAccountRow, RiskLimitsRow
from shared.db.models.users import User
from shared.db.repositories.risk_accounts import RiskAccountRepository
from shared.db.tenancy import service_session
from shared.domain.enums import TradingMode, VenueName
from shared.domain.risk_limits import Limits

VENUE = VenueName.PAPER
USERS = 1000
PRICES: Mapping[str, Decimal] = {"BTC/USDT": Decimal("30000.00"), "ETH/USDT": Decimal("2000.00")}
"""The reference price of each symbol, held still so every intent passes the collars."""
BALANCES: Mapping[str, Decimal] = {"USDT": Decimal(100_000), "BTC": Decimal(1), "ETH": Decimal(10)}
POSITIONS: Mapping[str, tuple[Decimal, Decimal]] = {
    "BTC/USDT": (Decimal("0.5"), Decimal(15_000)),
    "ETH/USDT": (Decimal(5), Decimal(10_000)),
}
"""(quantity, quote spent) of each user's positions: 25,000 USDT of exposure at the references."""
LIMITS = Limits(max_intents_per_minute=100_000, max_orders_per_minute=100_000)
"""Every user's limits: the defaults but for the per-minute throttles, raised for the run: it
sends each user more than the default 60 intents and 30 orders a minute, which would then be
throttled (denied), not decided."""
GATE_STOP_S = 5.0
"""How long the gate gets to stop before SIGKILL: after a run its application shutdown outlasts
15 s (most likely the NATS drain, whose timeout is 30 s); nothing it holds is needed afterwards."""
Say = Callable[[str], None]
"""Where progress goes (``main`` prints it to stderr with the seconds elapsed)."""


def _equity() -> Decimal:
    """Every user's balances valued at the references, as ``account_view`` values them."""
    total = Decimal(0)
    for asset, amount in BALANCES.items():
        total += amount * (Decimal(1) if asset == "USDT" else PRICES[f"{asset}/USDT"])
    return total


async def _populate(database_url: str, users: int) -> tuple[uuid.UUID, ...]:
    """Migrate; create the users with balances, positions, raised throttles and autonomous mode.

    Rows go in with one statement per table, as ``service_role``, the way the repositories write
    them; autonomous mode goes through ``RiskAccountRepository.set_mode`` (confirmed, audited).
    """
    await upgrade_async(database_url)
    engine = create_engine(database_url, pool_size=10)
    try:
        sessionmaker = create_sessionmaker(engine)
        run = uuid.uuid4().hex[:8]
        people = [
            {"email": f"risk-{run}-{n}@example.com", "display_name": f"Trader {n}"} for n in range(users)
        ]
        async with service_session(sessionmaker) as session:
            ids = tuple((await session.scalars(insert(User).values(people).returning(User.id))).all())
            await session.execute(
                insert(Balance).values(
                    [
                        {"user_id": u, "venue": VENUE.value, "asset": asset, "free": amount, "locked": 0}
                        for u in ids
                        for asset, amount in BALANCES.items()
                    ]
                )
            )
            positions = [
                {"user_id": u, "venue": VENUE.value, "symbol": symbol, "quantity": qty, "quote_spent": spent}
                for u in ids
                for symbol, (qty, spent) in POSITIONS.items()
            ]
            await session.execute(insert(Position).values(positions))
            limits = dataclasses.asdict(LIMITS)
            await session.execute(insert(RiskLimitsRow).values([{"user_id": u, **limits} for u in ids]))
        accounts = RiskAccountRepository(sessionmaker)
        gate = asyncio.Semaphore(10)

        async def autonomous(user_id: uuid.UUID) -> None:
            async with gate:
                await accounts.set_mode(user_id, TradingMode.AUTONOMOUS, "bench", confirmed=True)

        await asyncio.gather(*(autonomous(u) for u in ids))
        async with service_session(sessionmaker) as session:
            # Today's equity high-water mark as the gate's first decision of the day leaves it, so
            # every measured decision is a steady-state one (prices are still: it never moves again).
            today = datetime.now(UTC).date()
            await session.execute(update(RiskAccountRow).values(day=today, day_high_water=_equity()))
    finally:
        await engine.dispose()
    return ids


_PROFILED = """
import cProfile, runpy, signal, sys
profile = cProfile.Profile()
def dump(*_):
    profile.disable()
    profile.dump_stats(sys.argv[1] + ".part")
    import os; os.replace(sys.argv[1] + ".part", sys.argv[1])
signal.signal(signal.SIGUSR1, dump)
profile.enable()
runpy.run_module(sys.argv[2], run_name="__main__", alter_sys=True)
"""
"""Runs a service module under cProfile; SIGUSR1 writes the statistics (the gate's shutdown may
outlast the stop's patience and end in SIGKILL, which would lose them)."""


@dataclass
class ProfiledProcess(ServiceProcess):
    """A service under cProfile, its statistics written to ``profile`` before it is stopped."""

    profile: Path = Path("gate.prof")

    def command(self) -> list[str]:
        return [sys.executable, "-c", _PROFILED, str(self.profile), self.module]

    def stop(self, timeout_s: float = 15.0) -> None:
        process = self._process
        if process is not None and process.poll() is None:
            self.profile.unlink(missing_ok=True)
            process.send_signal(signal.SIGUSR1)
            deadline = time.monotonic() + 60
            while not self.profile.exists() and time.monotonic() < deadline and process.poll() is None:
                time.sleep(0.1)
        super().stop(timeout_s)


@dataclass(frozen=True, slots=True)
class RiskStack:
    nats: NatsServer
    postgres: PostgresServer
    paper_url: str
    gate: ServiceProcess
    users: tuple[uuid.UUID, ...]


@contextlib.contextmanager
def risk_stack(data_dir: Path, users: int, profile: Path | None, say: Say) -> Iterator[RiskStack]:
    """NATS, PostgreSQL, the paper exchange, the users, then the gate; all stopped on leaving."""
    paper_settings = {
        "paper_symbols": ",".join(PRICES),
        "paper_history_candles": 10,
        "paper_tick_ms": 10_000,  # only its listing is needed: keep its simulation quiet
    }
    with contextlib.ExitStack() as parts:
        base = parts.enter_context(base_stack(data_dir, paper_settings))
        say(f"migrating and creating {users:,} users")
        ids = asyncio.run(_populate(base.postgres.url, users))
        asyncio.run(ensure_streams_at(base.nats.url))
        gate_port = free_port()
        gate_env = service_env(
            {
                "log_level": "WARNING",
                "nats_url": base.nats.url,
                "database_url": base.postgres.url,
                "risk_gate_port": gate_port,
                "risk_gate_venue": VENUE.value,
                "risk_gate_paper_url": base.paper_url,
            }
        )
        gate_log = base.logs / "risk_gate.log"
        gate = (
            ServiceProcess("services.risk_gate", gate_port, gate_env, gate_log)
            if profile is None
            else ProfiledProcess("services.risk_gate", gate_port, gate_env, gate_log, profile=profile)
        )
        say("starting the risk gate")
        gate.start()
        parts.callback(gate.stop, GATE_STOP_S)
        yield RiskStack(base.nats, base.postgres, base.paper_url, gate, ids)
