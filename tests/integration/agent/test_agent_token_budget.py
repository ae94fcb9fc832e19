"""The token budget in real PostgreSQL: one count for every agent replica, kept across restarts,
per UTC day; a spent budget answers without calling the model."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import date
from uuid import UUID, uuid4

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from cryptopulse.servers.postgres import PostgresServer
from services.agent.graph.context import ChatContext
from services.agent.graph.nodes import BUDGET_SPENT
from services.agent.llm.budget import PostgresTokenBudget
from shared.db.engine import create_engine, create_sessionmaker
from shared.db.migrate import upgrade_async
from shared.db.models import AgentTokenUsage
from shared.db.repositories.token_usage import TokenUsageRepository
from shared.db.repositories.users import UserRepository
from shared.db.tenancy import service_session
from tests.integration.agent.memory_support import ask, copilot, final_text, new_database
from tests.support.openai_server import Reply, scripted_openai

pytestmark = pytest.mark.postgres


class Calendar:
    def __init__(self, day: date) -> None:
        self.day = day

    def __call__(self) -> date:
        return self.day


@pytest.fixture(scope="module")
async def db_url(postgres_server: PostgresServer) -> str:
    url = await new_database(postgres_server)
    await upgrade_async(url)
    return url


@pytest.fixture
async def sessionmaker(db_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(db_url)
    yield create_sessionmaker(engine)
    await engine.dispose()


@pytest.fixture
async def user(sessionmaker: async_sessionmaker[AsyncSession]) -> str:
    return str((await UserRepository(sessionmaker).create(f"b{uuid4().hex[:10]}@example.com", "B")).id)


Replica = Callable[..., PostgresTokenBudget]


@pytest.fixture
async def replica(db_url: str) -> AsyncIterator[Replica]:
    """Start an agent replica's budget: an engine of its own, as a separate process would have."""
    engines: list[AsyncEngine] = []

    def start(limit: int, today: Calendar | None = None) -> PostgresTokenBudget:
        engines.append(create_engine(db_url))
        usage = TokenUsageRepository(create_sessionmaker(engines[-1]))
        return (
            PostgresTokenBudget(usage, limit) if today is None else PostgresTokenBudget(usage, limit, today)
        )

    yield start
    for engine in engines:
        await engine.dispose()


async def test_replicas_share_one_count_that_outlives_them(replica: Replica, user: str) -> None:
    first, second = replica(1000), replica(1000)

    await first.spend(user, 300)
    await second.spend(user, 200)

    assert [await first.remaining(user), await second.remaining(user)] == [500, 500]
    assert await replica(1000).remaining(user) == 500  # one started later, as after a restart


async def test_concurrent_spends_from_two_replicas_add_up_exactly(replica: Replica, user: str) -> None:
    first, second = replica(10_000), replica(10_000)

    await asyncio.gather(*(budget.spend(user, 13) for budget in (first, second) for _ in range(25)))

    assert await first.remaining(user) == 10_000 - 50 * 13


async def test_each_utc_day_starts_with_the_whole_limit(replica: Replica, user: str) -> None:
    calendar = Calendar(date(2026, 12, 3))
    budget = replica(100, calendar)
    await budget.spend(user, 100)
    spent_out = await budget.remaining(user)

    calendar.day = date(2026, 12, 4)

    assert (spent_out, await budget.remaining(user)) == (0, 100)


async def test_a_spend_of_nothing_writes_nothing_and_a_negative_one_is_refused(
    replica: Replica, user: str, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    budget = replica(100)

    await budget.spend(user, 0)
    with pytest.raises(ValueError, match="expected tokens >= 0, was -1"):
        await budget.spend(user, -1)

    async with service_session(sessionmaker) as session:
        rows = await session.scalar(
            select(func.count()).select_from(AgentTokenUsage).where(AgentTokenUsage.user_id == UUID(user))
        )
    assert rows == 0 and await budget.remaining(user) == 100


async def test_a_user_id_that_is_no_uuid_is_refused(replica: Replica) -> None:
    budget = replica(100)

    with pytest.raises(ValueError, match=r"expected the user id to be a UUID \(users\.id\), was 'alice'"):
        await budget.remaining("alice")
    with pytest.raises(ValueError, match="expected the user id to be a UUID"):
        await budget.spend("alice", 1)


async def test_a_budget_spent_on_one_replica_stops_the_model_on_another(replica: Replica, user: str) -> None:
    # Arrange: the first reply costs 15 tokens (10 prompt + 5 completion), the whole limit.
    first, second = replica(15), replica(15)
    with scripted_openai([Reply(content="first", usage=(10, 5))]) as (server, model_url):
        answered = await ask(copilot(model_url, InMemorySaver(), first), "hello", ChatContext(user, "req-1"))
        # Act
        refused = await ask(copilot(model_url, InMemorySaver(), second), "again", ChatContext(user, "req-2"))

    # Assert
    assert (final_text(answered), final_text(refused)) == ("first", BUDGET_SPENT)
    assert len(server.requests) == 1 and await second.remaining(user) == 0
