"""The cap on live rules per user: active and paused rules count, fired and deleted ones do not,
and creates racing for the last place (chat and web app, or two replicas) never overshoot it."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.db.models.rules import RuleRow
from shared.db.repositories.rules import RuleRepository, RuleStatus, TooManyRules
from shared.db.repositories.user_controls import UserControlsRepository
from shared.db.repositories.users import UserRecord
from shared.db.tenancy import service_session
from tests.support.users import new_user
from tests.unit.agent.rules.support import definition

pytestmark = pytest.mark.postgres

DIP = definition("buy 0.5 BTC if it dips below $30,000")
DB = async_sessionmaker[AsyncSession]


async def _live(sessionmaker: DB, user: UserRecord) -> int:
    async with service_session(sessionmaker) as session:
        count = await session.scalar(
            select(func.count()).select_from(RuleRow).where(RuleRow.user_id == user.id)
        )
    return int(count or 0)


async def test_the_rule_past_the_cap_is_refused_and_not_stored(sessionmaker: DB) -> None:
    user = await new_user(sessionmaker, "cap")
    rules = RuleRepository(sessionmaker, max_live=2)
    await rules.create(user.id, symbol="BTC/USDT", definition=DIP)
    await rules.create(user.id, symbol="BTC/USDT", definition=DIP)

    with pytest.raises(TooManyRules, match=r"allowed \(2 active or paused\)"):
        await rules.create(user.id, symbol="BTC/USDT", definition=DIP)

    assert await _live(sessionmaker, user) == 2


async def test_paused_rules_count_and_deleted_ones_free_their_place(sessionmaker: DB) -> None:
    user = await new_user(sessionmaker, "cap")
    rules = RuleRepository(sessionmaker, max_live=2)
    first = await rules.create(user.id, symbol="BTC/USDT", definition=DIP)
    second = await rules.create(user.id, symbol="BTC/USDT", definition=DIP)
    assert await rules.pause(user.id, first.id)
    with pytest.raises(TooManyRules):
        await rules.create(user.id, symbol="BTC/USDT", definition=DIP)

    assert await rules.delete(user.id, second.id)
    third = await rules.create(user.id, symbol="BTC/USDT", definition=DIP)

    assert third.status is RuleStatus.ACTIVE


async def test_one_users_cap_leaves_another_user_alone(sessionmaker: DB) -> None:
    alice, bob = await new_user(sessionmaker, "cap"), await new_user(sessionmaker, "cap")
    rules = RuleRepository(sessionmaker, max_live=1)
    await rules.create(alice.id, symbol="BTC/USDT", definition=DIP)

    made = await rules.create(bob.id, symbol="BTC/USDT", definition=DIP)

    assert made.user_id == bob.id


async def test_creates_racing_as_the_service_and_as_the_user_never_overshoot_the_cap(
    sessionmaker: DB,
) -> None:
    # Arrange: the chat (service role) and the web app (the user's claims) share one cap of 3
    user = await new_user(sessionmaker, "cap")
    chat = RuleRepository(sessionmaker, max_live=3)
    web = UserControlsRepository(sessionmaker, max_live_rules=3)

    async def by_chat() -> object:
        return await chat.create(user.id, symbol="BTC/USDT", definition=DIP)

    async def by_web() -> object:
        return await web.create_rule(
            user.id, venue="paper", symbol="BTC/USDT", definition=DIP, fire_once=True
        )

    # Act: 12 creates at once
    results = await asyncio.gather(
        *(by_chat() if n % 2 else by_web() for n in range(12)), return_exceptions=True
    )

    # Assert
    refused = [r for r in results if isinstance(r, TooManyRules)]
    assert len(refused) == 9 and len(results) - len(refused) == 3
    assert await _live(sessionmaker, user) == 3
