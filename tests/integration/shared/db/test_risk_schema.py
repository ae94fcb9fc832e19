"""Migration 0004 on real PostgreSQL: up and down, RLS on every risk table, an append-only audit."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.db.engine import create_engine
from shared.db.migrate import current_revision, downgrade_async, head_revision, upgrade_async
from shared.db.models.risk import (
    DisabledRule,
    IntentRow,
    KillSwitch,
    RiskAccountRow,
    RiskAuditEntry,
    RiskLimitsRow,
)
from shared.db.repositories import intents
from shared.db.repositories.disabled_rules import DisabledRuleRepository
from shared.db.repositories.kill_switches import KillSwitchRepository
from shared.db.repositories.risk_accounts import RiskAccountRepository
from shared.db.repositories.risk_limits import RiskLimitsRepository
from shared.db.repositories.users import UserRepository
from shared.db.tenancy import claims_for, service_session, user_session
from shared.domain.enums import DecisionOutcome, KillScope, TradingMode

pytestmark = pytest.mark.postgres
RISK_TABLES = ["disabled_rules", "intents", "kill_switches", "risk_accounts", "risk_audit", "risk_limits"]
MODELS: list[Any] = [RiskLimitsRow, RiskAccountRow, KillSwitch, IntentRow, DisabledRule, RiskAuditEntry]


async def _risk_tables(url: str) -> list[str]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            found = await connection.scalar(
                text(
                    "SELECT coalesce(array_agg(tablename::text ORDER BY tablename), '{}') FROM pg_tables"
                    " WHERE schemaname = 'public' AND tablename = ANY(:names)"
                ),
                {"names": RISK_TABLES},
            )
            function = await connection.scalar(text("SELECT to_regproc('risk_audit_append_only')::text"))
    finally:
        await engine.dispose()
    return [*found, *([function] if function else [])]


async def test_0004_downgrades_to_0003_and_upgrades_again(create_database: Any) -> None:
    url = await create_database()
    await upgrade_async(url)
    assert await _risk_tables(url) == [*RISK_TABLES, "risk_audit_append_only"]

    await downgrade_async(url, "0003")
    assert await current_revision(url) == "0003"
    assert await _risk_tables(url) == []

    await upgrade_async(url)
    assert await current_revision(url) == head_revision()
    assert await _risk_tables(url) == [*RISK_TABLES, "risk_audit_append_only"]


async def _user(sessionmaker: async_sessionmaker[AsyncSession]) -> uuid.UUID:
    return (await UserRepository(sessionmaker).create(f"r{uuid.uuid4().hex[:10]}@example.com", "R")).id


async def _intent(session: AsyncSession, user_id: uuid.UUID, **fields: Any) -> str:
    intent_id = fields.pop("intent_id", f"i-{uuid.uuid4().hex}")
    values: dict[str, Any] = {
        "intent_id": intent_id, "user_id": user_id, "correlation_id": intent_id, "source": "parser",
        "rule_id": None, "venue": "paper", "symbol": "BTC/USDT", "side": "buy", "order_type": "limit",
        "quantity": Decimal("0.1"), "quote_quantity": None, "limit_price": Decimal("100"),
        "digest": "d" * 64, "reference_price": Decimal("100"), "status": DecisionOutcome.PENDING,
    }  # fmt: skip
    values.update(fields)
    assert await intents.record_decision(session, **values)
    return intent_id


async def _populate(sessionmaker: async_sessionmaker[AsyncSession], user_id: uuid.UUID) -> None:
    """One row or more in every risk table, all through the repositories."""
    await RiskLimitsRepository(sessionmaker).set(user_id, {"max_open_orders": 7}, "test")
    await RiskAccountRepository(sessionmaker).set_mode(
        user_id, TradingMode.AUTONOMOUS, "test", confirmed=True
    )
    await KillSwitchRepository(sessionmaker).engage(KillScope.USER, user_id, "test", "rls")
    await DisabledRuleRepository(sessionmaker).disable(user_id, "rule-1", "test", "too many runs")
    async with service_session(sessionmaker) as session:
        await _intent(session, user_id)


async def test_users_see_only_their_own_risk_rows_without_a_where_clause(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    alice, bob = await _user(sessionmaker), await _user(sessionmaker)
    await _populate(sessionmaker, alice)
    await _populate(sessionmaker, bob)

    for me in (alice, bob):
        async with user_session(sessionmaker, claims_for(me)) as session:
            for model in MODELS:
                owners = set((await session.scalars(select(model.user_id))).all())
                # kill_switches also shows the global row (user_id null) when one exists.
                assert owners - {None} == {me}, model.__tablename__


@pytest.mark.parametrize("table", RISK_TABLES)
@pytest.mark.parametrize("statement", ["UPDATE {t} SET user_id = user_id", "DELETE FROM {t}"])
async def test_users_cannot_write_any_risk_table(
    sessionmaker: async_sessionmaker[AsyncSession], table: str, statement: str
) -> None:
    me = await _user(sessionmaker)
    with pytest.raises(DBAPIError, match="permission denied"):
        async with user_session(sessionmaker, claims_for(me)) as session:
            await session.execute(text(statement.format(t=table)))


async def test_users_cannot_insert_their_own_limits_or_decisions(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    me = await _user(sessionmaker)
    for statement in (
        f"INSERT INTO risk_accounts (user_id, mode) VALUES ('{me}', 'autonomous')",
        f"INSERT INTO risk_audit (user_id, actor, action) VALUES ('{me}', 'me', 'forged')",
        f"INSERT INTO disabled_rules (user_id, rule_id, reason) VALUES ('{me}', 'r', 'x')",
    ):
        with pytest.raises(DBAPIError, match="permission denied"):
            async with user_session(sessionmaker, claims_for(me)) as session:
                await session.execute(text(statement))


async def test_the_audit_is_append_only_for_service_role_and_even_the_owner(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    me = await _user(sessionmaker)
    await RiskLimitsRepository(sessionmaker).set(me, {"max_open_orders": 3}, "test")

    for statement in (f"UPDATE risk_audit SET actor = 'x' WHERE user_id = '{me}'", "DELETE FROM risk_audit"):
        with pytest.raises(DBAPIError, match="permission denied"):
            async with service_session(sessionmaker) as session:
                await session.execute(text(statement))
    # The connecting role is a superuser here: only the trigger stands in its way.
    for statement in (
        f"UPDATE risk_audit SET actor = 'x' WHERE user_id = '{me}'",
        f"DELETE FROM risk_audit WHERE user_id = '{me}'",
        "TRUNCATE risk_audit",
    ):
        with pytest.raises(DBAPIError, match="risk_audit is append-only"):
            async with sessionmaker() as session, session.begin():
                await session.execute(text(statement))

    async with service_session(sessionmaker) as session:
        entries = (await session.scalars(select(RiskAuditEntry).where(RiskAuditEntry.user_id == me))).all()
    assert [(e.actor, e.action) for e in entries] == [("test", "risk_limits.set")]
