"""The executor against real servers: PostgreSQL, NATS, and the paper exchange over HTTP.

The executor runs as its own process (``python -m services.executor``), the way it is deployed,
so tests can SIGKILL it. Each test gets its own database, stream state is shared (subjects are
per venue; every test uses fresh users and client order ids).
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import nats
import pytest
from pydantic import SecretStr
from sqlalchemy import select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from cryptopulse.servers.nats import NatsServer
from cryptopulse.servers.ports import free_port
from cryptopulse.servers.postgres import PostgresServer
from shared.config.settings import SecretsSettings
from shared.db.engine import create_engine, create_sessionmaker
from shared.db.migrate import upgrade_async
from shared.db.models.orders import Fill, Order
from shared.db.repositories.exchange_keys import ExchangeKeyRepository
from shared.db.repositories.orders import OrderRepository
from shared.db.repositories.users import UserRepository
from shared.db.service_pool import create_service_pool
from shared.exchange.binance import create_binance
from shared.messages import subjects
from shared.messages.base import Message
from shared.messaging.publisher import JetStreamPublisher
from shared.messaging.streams import ensure_streams
from shared.secrets.factory import build_cipher
from tests.support.paper import PaperServer
from tests.support.scrape import Scrape, scrape

ROOT = Path(__file__).resolve().parents[3]
PAPER_SYMBOLS = ("BTC/USDT", "ETH/USDT", "SOL/USDT", "BNB/USDT", "XRP/USDT")
"""The paper exchange's defaults and one symbol with its generic filters (the kill switch tests
spread orders over five symbols)."""


@dataclass
class Stack:
    """Everything one executor test needs, plus helpers to drive and inspect it."""

    paper: PaperServer
    nats_url: str
    db_url: str
    sessionmaker: async_sessionmaker[AsyncSession]
    master_key: Path
    js: Any
    publisher: JetStreamPublisher
    user_id: uuid.UUID
    client: Any
    env_overrides: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None

    async def store(self, values: dict[str, Any]) -> None:
        """Write an order row as the executor would have (a crash left it behind)."""
        pool = await create_service_pool(self.db_url, max_size=1)
        try:
            await OrderRepository(pool).create(values)
        finally:
            await pool.close()

    def start_executor(self, **env: str) -> None:
        port = free_port()
        environment = {
            **os.environ,
            "CRYPTOPULSE_NATS_URL": self.nats_url,
            "CRYPTOPULSE_DATABASE_URL": self.db_url,
            "CRYPTOPULSE_MASTER_KEY_FILE": str(self.master_key),
            "CRYPTOPULSE_EXECUTOR_PORT": str(port),
            "CRYPTOPULSE_EXECUTOR_PAPER_URL": self.paper.http,
            "CRYPTOPULSE_EXECUTOR_RECONCILE_INTERVAL_S": "0.5",
            "CRYPTOPULSE_EXECUTOR_POLL_INTERVAL_S": "0.5",
            "CRYPTOPULSE_EXECUTOR_RESEND_AFTER_S": "3",
            "CRYPTOPULSE_EXECUTOR_LOST_ORDER_MAX_NOT_FOUND": "2",
            "CRYPTOPULSE_EXECUTOR_ACK_WAIT_S": "5",
            "CRYPTOPULSE_LOG_LEVEL": "WARNING",
            **self.env_overrides,
            **env,
        }
        self.process = subprocess.Popen(
            [sys.executable, "-m", "services.executor"], cwd=ROOT, env=environment
        )
        self.port = port

    async def wait_ready(self, within_s: float = 60) -> None:
        deadline = asyncio.get_running_loop().time() + within_s
        async with httpx.AsyncClient() as http:
            while True:
                assert self.process is not None and self.process.poll() is None, "executor exited"
                try:
                    if (await http.get(f"http://127.0.0.1:{self.port}/readyz")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                assert asyncio.get_running_loop().time() < deadline, "executor not ready"
                await asyncio.sleep(0.1)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.kill()

    async def metrics(self) -> Scrape:
        """The executor's ``/metrics``, scraped over HTTP."""
        return await scrape(f"http://127.0.0.1:{self.port}")

    async def send(self, command: Message) -> None:
        await self.publisher.publish(subjects.order_commands("paper"), command)

    async def faults(self, body: dict[str, Any]) -> None:
        async with httpx.AsyncClient(base_url=self.paper.http, timeout=10) as http:
            response = await http.post("/admin/faults", json=body)
        assert response.status_code == 200, response.text

    async def orders(self) -> list[Order]:
        async with self.sessionmaker() as session:
            await session.execute(text("SET LOCAL ROLE service_role"))
            return list(await session.scalars(select(Order).where(Order.user_id == self.user_id)))

    async def fills(self) -> list[Fill]:
        async with self.sessionmaker() as session:
            await session.execute(text("SET LOCAL ROLE service_role"))
            return list(await session.scalars(select(Fill).where(Fill.user_id == self.user_id)))

    async def wait_for(self, check: Callable[[], Any], within_s: float = 30) -> None:
        deadline = asyncio.get_running_loop().time() + within_s
        while not await check():
            assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
            await asyncio.sleep(0.2)


@pytest.fixture(scope="session")
def executor_paper() -> Iterator[PaperServer]:
    server = PaperServer(
        paper_history_candles=10, paper_orders_limit_10s=1000, paper_symbols=PAPER_SYMBOLS
    ).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
async def template_db(postgres_server: PostgresServer) -> str:
    """One migrated database, copied for each test (CREATE DATABASE ... TEMPLATE is fast)."""
    url = make_url(postgres_server.url)
    name = f"cp_exec_tpl_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        await connection.execute(text(f'CREATE DATABASE "{name}"'))
    await admin.dispose()
    await upgrade_async(url.set(database=name).render_as_string(hide_password=False))
    return name


@pytest.fixture
async def executor_db(postgres_server: PostgresServer, template_db: str) -> AsyncIterator[str]:
    """A database of this test's own: an executor reconciles every order it finds, so none are shared."""
    url = make_url(postgres_server.url)
    name = f"cp_exec_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        await connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template_db}"'))
    await admin.dispose()
    # Left in place: the server and its data directory are the session's own and go with it.
    yield url.set(database=name).render_as_string(hide_password=False)


@pytest.fixture
async def executor_engine(executor_db: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(executor_db)
    yield engine
    await engine.dispose()


@pytest.fixture
async def stack(
    executor_paper: PaperServer,
    nats_server: NatsServer,
    executor_db: str,
    executor_engine: AsyncEngine,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[Stack]:
    sessionmaker = create_sessionmaker(executor_engine)
    master_key = tmp_path_factory.getbasetemp() / "executor-master.key"  # one for the session
    user = await UserRepository(sessionmaker).create(f"t{uuid.uuid4().hex[:8]}@example.com", "Trader")
    api_key, secret = executor_paper.create_account({"USDT": "1000000", "BTC": "10", "ETH": "100"})
    keys = ExchangeKeyRepository(sessionmaker, build_cipher(SecretsSettings(master_key_file=master_key)))
    await keys.add(user.id, "paper", "main", SecretStr(api_key), SecretStr(secret))
    connection = await nats.connect(nats_server.url)
    js = connection.jetstream()
    await ensure_streams(js)
    client = create_binance(
        venue="paper", paper_url=executor_paper.http, api_key=api_key, secret=secret, pro=False
    )
    await client.load_markets()
    stack = Stack(
        executor_paper,
        nats_server.url,
        executor_db,
        sessionmaker,
        master_key,
        js,
        JetStreamPublisher(js),
        user.id,
        client,
    )
    yield stack
    stack.stop()
    if await client.fetch_open_orders("BTC/USDT"):
        await client.cancel_all_orders("BTC/USDT")
    await stack.faults({"reset": True})
    await client.close()
    await connection.close()
