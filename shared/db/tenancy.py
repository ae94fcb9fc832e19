"""Sessions that run as a database role, the way Supabase's Data API does it.

Row-level security keys on ``auth.uid()``, which reads the ``request.jwt.claims`` setting. Every
transaction of a tenant session therefore starts by setting a transaction-local role and claims
(one statement): both end with the transaction, so a pooled connection never carries one user's
identity into the next checkout. They are applied on *every* transaction the session begins (an
``after_begin`` hook), so a commit in the middle of the block cannot drop the session back to the
connecting role, which may bypass RLS.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, Literal
from uuid import UUID

from sqlalchemy import event, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session, SessionTransaction

DbRole = Literal["anon", "authenticated", "service_role"]
"""The roles the first migration creates; they are the only ones a session may assume."""

_ROLES: frozenset[DbRole] = frozenset(("anon", "authenticated", "service_role"))
CONNECTS_AS = "connects_as"
"""Key of a sessionmaker's ``info``: the role its engine's connections have from their startup
parameters (``service_pool.create_service_sessionmaker``). A session of that very role then
needs no statement per transaction to assume it."""
_ASSUME = text(
    # ``set_config('role', …, true)`` is ``SET LOCAL ROLE`` as a function (PostgREST does the same):
    # role and claims in one round trip instead of two, on every transaction of every service.
    "SELECT set_config('role', :role, true), set_config('request.jwt.claims', :claims, true)"
)


def claims_for(user_id: UUID, *, email: str | None = None, **extra: Any) -> dict[str, Any]:
    """Return Supabase-shaped claims for ``user_id``, for services and tests that mint no JWT."""
    claims: dict[str, Any] = {"sub": str(user_id), "role": "authenticated", "aud": "authenticated"}
    if email is not None:
        claims["email"] = email
    claims.update(extra)
    return claims


def subject_of(claims: Mapping[str, Any]) -> UUID:
    """Return the user id in ``claims['sub']``; raise ``ValueError`` when it is missing or no UUID.

    Checked here rather than left to ``auth.uid()``'s cast, which would fail later, mid-query.
    """
    sub = claims.get("sub")
    if not isinstance(sub, str):
        raise ValueError(f"expected the claims to carry a string 'sub', was {sub!r}")
    try:
        return UUID(sub)
    except ValueError:
        raise ValueError(f"expected 'sub' to be a UUID, was {sub!r}") from None


@asynccontextmanager
async def _session_as(
    sessionmaker: async_sessionmaker[AsyncSession], role: DbRole, claims: Mapping[str, Any]
) -> AsyncIterator[AsyncSession]:
    if role not in _ROLES:  # a role is data here: only the three the first migration creates
        raise ValueError(f"unknown database role {role!r}")
    parameters = {"role": role, "claims": json.dumps(dict(claims), separators=(",", ":"), default=str)}

    def assume(_session: Session, _transaction: SessionTransaction, connection: Connection) -> None:
        connection.execute(_ASSUME, parameters)

    async with sessionmaker() as session:
        if role != "service_role" or session.info.get(CONNECTS_AS) != role:
            event.listen(session.sync_session, "after_begin", assume)
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


def user_session(
    sessionmaker: async_sessionmaker[AsyncSession], claims: Mapping[str, Any]
) -> AbstractAsyncContextManager[AsyncSession]:
    """Open a session whose transactions run as ``authenticated`` with these verified JWT claims.

    RLS then limits every query to the rows of ``claims['sub']``. The role is always
    ``authenticated``, whatever ``claims['role']`` says, so a token cannot choose its privileges.
    Commits on leaving the block, rolls back on an exception.
    """
    subject_of(claims)
    return _session_as(sessionmaker, "authenticated", claims)


def anonymous_session(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> AbstractAsyncContextManager[AsyncSession]:
    """Open a session as ``anon``: public data (market candles) only."""
    return _session_as(sessionmaker, "anon", {"role": "anon"})


def service_session(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> AbstractAsyncContextManager[AsyncSession]:
    """Open a session as ``service_role`` (``BYPASSRLS``), for services writing on nobody's behalf.

    Services use this rather than the connecting role, because RLS is forced on every table and
    the connecting role need be neither superuser nor owner.
    """
    return _session_as(sessionmaker, "service_role", {"role": "service_role"})


__all__ = [
    "CONNECTS_AS",
    "DbRole",
    "anonymous_session",
    "claims_for",
    "service_session",
    "subject_of",
    "user_session",
]
