"""Rules and their firings under row-level security (0006): a user reaches their own rows only,
anon reaches none, and the engine's counters and outbox are the services' alone."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import uuid4

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.db.models.rules import RuleFiring, RuleRow
from shared.db.repositories.rules import FireOutcome, Firing, RuleRecord, RuleRepository, RuleStatus
from shared.db.repositories.users import UserRecord, UserRepository
from shared.db.tenancy import anonymous_session, claims_for, user_session
from tests.unit.agent.rules.support import definition

pytestmark = pytest.mark.postgres

DIP = definition("buy 0.5 BTC if it dips below $30,000")


@dataclass(frozen=True)
class Owner:
    user: UserRecord
    rule: RuleRecord
    intent_id: str


async def _owner(sessionmaker: async_sessionmaker[AsyncSession], name: str) -> Owner:
    """A user with a repeating rule that fired once (so it has a firing row)."""
    user = await UserRepository(sessionmaker).create(f"{name}-{uuid4().hex}@example.com", name)
    rules = RuleRepository(sessionmaker)
    rule = await rules.create(user.id, symbol="BTC/USDT", definition=DIP, fire_once=False)
    intent_id = f"rule-{rule.id}-1"
    firing = Firing(rule.id, user.id, 1, intent_id, f"intents.{user.id}", '{"planted": false}')
    assert await rules.fire(firing) is FireOutcome.FIRED
    fired = await rules.get(rule.id)
    assert fired is not None
    return Owner(user, fired, intent_id)


@pytest.fixture
async def alice(sessionmaker: async_sessionmaker[AsyncSession]) -> Owner:
    return await _owner(sessionmaker, "alice")


@pytest.fixture
async def bob(sessionmaker: async_sessionmaker[AsyncSession]) -> Owner:
    return await _owner(sessionmaker, "bob")


async def test_a_user_reads_only_their_own_rules_and_firings(
    sessionmaker: async_sessionmaker[AsyncSession], alice: Owner, bob: Owner
) -> None:
    # Queries that forget their WHERE clause still see only the caller's rows.
    async with user_session(sessionmaker, claims_for(alice.user.id)) as session:
        rules = (await session.scalars(select(RuleRow.id))).all()
        firings = (await session.scalars(select(RuleFiring.intent_id))).all()
        bobs_rule = await session.scalar(select(RuleRow.definition).where(RuleRow.id == bob.rule.id))
        bobs_firing = await session.scalar(
            select(RuleFiring.message).where(RuleFiring.intent_id == bob.intent_id)
        )

    assert (rules, firings) == ([alice.rule.id], [alice.intent_id])
    assert (bobs_rule, bobs_firing) == (None, None)


async def test_a_user_cannot_change_or_delete_someone_elses_rule(
    sessionmaker: async_sessionmaker[AsyncSession], alice: Owner, bob: Owner
) -> None:
    async with user_session(sessionmaker, claims_for(alice.user.id)) as session:
        paused = await session.execute(
            update(RuleRow).where(RuleRow.id == bob.rule.id).values(status="paused").returning(RuleRow.id)
        )
        assert paused.all() == []
        deleted = await session.execute(
            text("DELETE FROM rules WHERE id = :id RETURNING id"), {"id": bob.rule.id}
        )
        assert deleted.all() == []

    assert await RuleRepository(sessionmaker).get(bob.rule.id) == bob.rule  # untouched, not re-stamped


async def test_a_user_changes_and_deletes_their_own_rule(
    sessionmaker: async_sessionmaker[AsyncSession], alice: Owner
) -> None:
    async with user_session(sessionmaker, claims_for(alice.user.id)) as session:
        paused = await session.execute(
            update(RuleRow).where(RuleRow.id == alice.rule.id).values(status="paused").returning(RuleRow.id)
        )
        assert paused.all() == [(alice.rule.id,)]
    after = await RuleRepository(sessionmaker).get(alice.rule.id)
    assert after is not None and after.status is RuleStatus.PAUSED
    assert after.updated_at > alice.rule.updated_at  # what the engine's reload reads

    async with user_session(sessionmaker, claims_for(alice.user.id)) as session:
        await session.execute(text("DELETE FROM rules WHERE id = :id"), {"id": alice.rule.id})
    assert await RuleRepository(sessionmaker).get(alice.rule.id) is None


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE rule_firings SET published_at = now() WHERE intent_id = :intent_id",
        "UPDATE rule_firings SET message = '{}' WHERE intent_id = :intent_id",
        "DELETE FROM rule_firings WHERE intent_id = :intent_id",
    ],
)
async def test_firings_are_read_only_for_users_even_their_own(
    sessionmaker: async_sessionmaker[AsyncSession], alice: Owner, bob: Owner, sql: str
) -> None:
    for intent_id in (alice.intent_id, bob.intent_id):
        with pytest.raises(DBAPIError, match="permission denied"):
            async with user_session(sessionmaker, claims_for(alice.user.id)) as session:
                await session.execute(text(sql), {"intent_id": intent_id})

    assert [f.intent_id for f in await RuleRepository(sessionmaker).firings(bob.rule.id)] == [bob.intent_id]


async def test_the_engines_counters_are_not_writable_by_users(
    sessionmaker: async_sessionmaker[AsyncSession], alice: Owner
) -> None:
    with pytest.raises(DBAPIError, match="permission denied"):
        async with user_session(sessionmaker, claims_for(alice.user.id)) as session:
            await session.execute(update(RuleRow).where(RuleRow.id == alice.rule.id).values(fires=0))


async def test_a_user_cannot_insert_a_rule_for_someone_else(
    sessionmaker: async_sessionmaker[AsyncSession], alice: Owner, bob: Owner
) -> None:
    insert = text(
        "INSERT INTO rules (user_id, symbol, definition) VALUES (COALESCE(:user_id, auth.uid()),"
        " 'BTC/USDT', CAST(:definition AS jsonb)) RETURNING user_id"
    )
    planted = {"user_id": bob.user.id, "definition": '{"kind": "conditional_order"}'}
    with pytest.raises(DBAPIError, match="row-level security"):
        async with user_session(sessionmaker, claims_for(alice.user.id)) as session:
            await session.execute(insert, planted)

    async with user_session(sessionmaker, claims_for(alice.user.id)) as session:  # her own: fine
        owner = await session.scalar(insert, {**planted, "user_id": None})
    assert owner == alice.user.id


async def test_a_user_cannot_insert_a_firing_even_for_themselves(
    sessionmaker: async_sessionmaker[AsyncSession], alice: Owner
) -> None:
    with pytest.raises(DBAPIError, match="permission denied"):
        async with user_session(sessionmaker, claims_for(alice.user.id)) as session:
            await session.execute(
                text(
                    "INSERT INTO rule_firings (intent_id, rule_id, user_id, seq, subject, message)"
                    " VALUES ('rule-forged-2', :rule_id, :user_id, 2, 'intents.x', '{}')"
                ),
                {"rule_id": alice.rule.id, "user_id": alice.user.id},
            )


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT id FROM rules",
        "SELECT intent_id FROM rule_firings",
        "UPDATE rules SET status = 'paused'",
        "DELETE FROM rules",
        "INSERT INTO rules (user_id, symbol, definition) VALUES (gen_random_uuid(), 'BTC/USDT', '{}')",
    ],
)
async def test_anon_reaches_no_rule_nor_firing(
    sessionmaker: async_sessionmaker[AsyncSession], alice: Owner, sql: str
) -> None:
    with pytest.raises(DBAPIError, match="permission denied"):
        async with anonymous_session(sessionmaker) as session:
            await session.execute(text(sql))

    assert await RuleRepository(sessionmaker).get(alice.rule.id) == alice.rule
