"""The gateway benchmark's stack: NATS, a migrated PostgreSQL with 200 signed-in traders' rows,
then the API gateway as its own process; all stopped on leaving."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from sqlalchemy import insert, text

from cryptopulse.bench.processes import ServiceProcess, service_env
from cryptopulse.servers.nats import NatsServer
from cryptopulse.servers.ports import free_port
from cryptopulse.servers.postgres import PostgresServer
from cryptopulse.stack import ensure_streams_at
from shared.auth.tokens import issue_token
from shared.db.engine import create_engine, create_sessionmaker
from shared.db.migrate import upgrade_async
from shared.db.models import Balance, Fill, MarketCandle, Order, Position
from shared.db.models.risk import IntentRow
from shared.db.models.users import User
from shared.db.tenancy import service_session

VENUE = "paper"
SYMBOL = "BTC/USDT"
USERS = 200
ORDERS_PER_USER = 60
"""More than a page (50), so ``/api/orders`` returns a full page and says there is more."""
FILLS_PER_ORDER = 1
INTENTS_PER_USER = 20
PENDING_PER_USER = 5
CANDLES = 500
"""As many 1-minute candles as ``/api/market/candles`` returns by default."""
JWT_SECRET = SecretStr("gateway-bench-jwt-secret-" + "b" * 40)
T0 = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class GatewayStack:
    nats: NatsServer
    postgres: PostgresServer
    gateway: ServiceProcess
    tokens: Mapping[uuid.UUID, str]
    """Each seeded trader's access token (valid for the run)."""

    @property
    def host(self) -> str:
        return self.gateway.host

    @property
    def port(self) -> int:
        return self.gateway.port


def _orders(user: uuid.UUID) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """A trader's orders, one a minute from ``T0``, the older half filled, and their fills."""
    orders, fills = [], []
    for n in range(ORDERS_PER_USER):
        order_id, at = uuid.uuid4(), T0 + timedelta(minutes=n)
        filled = n < ORDERS_PER_USER // 2
        orders.append(
            {
                "id": order_id, "user_id": user, "venue": VENUE, "symbol": SYMBOL, "side": "buy",
                "order_type": "limit", "time_in_force": "GTC", "intent_id": f"int-{order_id.hex[:12]}",
                "client_order_id": f"cp-{order_id.hex[:12]}", "requested_qty": Decimal("0.010"),
                "limit_price": Decimal("30000.00"), "status": "filled" if filled else "accepted",
                "filled_qty": Decimal("0.010") if filled else Decimal(0), "filled_quote_qty": Decimal(0),
                "created_at": at, "updated_at": at,
            }
        )  # fmt: skip
        for k in range(FILLS_PER_ORDER if filled else 0):
            fills.append(
                {
                    "user_id": user, "order_id": order_id, "venue": VENUE, "symbol": SYMBOL,
                    "trade_id": f"{order_id.hex[:12]}-{k}", "side": "buy", "quantity": Decimal("0.010"),
                    "price": Decimal("30000.00"), "commission": Decimal("0.00001"), "commission_asset": "BTC",
                    "traded_at": at + timedelta(seconds=1),
                }
            )  # fmt: skip
    return orders, fills


def _intents(user: uuid.UUID) -> list[dict[str, Any]]:
    expires = datetime.now(UTC) + timedelta(hours=1)
    rows = []
    for n in range(INTENTS_PER_USER):
        intent_id = f"int-{uuid.uuid4().hex[:12]}"
        pending = n < PENDING_PER_USER
        rows.append(
            {
                "intent_id": intent_id, "user_id": user, "correlation_id": intent_id, "source": "parser",
                "venue": VENUE, "symbol": SYMBOL, "side": "buy", "order_type": "limit",
                "quantity": Decimal("0.010"), "limit_price": Decimal("30000.50"), "digest": f"{n:064x}",
                "reference_price": Decimal("30100"), "status": "pending" if pending else "approved",
                "created_at": T0 + timedelta(minutes=n), "expires_at": expires if pending else None,
                "published": "pending" if pending else "approved",
            }
        )  # fmt: skip
    return rows


def _candles() -> list[dict[str, Any]]:
    start = T0 - timedelta(minutes=CANDLES)
    rows = []
    for n in range(CANDLES):
        price = Decimal(30000) + n
        at = start + timedelta(minutes=n)
        rows.append(
            {
                "venue": VENUE, "symbol": SYMBOL, "interval": "1m", "open_time": at,
                "close_time": at + timedelta(minutes=1), "open": price, "high": price + 5,
                "low": price - 5, "close": price + 1, "volume": Decimal("1.5"),
            }
        )  # fmt: skip
    return rows


async def seed(database_url: str, users: int) -> tuple[uuid.UUID, ...]:
    """Migrate; create ``users`` traders with orders, fills, a position, balances and intents, and
    the candles every chart reads: rows as the services write them (``service_role``); analyse."""
    await upgrade_async(database_url)
    engine = create_engine(database_url, pool_size=2)
    try:
        sessionmaker = create_sessionmaker(engine)
        run = uuid.uuid4().hex[:8]
        people = [{"email": f"gw-{run}-{n}@example.com", "display_name": f"Trader {n}"} for n in range(users)]
        async with service_session(sessionmaker) as session:
            ids = tuple((await session.scalars(insert(User).values(people).returning(User.id))).all())
            for user in ids:
                orders, fills = _orders(user)
                await session.execute(insert(Order).values(orders))
                await session.execute(insert(Fill).values(fills))
                await session.execute(insert(IntentRow).values(_intents(user)))
            filled = Decimal("0.010") * (ORDERS_PER_USER // 2) * FILLS_PER_ORDER
            await session.execute(
                insert(Position).values(
                    [
                        {"user_id": u, "venue": VENUE, "symbol": SYMBOL, "quantity": filled,
                         "quote_spent": filled * 30000}
                        for u in ids
                    ]
                )
            )  # fmt: skip
            await session.execute(
                insert(Balance).values(
                    [
                        {"user_id": u, "venue": VENUE, "asset": asset, "free": Decimal(1000), "locked": 0}
                        for u in ids
                        for asset in ("USDT", "BTC")
                    ]
                )
            )
            await session.execute(insert(MarketCandle).values(_candles()))
        async with engine.begin() as connection:
            # As autovacuum would have long since: without statistics of the rows just loaded, the
            # planner takes /api/pnl's latest-price join for one row and re-aggregates every
            # candle per candle (150 ms instead of under 1).
            await connection.execute(text("ANALYZE"))
    finally:
        await engine.dispose()
    return ids


@contextlib.contextmanager
def gateway_stack(data_dir: Path, tick_flush_ms: int, users: int = USERS) -> Iterator[GatewayStack]:
    """NATS, PostgreSQL, the seeded traders, then the gateway (at ``WARNING``, batching trades every
    ``tick_flush_ms``) under ``data_dir``."""
    logs = data_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    with contextlib.ExitStack() as parts:
        nats_server = parts.enter_context(NatsServer(data_dir / "nats"))
        postgres = parts.enter_context(PostgresServer(data_dir / "postgres"))
        ids = asyncio.run(seed(postgres.url, users))
        asyncio.run(ensure_streams_at(nats_server.url))
        port = free_port()
        env = service_env(
            {
                "log_level": "WARNING",
                "nats_url": nats_server.url,
                "database_url": postgres.url,
                "master_key_file": data_dir / "master.key",
                "web_dist_dir": data_dir / "no-web-build",
                "gateway_port": port,
                "gateway_venue": VENUE,
                "gateway_tick_flush_ms": tick_flush_ms,
                "jwt_secret": JWT_SECRET.get_secret_value(),
            }
        )
        gateway = parts.enter_context(
            ServiceProcess("services.api_gateway", port, env, logs / "api_gateway.log")
        )
        tokens = {u: issue_token(JWT_SECRET, u, ttl=timedelta(hours=2)) for u in ids}
        yield GatewayStack(nats_server, postgres, gateway, tokens)
