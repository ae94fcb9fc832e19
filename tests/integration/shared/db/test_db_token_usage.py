"""Token usage in PostgreSQL: spends add up exactly under concurrency, per UTC day; users read only
their own usage and write none of it."""

from __future__ import annotations

import asyncio
from datetime import date
from uuid import UUID, uuid4

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.db.models import AgentTokenUsage
from shared.db.repositories.token_usage import TokenUsageRepository
from shared.db.repositories.users import UserRepository
from shared.db.tenancy import anonymous_session, claims_for, user_session

pytestmark = pytest.mark.postgres

DAY = date(2026, 12, 3)


async def _user(sessionmaker: async_sessionmaker[AsyncSession]) -> UUID:
    return (await UserRepository(sessionmaker).create(f"t{uuid4().hex[:10]}@example.com", "T")).id


@pytest.fixture
def usage(sessionmaker: async_sessionmaker[AsyncSession]) -> TokenUsageRepository:
    return TokenUsageRepository(sessionmaker)


async def test_fifty_concurrent_spends_sum_exactly(
    sessionmaker: async_sessionmaker[AsyncSession], usage: TokenUsageRepository
) -> None:
    user = await _user(sessionmaker)

    totals = await asyncio.gather(*(usage.spend(user, DAY, 7) for _ in range(50)))

    assert await usage.spent(user, DAY) == 350
    # Each upsert added to what the one before it committed: no two saw the same total.
    assert sorted(totals) == list(range(7, 351, 7))


async def test_usage_is_counted_per_user_and_day(
    sessionmaker: async_sessionmaker[AsyncSession], usage: TokenUsageRepository
) -> None:
    alice, bob = await _user(sessionmaker), await _user(sessionmaker)
    tomorrow = date(2026, 12, 4)

    await usage.spend(alice, DAY, 100)
    await usage.spend(alice, tomorrow, 5)
    await usage.spend(bob, DAY, 1)

    assert [await usage.spent(alice, DAY), await usage.spent(alice, tomorrow)] == [100, 5]
    assert [await usage.spent(bob, DAY), await usage.spent(bob, tomorrow)] == [1, 0]


async def test_a_negative_spend_is_refused_and_changes_nothing(
    sessionmaker: async_sessionmaker[AsyncSession], usage: TokenUsageRepository
) -> None:
    user = await _user(sessionmaker)
    await usage.spend(user, DAY, 10)

    with pytest.raises(ValueError, match="expected tokens >= 0, was -3"):
        await usage.spend(user, DAY, -3)

    assert await usage.spent(user, DAY) == 10


async def test_spending_for_an_unknown_user_fails_on_the_foreign_key(usage: TokenUsageRepository) -> None:
    with pytest.raises(IntegrityError, match="fk_agent_token_usage_user_id_users"):
        await usage.spend(uuid4(), DAY, 10)


async def test_a_user_reads_their_own_usage_and_never_anothers(
    sessionmaker: async_sessionmaker[AsyncSession], usage: TokenUsageRepository
) -> None:
    alice, bob = await _user(sessionmaker), await _user(sessionmaker)
    await usage.spend(alice, DAY, 11)
    await usage.spend(bob, DAY, 22)

    async with user_session(sessionmaker, claims_for(alice)) as session:
        seen = (await session.execute(select(AgentTokenUsage.user_id, AgentTokenUsage.tokens))).all()
        bobs = await session.scalar(
            select(func.count()).select_from(AgentTokenUsage).where(AgentTokenUsage.user_id == bob)
        )

    assert [tuple(row) for row in seen] == [(alice, 11)] and bobs == 0


@pytest.mark.parametrize(
    "statement",
    [
        "INSERT INTO agent_token_usage (user_id, day, tokens) VALUES (:user, '2026-12-03', 0)",
        "UPDATE agent_token_usage SET tokens = 0 WHERE user_id = :user",
        "DELETE FROM agent_token_usage WHERE user_id = :user",
    ],
)
async def test_a_user_cannot_write_usage_not_even_their_own(
    sessionmaker: async_sessionmaker[AsyncSession], usage: TokenUsageRepository, statement: str
) -> None:
    user = await _user(sessionmaker)
    await usage.spend(user, DAY, 50)

    with pytest.raises(DBAPIError, match="permission denied for table agent_token_usage"):
        async with user_session(sessionmaker, claims_for(user)) as session:
            await session.execute(text(statement), {"user": user})

    assert await usage.spent(user, DAY) == 50


async def test_anonymous_callers_cannot_read_usage(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    with pytest.raises(DBAPIError, match="permission denied for table agent_token_usage"):
        async with anonymous_session(sessionmaker) as session:
            await session.execute(select(func.count()).select_from(AgentTokenUsage))
