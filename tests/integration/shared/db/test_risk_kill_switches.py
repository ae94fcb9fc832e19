"""Kill switches on real PostgreSQL: idempotent, global before user, explicit release, audited, RLS.

A database of this module's own: an engaged global switch would stop every other suite's users.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.db.engine import create_engine, create_sessionmaker
from shared.db.migrate import upgrade_async
from shared.db.models.risk import KillSwitch
from shared.db.repositories import intents
from shared.db.repositories.kill_switches import KillState, KillSwitchRepository
from shared.db.repositories.risk_audit import RiskAuditRepository
from shared.db.repositories.users import UserRepository
from shared.db.tenancy import claims_for, service_session, user_session
from shared.domain.enums import DecisionOutcome, KillScope

pytestmark = pytest.mark.postgres
G, U = KillScope.GLOBAL, KillScope.USER
OUT = DecisionOutcome


@pytest.fixture(scope="module")
async def own_sessionmaker(create_database: Any) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    url = await create_database()
    await upgrade_async(url)
    engine = create_engine(url)
    yield create_sessionmaker(engine)
    await engine.dispose()


async def _user(sessionmaker: async_sessionmaker[AsyncSession]) -> uuid.UUID:
    return (await UserRepository(sessionmaker).create(f"k{uuid.uuid4().hex[:10]}@example.com", "K")).id


async def test_engage_is_idempotent_and_keeps_the_first_press(
    own_sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    repo, user = KillSwitchRepository(own_sessionmaker), await _user(own_sessionmaker)

    first = await repo.engage(U, user, "alice", "runaway rule")
    again = await repo.engage(U, user, "bob", "second press")

    assert first.engaged and first.reason == "runaway rule" and first.actor == "alice"
    assert again == first  # same reason, actor and engaged_at
    async with service_session(own_sessionmaker) as session:
        rows = (await session.scalars(select(KillSwitch).where(KillSwitch.user_id == user))).all()
    assert len(rows) == 1
    audit = await RiskAuditRepository(own_sessionmaker).list_for(user)
    assert [(e.actor, e.action, e.details["changed"]) for e in audit] == [
        ("bob", "kill_switch.engage", False),
        ("alice", "kill_switch.engage", True),
    ]


async def test_concurrent_engages_make_one_row_and_one_change(
    own_sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    repo, user = KillSwitchRepository(own_sessionmaker), await _user(own_sessionmaker)

    states = await asyncio.gather(*(repo.engage(U, user, f"actor{i}", "panic") for i in range(8)))

    assert len({(s.actor, s.engaged_at) for s in states}) == 1
    audit = await RiskAuditRepository(own_sessionmaker).list_for(user)
    assert sum(1 for e in audit if e.details["changed"]) == 1


async def test_global_takes_precedence_and_release_is_explicit(
    own_sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    repo = KillSwitchRepository(own_sessionmaker)
    user, other = await _user(own_sessionmaker), await _user(own_sessionmaker)
    assert await repo.engaged_for(user) is None

    mine = await repo.engage(U, user, "alice", "mine")
    assert await repo.engaged_for(user) == mine and await repo.engaged_for(other) is None

    everyone = await repo.engage(G, None, "admin", "exchange incident")
    try:
        assert await repo.engaged_for(user) == everyone and await repo.engaged_for(other) == everyone
        assert [s.scope for s in await repo.engaged()][:1] == [G]
    finally:
        released = await repo.release(G, None, "admin")
    assert released == KillState(
        G, None, engaged=False, reason="exchange incident", actor="admin", engaged_at=None
    )
    assert await repo.engaged_for(user) == mine  # the user's own switch stays on
    assert await repo.engaged_for(other) is None

    off = await repo.release(U, user, "alice")
    assert not off.engaged and off.actor == "alice"
    assert await repo.engaged_for(user) is None
    again = await repo.release(U, user, "alice")  # idempotent
    assert not again.engaged
    never = await repo.release(U, other, "bob")
    assert never == KillState(U, other, engaged=False, reason="", actor="bob", engaged_at=None)
    global_audit = await RiskAuditRepository(own_sessionmaker).list_for(None)
    assert [e.action for e in global_audit[:2]] == ["kill_switch.release", "kill_switch.engage"]


async def test_state_survives_a_new_engine_as_after_a_restart(
    own_sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    user = await _user(own_sessionmaker)
    engaged = await KillSwitchRepository(own_sessionmaker).engage(U, user, "alice", "stop")
    url = own_sessionmaker.kw["bind"].url
    engine = create_engine(url)
    try:
        assert await KillSwitchRepository(create_sessionmaker(engine)).engaged_for(user) == engaged
    finally:
        await engine.dispose()


async def test_scope_and_user_must_agree(own_sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    repo, user = KillSwitchRepository(own_sessionmaker), await _user(own_sessionmaker)
    with pytest.raises(ValueError, match="takes no user id"):
        await repo.engage(G, user, "admin", "x")
    with pytest.raises(ValueError, match="needs a user id"):
        await repo.release(U, None, "admin")
    with pytest.raises(IntegrityError, match="ck_kill_switches_user_iff_user_scope"):
        async with service_session(own_sessionmaker) as session:
            session.add(KillSwitch(scope="global", user_id=user, engaged=True))
            await session.flush()


async def test_users_read_their_own_switch_and_the_global_one_and_cannot_write(
    own_sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    repo = KillSwitchRepository(own_sessionmaker)
    alice, bob = await _user(own_sessionmaker), await _user(own_sessionmaker)
    await repo.engage(U, alice, "alice", "a")
    await repo.engage(U, bob, "bob", "b")
    await repo.engage(G, None, "admin", "g")
    try:
        async with user_session(own_sessionmaker, claims_for(alice)) as session:
            seen = {(row.scope, row.user_id) for row in await session.scalars(select(KillSwitch))}
        assert seen == {("user", alice), ("global", None)}
        for statement in (
            "UPDATE kill_switches SET engaged = false",
            "DELETE FROM kill_switches",
            f"INSERT INTO kill_switches (scope, user_id, engaged) VALUES ('user', '{alice}', false)",
        ):
            with pytest.raises(DBAPIError, match="permission denied"):
                async with user_session(own_sessionmaker, claims_for(alice)) as session:
                    await session.execute(text(statement))
    finally:
        await repo.release(G, None, "admin")


async def test_a_global_kill_voids_every_users_pending_intents(
    own_sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    alice, bob = await _user(own_sessionmaker), await _user(own_sessionmaker)
    queued: list[str] = []
    async with service_session(own_sessionmaker) as session:
        for user, status in ((alice, OUT.PENDING), (bob, OUT.PENDING), (bob, OUT.APPROVED)):
            intent_id = f"k-{uuid.uuid4().hex}"
            assert await intents.record_decision(
                session, intent_id=intent_id, user_id=user, correlation_id=intent_id, source="rule",
                rule_id="r", venue="paper", symbol="ETH/USDT", side="sell", order_type="market",
                quantity=Decimal(1), quote_quantity=None, limit_price=None, digest="f" * 64,
                reference_price=None, status=status,
            )  # fmt: skip
            queued.append(intent_id)
    repo = KillSwitchRepository(own_sessionmaker)
    try:
        await repo.engage(G, None, "admin", "incident")
        async with service_session(own_sessionmaker) as session:
            voided = await intents.void_pending(session, None, reason="global kill", decided_by="admin")
            statuses = [(await intents.get(session, i)) for i in queued]
    finally:
        await repo.release(G, None, "admin")
    assert voided == sorted(queued[:2])
    assert [s.status if s else None for s in statuses] == [OUT.KILLED, OUT.KILLED, OUT.APPROVED]
