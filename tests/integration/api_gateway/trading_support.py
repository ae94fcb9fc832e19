"""Helpers of the gateway's trading-route tests: tokens, rows seeded as the services write them
(``service_role``), and what JetStream holds on a subject."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js.api import ConsumerConfig, DeliverPolicy
from nats.js.errors import FetchTimeoutError
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.auth.tokens import AppRole, issue_token
from shared.config.settings import GatewaySettings
from shared.db.models import Balance, Fill, MarketCandle, Order, Position
from shared.db.repositories import intents
from shared.db.repositories.rules import RuleRecord, RuleRepository
from shared.db.tenancy import service_session
from shared.domain.enums import DecisionOutcome

JWT_SECRET = SecretStr("gateway-trading-test-jwt-secret-" + "t" * 40)
T0 = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)


def trading_gateway_settings(
    nats_url: str, database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> GatewaySettings:
    folder = tmp_path_factory.mktemp("gateway")
    return GatewaySettings(
        nats_url=nats_url,
        database_url=database_url,
        master_key_file=folder / "master.key",
        web_dist_dir=folder / "no-web-build",
        jwt_secret=JWT_SECRET,
    )


def bearer(user_id: uuid.UUID, app_role: AppRole = "user") -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(JWT_SECRET, user_id, app_role=app_role)}"}


def digest_of(*parts: object) -> str:
    return hashlib.sha256(":".join(map(str, parts)).encode()).hexdigest()


async def seed_intent(
    sessionmaker: async_sessionmaker[AsyncSession],
    user_id: uuid.UUID,
    *,
    status: DecisionOutcome = DecisionOutcome.PENDING,
    created_at: datetime = T0,
    expires_in: timedelta | None = timedelta(minutes=5),
    symbol: str = "BTC/USDT",
) -> intents.IntentRecord:
    """A proposal as the risk gate records it; its expiry counts from now (the gateway's clock)."""
    intent_id = f"int-{uuid.uuid4().hex[:12]}"
    async with service_session(sessionmaker) as session:
        await intents.record_decision(
            session, intent_id=intent_id, user_id=user_id, correlation_id=intent_id, source="parser",
            rule_id=None, venue="paper", symbol=symbol, side="buy", order_type="limit",
            quantity=Decimal("0.010"), quote_quantity=None, limit_price=Decimal("30000.50"),
            digest=digest_of(intent_id), reference_price=Decimal("30100"), status=status,
            expires_at=None if expires_in is None else datetime.now(UTC) + expires_in, now=created_at,
        )  # fmt: skip
        record = await intents.get(session, intent_id)
    assert record is not None
    return record


async def seed_order(
    sessionmaker: async_sessionmaker[AsyncSession],
    user_id: uuid.UUID,
    *,
    symbol: str = "BTC/USDT",
    status: str = "filled",
    created_at: datetime = T0,
    fills: tuple[tuple[str, str, str, str], ...] = (),
) -> Order:
    """An order as the executor stores it; ``fills`` are (quantity, price, commission, asset)."""
    order_id, intent_id = uuid.uuid4(), f"int-{uuid.uuid4().hex[:12]}"
    filled = sum((Decimal(q) for q, *_ in fills), Decimal(0))
    order = Order(
        id=order_id, user_id=user_id, venue="paper", symbol=symbol, side="buy", order_type="limit",
        time_in_force="GTC", intent_id=intent_id, client_order_id=f"cp-{intent_id}",
        requested_qty=Decimal("1"), limit_price=Decimal("30000"), status=status,
        filled_qty=filled, filled_quote_qty=Decimal(0), created_at=created_at, updated_at=created_at,
    )  # fmt: skip
    async with service_session(sessionmaker) as session:
        session.add(order)
        await session.flush()
        for n, (quantity, price, commission, asset) in enumerate(fills):
            session.add(
                Fill(
                    user_id=user_id, order_id=order_id, venue="paper", symbol=symbol,
                    trade_id=f"{order_id.hex[:8]}-{n}", side="buy", quantity=Decimal(quantity),
                    price=Decimal(price), commission=Decimal(commission), commission_asset=asset,
                    traded_at=created_at + timedelta(seconds=n + 1),
                )
            )  # fmt: skip
    return order


async def seed_fill(
    sessionmaker: async_sessionmaker[AsyncSession],
    user_id: uuid.UUID,
    order_id: uuid.UUID,
    *,
    side: str,
    quantity: str,
    price: str,
    commission: str,
    asset: str,
    at: datetime,
    symbol: str = "BTC/USDT",
) -> None:
    async with service_session(sessionmaker) as session:
        session.add(
            Fill(
                user_id=user_id, order_id=order_id, venue="paper", symbol=symbol,
                trade_id=uuid.uuid4().hex, side=side, quantity=Decimal(quantity), price=Decimal(price),
                commission=Decimal(commission), commission_asset=asset, traded_at=at,
            )
        )  # fmt: skip


async def seed_position(
    sessionmaker: async_sessionmaker[AsyncSession], user_id: uuid.UUID, symbol: str, quantity: str, spent: str
) -> None:
    async with service_session(sessionmaker) as session:
        session.add(
            Position(
                user_id=user_id, venue="paper", symbol=symbol, quantity=Decimal(quantity),
                quote_spent=Decimal(spent),
            )
        )  # fmt: skip


async def seed_balance(
    sessionmaker: async_sessionmaker[AsyncSession], user_id: uuid.UUID, asset: str, free: str, locked: str
) -> None:
    async with service_session(sessionmaker) as session:
        session.add(
            Balance(user_id=user_id, venue="paper", asset=asset, free=Decimal(free), locked=Decimal(locked))
        )


async def seed_candle(
    sessionmaker: async_sessionmaker[AsyncSession], symbol: str, open_time: datetime, close: str
) -> None:
    price = Decimal(close)
    async with service_session(sessionmaker) as session:
        session.add(
            MarketCandle(
                venue="paper", symbol=symbol, interval="1m", open_time=open_time,
                close_time=open_time + timedelta(minutes=1), open=price, high=price, low=price,
                close=price, volume=Decimal(1),
            )
        )  # fmt: skip


RULE_DEFINITION: dict[str, Any] = {
    "kind": "conditional_order",
    "side": "buy",
    "symbol": "BTC/USDT",
    "order_type": "market",
    "amount": "0.5",
    "quote_amount": None,
    "limit_price": None,
    "conditions": [
        {
            "indicator": "price",
            "symbol": "BTC/USDT",
            "period": None,
            "interval": None,
            "op": "<",
            "value": "30000",
        }
    ],
}
"""What ``cryptopulse parse "buy 0.5 BTC/USDT if price drops below 30000"`` prints."""


async def seed_rule(sessionmaker: async_sessionmaker[AsyncSession], user_id: uuid.UUID) -> RuleRecord:
    return await RuleRepository(sessionmaker).create(user_id, symbol="BTC/USDT", definition=RULE_DEFINITION)


async def stored_messages(js: Any, stream: str, subject: str) -> list[bytes]:
    """Every message JetStream holds on ``subject``, oldest first (an ephemeral consumer, never acked)."""
    subscription = await js.pull_subscribe(
        subject, stream=stream, config=ConsumerConfig(deliver_policy=DeliverPolicy.ALL)
    )
    found: list[bytes] = []
    try:
        while True:
            try:
                messages = await subscription.fetch(100, timeout=0.5)
            except (FetchTimeoutError, NatsTimeoutError, TimeoutError):
                return found
            found += [m.data for m in messages]
    finally:
        await subscription.unsubscribe()
