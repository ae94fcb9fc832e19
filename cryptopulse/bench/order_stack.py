"""What an order needs on its way, each part its own: NATS, PostgreSQL, the paper exchange, the executor.

Nothing else of the stack runs (no market feed, agent or gateway), so the two cores are shared
only by the parts an order passes through. Everything runs with its defaults except what would
otherwise be measured instead of the order path:

- the venue's rate limits (100 orders per 10 s, 6,000 weight per minute) and the executor's own
  weight gate, which the higher in-flight levels exceed;
- the executor's reconciliation sweep, held off for the run: every 10 s it queries the venue
  about each open order, and the hundreds of resting orders a level leaves would make that
  sweep, not the orders, the figure.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
from pydantic import SecretStr

from cryptopulse.bench.base_stack import base_stack
from cryptopulse.bench.processes import ServiceProcess, service_env
from cryptopulse.servers.ports import free_port
from cryptopulse.stack import ensure_streams_at
from shared.config.settings import SecretsSettings
from shared.db.engine import create_engine, create_sessionmaker
from shared.db.migrate import upgrade_async
from shared.db.repositories.exchange_keys import ExchangeKeyRepository
from shared.db.repositories.users import UserRepository
from shared.secrets.factory import build_cipher

SYMBOL = "BTC/USDT"
UNLIMITED = "1000000000"
RECONCILE_HELD_OFF_S = 3600
BALANCES = {"USDT": "100000000", "BTC": "1000"}
"""Enough that thousands of resting orders never run out of funds to lock."""


@dataclass(frozen=True, slots=True)
class OrderStack:
    """URLs of the running parts and the trader whose orders the benchmark sends."""

    nats_url: str
    paper_url: str
    database_url: str
    user_id: uuid.UUID
    paper_key: tuple[str, str]
    """The trader's paper account: its API key and secret, to ask the venue directly."""
    executor: ServiceProcess
    paper: ServiceProcess


async def _prepare(
    nats_url: str, database_url: str, paper_url: str, master_key: Path
) -> tuple[uuid.UUID, tuple[str, str]]:
    """Migrate, create the streams, open a paper account and store its key (encrypted) for a new user."""
    await upgrade_async(database_url)
    await ensure_streams_at(nats_url)
    async with httpx.AsyncClient(base_url=paper_url, timeout=10) as http:
        response = await http.post("/admin/accounts", json={"balances": BALANCES, "can_trade": True})
        response.raise_for_status()
        account = response.json()
    engine = create_engine(database_url)
    try:
        sessionmaker = create_sessionmaker(engine)
        user = await UserRepository(sessionmaker).create(f"bench-{uuid.uuid4().hex[:8]}@example.com", "Bench")
        cipher = build_cipher(SecretsSettings(master_key_file=master_key, vault_addr=None))
        await ExchangeKeyRepository(sessionmaker, cipher).add(
            user.id, "paper", "main", SecretStr(account["api_key"]), SecretStr(account["secret"])
        )
    finally:
        await engine.dispose()
    return user.id, (account["api_key"], account["secret"])


@contextlib.contextmanager
def order_stack(data_dir: Path, symbols: tuple[str, ...] = (SYMBOL,)) -> Iterator[OrderStack]:
    """Start every part under ``data_dir``, the paper exchange listing ``symbols``; stop them all
    on leaving, whatever happened."""
    paper_settings = {
        "paper_symbols": ",".join(symbols),
        "paper_history_candles": 10,
        "paper_orders_limit_10s": UNLIMITED,
        "paper_orders_limit_1d": UNLIMITED,
        "paper_weight_limit_1m": UNLIMITED,
    }
    with base_stack(data_dir, paper_settings) as base:
        nats_url, database_url, paper_url = base.nats.url, base.postgres.url, base.paper_url
        master_key = data_dir / "master.key"
        user_id, paper_key = asyncio.run(_prepare(nats_url, database_url, paper_url, master_key))
        executor_port = free_port()
        executor_env = service_env(
            {
                "log_level": "WARNING",
                "nats_url": nats_url,
                "database_url": database_url,
                "master_key_file": master_key,
                "executor_port": executor_port,
                "executor_venue": "paper",
                "executor_paper_url": paper_url,
                "executor_weight_limit_1m": UNLIMITED,
                "executor_reconcile_interval_s": RECONCILE_HELD_OFF_S,
            }
        )
        with ServiceProcess(
            "services.executor", executor_port, executor_env, base.logs / "executor.log"
        ) as executor:
            yield OrderStack(nats_url, paper_url, database_url, user_id, paper_key, executor, base.paper)
