"""The risk gate as deployed: its own process(es) on real NATS and PostgreSQL, the venue's listing
from the paper exchange, and reference prices from trade ticks this fixture publishes.

Each test gets a NATS server and a database of its own: the gate's durable consumers would
otherwise pick up other tests' intents, and its decisions read every row of the database.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import nats
import pytest
from nats.js import JetStreamContext
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cryptopulse.servers.nats import NatsServer
from cryptopulse.servers.ports import free_port
from cryptopulse.servers.postgres import PostgresServer
from shared.db.engine import create_engine, create_sessionmaker
from shared.db.repositories.portfolio import PortfolioRepository
from shared.db.repositories.risk_limits import RiskLimitsRepository
from shared.db.repositories.users import UserRepository
from shared.domain.enums import IntentSource, OrderSide, OrderType, TradingMode, VenueName
from shared.messages import subjects
from shared.messages.base import Message
from shared.messages.intents import TradeIntentCreated
from shared.messages.market import TradeTick
from shared.messages.risk import ApprovalGiven, TradingModeRequested
from shared.messaging.publisher import JetStreamPublisher
from shared.messaging.streams import ensure_streams
from tests.support.databases import migrated_database
from tests.support.paper import PaperServer
from tests.support.scrape import Scrape, scrape

ROOT = Path(__file__).resolve().parents[3]
PRICE = Decimal("30000.00")


@dataclass
class Gate:
    """Gate processes, the test's user, and helpers to talk to the gate and read what it said."""

    paper: PaperServer
    nats_url: str
    db_url: str
    sessionmaker: async_sessionmaker[AsyncSession]
    js: JetStreamContext
    nc: Any
    publisher: JetStreamPublisher
    user_id: uuid.UUID
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    ports: list[int] = field(default_factory=list)
    price: Decimal = PRICE

    def start(self, **env: str) -> None:
        port = free_port()
        environment = {
            **os.environ,
            "CRYPTOPULSE_NATS_URL": self.nats_url,
            "CRYPTOPULSE_DATABASE_URL": self.db_url,
            "CRYPTOPULSE_RISK_GATE_PORT": str(port),
            "CRYPTOPULSE_RISK_GATE_PAPER_URL": self.paper.http,
            "CRYPTOPULSE_RISK_GATE_EXPIRY_INTERVAL_S": "0.3",
            "CRYPTOPULSE_RISK_GATE_ACK_WAIT_S": "5",
            "CRYPTOPULSE_LOG_LEVEL": "WARNING",
            **env,
        }
        self.processes.append(
            subprocess.Popen([sys.executable, "-m", "services.risk_gate"], cwd=ROOT, env=environment)
        )
        self.ports.append(port)

    async def wait_ready(self, within_s: float = 60) -> None:
        deadline = asyncio.get_running_loop().time() + within_s
        async with httpx.AsyncClient() as http:
            for process, port in zip(self.processes, self.ports, strict=True):
                while True:
                    assert process.poll() is None, "risk gate exited"
                    try:
                        if (await http.get(f"http://127.0.0.1:{port}/readyz")).status_code == 200:
                            break
                    except httpx.TransportError:
                        pass
                    assert asyncio.get_running_loop().time() < deadline, "risk gate not ready"
                    await asyncio.sleep(0.1)

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
        self.processes.clear()
        self.ports.clear()

    async def metrics(self) -> Scrape:
        """The first gate process's ``/metrics``, scraped over HTTP."""
        return await scrape(f"http://127.0.0.1:{self.ports[0]}")

    async def metric_reaches(self, expected: float, name: str, within_s: float = 10, **labels: str) -> None:
        """Wait until the sample is ``expected`` (gauges refresh on a timer; some inputs are
        acknowledged without a reply to wait for)."""
        deadline = asyncio.get_running_loop().time() + within_s
        while (value := (await self.metrics()).value(name, **labels)) != expected:
            assert asyncio.get_running_loop().time() < deadline, f"{name}{labels} = {value}, not {expected}"
            await asyncio.sleep(0.1)

    def intent(self, **fields: Any) -> TradeIntentCreated:
        intent_id = fields.pop("intent_id", uuid.uuid4().hex)
        values: dict[str, Any] = {
            "intent_id": intent_id,
            "user_id": str(self.user_id),
            "source": IntentSource.PARSER,
            "venue": VenueName.PAPER,
            "symbol": "BTC/USDT",
            "side": OrderSide.BUY,
            "order_type": OrderType.LIMIT,
            "quantity": Decimal("0.01"),
            "limit_price": Decimal("29900.00"),
            "ts_event": datetime.now(UTC),
            **fields,
        }
        return TradeIntentCreated.model_validate(values)

    def approval(self, intent_id: str, digest: str, *, approve: bool = True) -> ApprovalGiven:
        return ApprovalGiven(
            intent_id=intent_id,
            user_id=str(self.user_id),
            digest=digest,
            approve=approve,
            actor="trader",
            ts_event=datetime.now(UTC),
        )

    def autonomous(self) -> TradingModeRequested:
        return TradingModeRequested(
            user_id=str(self.user_id), mode=TradingMode.AUTONOMOUS, confirm=True, actor="trader",
            ts_event=datetime.now(UTC),
        )  # fmt: skip

    async def send(self, subject: str, message: Message) -> None:
        await self.publisher.publish(subject, message)

    async def tick(self, price: Decimal | None = None) -> None:
        self.price = price or self.price
        for symbol in ("BTC/USDT", "ETH/USDT"):
            tick = TradeTick(
                venue=VenueName.PAPER,
                symbol=symbol,
                trade_id=uuid.uuid4().hex,
                price=self.price if symbol == "BTC/USDT" else Decimal("2000.00"),
                quantity=Decimal("0.1"),
                ts_event=datetime.now(UTC),
            )
            await self.nc.publish(subjects.trades("paper", symbol), tick.to_json())

    async def limits(self, **changes: object) -> None:
        await RiskLimitsRepository(self.sessionmaker).set(self.user_id, changes, "test")


@pytest.fixture(scope="module")
def gate_paper() -> Iterator[PaperServer]:
    server = PaperServer(paper_history_candles=5).start()
    yield server
    server.stop()


@pytest.fixture
def gate_nats(tmp_path: Path) -> Iterator[NatsServer]:
    """A NATS of the test's own: the gate's durable consumers then start from an empty stream."""
    with NatsServer(tmp_path / "nats") as server:
        yield server


@pytest.fixture
async def gate_db(postgres_server: PostgresServer) -> str:
    return await migrated_database(postgres_server.url, "cp_gate")


@pytest.fixture
async def gate(gate_paper: PaperServer, gate_nats: NatsServer, gate_db: str) -> AsyncIterator[Gate]:
    engine = create_engine(gate_db)
    sessionmaker = create_sessionmaker(engine)
    user = await UserRepository(sessionmaker).create(f"g{uuid.uuid4().hex[:8]}@example.com", "Trader")
    balances = {"USDT": (Decimal(1_000_000), Decimal(0)), "BTC": (Decimal(10), Decimal(0))}
    await PortfolioRepository(sessionmaker).save_balances(user.id, "paper", balances)
    nc = await nats.connect(gate_nats.url)
    js = nc.jetstream()
    await ensure_streams(js)
    gate = Gate(gate_paper, gate_nats.url, gate_db, sessionmaker, js, nc, JetStreamPublisher(js), user.id)
    ticking = asyncio.create_task(_ticks(gate))
    yield gate
    ticking.cancel()
    gate.stop()
    await nc.close()
    await engine.dispose()


async def _ticks(gate: Gate) -> None:
    """Keep reference prices fresh, as the market feed would."""
    while True:
        await gate.tick()
        await asyncio.sleep(0.5)
