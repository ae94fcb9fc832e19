"""Row-level security as Supabase does it: auth.uid() from per-transaction claims, no leaks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid4

import pytest
from sqlalchemy import CursorResult, Result, delete, func, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from shared.db.engine import create_sessionmaker
from shared.db.models import User, UserWatchlist
from shared.db.repositories.users import UserRecord, UserRepository
from shared.db.tenancy import anonymous_session, claims_for, service_session, user_session

pytestmark = pytest.mark.postgres

IDENTITY = text(
    "SELECT pg_backend_pid() AS pid, current_user AS role, auth.uid() AS uid,"
    " auth.role() AS jwt_role, current_setting('request.jwt.claims', true) AS claims"
)


def rowcount(result: Result[Any]) -> int:
    assert isinstance(result, CursorResult)
    return result.rowcount


@dataclass(frozen=True)
class Tenants:
    a: UserRecord
    b: UserRecord
    a_watch: UUID
    b_watch: UUID


async def _user(sessionmaker: async_sessionmaker[AsyncSession], name: str) -> UserRecord:
    return await UserRepository(sessionmaker).create(f"{name}-{uuid4().hex}@Example.com", name)


@pytest.fixture
async def tenants(sessionmaker: async_sessionmaker[AsyncSession]) -> Tenants:
    a, b = await _user(sessionmaker, "alice"), await _user(sessionmaker, "bob")
    async with service_session(sessionmaker) as session:
        a_watch = UserWatchlist(user_id=a.id, symbol="BTC/USDT")
        b_watch = UserWatchlist(user_id=b.id, symbol="ETH/USDT")
        session.add_all([a_watch, b_watch])
        await session.flush()
        return Tenants(a, b, a_watch.id, b_watch.id)


async def _watchlist_owner(sessionmaker: async_sessionmaker[AsyncSession], row_id: UUID) -> tuple[UUID, str]:
    async with service_session(sessionmaker) as session:
        row = await session.get_one(UserWatchlist, row_id)
        return row.user_id, row.symbol


async def test_auth_functions_read_the_claims(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    user_id = uuid4()
    async with user_session(sessionmaker, claims_for(user_id, email="a@example.com")) as session:
        row = (await session.execute(IDENTITY)).one()
        email = await session.scalar(text("SELECT auth.jwt() ->> 'email'"))

    assert (row.role, row.uid, row.jwt_role, email) == (
        "authenticated",
        user_id,
        "authenticated",
        "a@example.com",
    )


async def test_auth_uid_is_null_without_claims(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    async with sessionmaker() as session:
        assert await session.scalar(text("SELECT auth.uid()")) is None
        await session.execute(text("SELECT set_config('request.jwt.claims', '', true)"))
        assert await session.scalar(text("SELECT auth.uid()")) is None


async def test_a_query_without_where_sees_only_the_users_own_rows(
    sessionmaker: async_sessionmaker[AsyncSession], tenants: Tenants
) -> None:
    async with user_session(sessionmaker, claims_for(tenants.a.id)) as session:
        users = (await session.scalars(select(User))).all()
        watches = (await session.scalars(select(UserWatchlist))).all()

    assert [u.id for u in users] == [tenants.a.id]
    assert [(w.id, w.user_id) for w in watches] == [(tenants.a_watch, tenants.a.id)]


async def test_the_service_role_sees_everyone(
    sessionmaker: async_sessionmaker[AsyncSession], tenants: Tenants
) -> None:
    async with service_session(sessionmaker) as session:
        owners = set((await session.scalars(select(UserWatchlist.user_id))).all())

    assert {tenants.a.id, tenants.b.id} <= owners


async def test_cannot_insert_a_row_for_another_user(
    sessionmaker: async_sessionmaker[AsyncSession], tenants: Tenants
) -> None:
    with pytest.raises(DBAPIError, match="row-level security"):
        async with user_session(sessionmaker, claims_for(tenants.a.id)) as session:
            session.add(UserWatchlist(user_id=tenants.b.id, symbol="SOL/USDT"))
            await session.flush()

    async with service_session(sessionmaker) as session:
        count = await session.scalar(
            select(func.count()).where(
                UserWatchlist.symbol == "SOL/USDT", UserWatchlist.user_id == tenants.b.id
            )
        )
    assert count == 0


async def test_insert_without_user_id_belongs_to_the_caller(
    sessionmaker: async_sessionmaker[AsyncSession], tenants: Tenants
) -> None:
    async with user_session(sessionmaker, claims_for(tenants.a.id)) as session:
        row_id = await session.scalar(
            text("INSERT INTO user_watchlists (symbol) VALUES ('BNB/USDT') RETURNING id")
        )

    assert await _watchlist_owner(sessionmaker, row_id) == (tenants.a.id, "BNB/USDT")


async def test_cannot_update_or_delete_another_users_rows(
    sessionmaker: async_sessionmaker[AsyncSession], tenants: Tenants
) -> None:
    async with user_session(sessionmaker, claims_for(tenants.a.id)) as session:
        updated = await session.execute(
            update(UserWatchlist).where(UserWatchlist.id == tenants.b_watch).values(symbol="DOGE/USDT")
        )
        deleted = await session.execute(delete(UserWatchlist).where(UserWatchlist.id == tenants.b_watch))
        renamed = await session.execute(
            update(User).where(User.id == tenants.b.id).values(display_name="pwned")
        )

    assert [rowcount(r) for r in (updated, deleted, renamed)] == [0, 0, 0]
    assert await _watchlist_owner(sessionmaker, tenants.b_watch) == (tenants.b.id, "ETH/USDT")
    b = await UserRepository(sessionmaker).get(tenants.b.id)
    assert b is not None and b.display_name == "bob"


async def test_cannot_give_an_own_row_to_another_user(
    sessionmaker: async_sessionmaker[AsyncSession], tenants: Tenants
) -> None:
    with pytest.raises(DBAPIError, match="row-level security"):
        async with user_session(sessionmaker, claims_for(tenants.a.id)) as session:
            await session.execute(
                update(UserWatchlist).where(UserWatchlist.id == tenants.a_watch).values(user_id=tenants.b.id)
            )

    assert await _watchlist_owner(sessionmaker, tenants.a_watch) == (tenants.a.id, "BTC/USDT")


async def test_own_rows_can_be_updated_and_deleted(
    sessionmaker: async_sessionmaker[AsyncSession], tenants: Tenants
) -> None:
    async with user_session(sessionmaker, claims_for(tenants.a.id)) as session:
        renamed = await session.execute(
            update(User).where(User.id == tenants.a.id).values(display_name="Alice")
        )
        deleted = await session.execute(delete(UserWatchlist).where(UserWatchlist.id == tenants.a_watch))

    assert [rowcount(r) for r in (renamed, deleted)] == [1, 1]
    a = await UserRepository(sessionmaker).get(tenants.a.id)
    assert a is not None and a.display_name == "Alice"


async def test_a_user_cannot_promote_themselves(
    sessionmaker: async_sessionmaker[AsyncSession], tenants: Tenants
) -> None:
    with pytest.raises(DBAPIError, match="permission denied"):
        async with user_session(sessionmaker, claims_for(tenants.a.id)) as session:
            await session.execute(update(User).where(User.id == tenants.a.id).values(role="admin"))

    a = await UserRepository(sessionmaker).get(tenants.a.id)
    assert a is not None and a.role == "user"


async def test_the_authenticated_role_without_claims_sees_nothing(
    sessionmaker: async_sessionmaker[AsyncSession], tenants: Tenants
) -> None:
    async with sessionmaker() as session, session.begin():
        await session.execute(text("SET LOCAL ROLE authenticated"))
        users = (await session.scalars(select(User))).all()
        watches = (await session.scalars(select(UserWatchlist))).all()

    assert (users, watches) == ([], [])


async def test_a_role_claim_cannot_escalate(
    sessionmaker: async_sessionmaker[AsyncSession], tenants: Tenants
) -> None:
    claims = claims_for(tenants.a.id, role="service_role")
    async with user_session(sessionmaker, claims) as session:
        role = await session.scalar(text("SELECT current_user"))
        owners = set((await session.scalars(select(UserWatchlist.user_id))).all())

    assert (role, owners) == ("authenticated", {tenants.a.id})


async def test_anon_reads_no_user_data(
    sessionmaker: async_sessionmaker[AsyncSession], tenants: Tenants
) -> None:
    with pytest.raises(DBAPIError, match="permission denied"):
        async with anonymous_session(sessionmaker) as session:
            await session.execute(select(User))


async def test_identity_holds_across_commits_inside_the_block(
    sessionmaker: async_sessionmaker[AsyncSession], tenants: Tenants
) -> None:
    # A commit ends the transaction, and SET LOCAL with it; the next one must assume it again.
    async with user_session(sessionmaker, claims_for(tenants.a.id)) as session:
        await session.scalar(text("SELECT 1"))
        await session.commit()
        row = (await session.execute(IDENTITY)).one()
        owners = set((await session.scalars(select(UserWatchlist.user_id))).all())

    assert (row.role, row.uid, owners) == ("authenticated", tenants.a.id, {tenants.a.id})


async def test_claims_do_not_leak_to_the_next_user_of_a_pooled_connection(
    one_connection_engine: AsyncEngine, tenants: Tenants
) -> None:
    sessionmaker = create_sessionmaker(one_connection_engine)

    async with user_session(sessionmaker, claims_for(tenants.a.id)) as session:
        as_a = (await session.execute(IDENTITY)).one()
        a_sees = (await session.scalars(select(UserWatchlist.user_id))).all()
    async with sessionmaker() as session:
        after = (await session.execute(IDENTITY)).one()
    async with user_session(sessionmaker, claims_for(tenants.b.id)) as session:
        as_b = (await session.execute(IDENTITY)).one()
        b_sees = (await session.scalars(select(UserWatchlist.user_id))).all()

    assert as_a.pid == after.pid == as_b.pid, "expected one backend for all three transactions"
    assert (as_a.role, as_a.uid, a_sees) == ("authenticated", tenants.a.id, [tenants.a.id])
    assert (after.role, after.uid, after.claims or None) == ("postgres", None, None)
    assert (as_b.role, as_b.uid, b_sees) == ("authenticated", tenants.b.id, [tenants.b.id])


async def test_claims_do_not_leak_after_a_failed_transaction(
    one_connection_engine: AsyncEngine, tenants: Tenants
) -> None:
    sessionmaker = create_sessionmaker(one_connection_engine)

    with pytest.raises(DBAPIError):
        async with user_session(sessionmaker, claims_for(tenants.a.id)) as session:
            await session.execute(text("SELECT 1 / 0"))
    async with sessionmaker() as session:
        after = (await session.execute(IDENTITY)).one()

    assert (after.role, after.uid, after.claims or None) == ("postgres", None, None)
