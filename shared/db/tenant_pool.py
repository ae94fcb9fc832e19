"""Plain asyncpg transactions that run as a signed-in user (or ``anon``), for the gateway's hot reads.

The same identity ``tenancy.user_session`` gives an ORM session, without the ORM: each
transaction starts with a transaction-local role and the caller's claims (``set_config(…, true)``,
as PostgREST does), so row-level security decides what every query in it sees, and both end with
the transaction; a pooled connection never carries one user's identity into the next checkout.
The gateway's read routes spent most of their CPU in SQLAlchemy's session and result machinery
(about 4 ms a request on the busy 2-core benchmark machine), and much of the rest in round trips:
here ``BEGIN``, role and claims go in one message, the query in the next, then ``COMMIT``, with no
reset query on release. asyncpg returns exact ``Decimal``s and aware datetimes from its C decoder.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any
from uuid import UUID

import asyncpg
from pydantic import SecretStr
from sqlalchemy.engine import URL

from shared.db.service_pool import libpq_dsn
from shared.db.tenancy import claims_for

_ANON_CLAIMS = json.dumps({"role": "anon"}, separators=(",", ":"))
_ROLES = frozenset(("anon", "authenticated"))


def _literal(text: str) -> str:
    # A complete escape under standard_conforming_strings, which every connection of the pool has
    # on (a startup parameter below): backslashes are plain characters, quotes are doubled.
    return "'" + text.replace("'", "''") + "'"


def _begin_as(role: str, claims: str) -> str:
    """``BEGIN READ ONLY`` and the identity in one simple-protocol message (one round trip instead
    of two): PostgreSQL runs both, and the transaction block stays open after the message."""
    if role not in _ROLES:
        raise ValueError(f"unknown database role {role!r}")
    return (
        f"BEGIN READ ONLY; SELECT set_config('role', {_literal(role)}, true), "
        f"set_config('request.jwt.claims', {_literal(claims)}, true)"
    )


async def _keep(_connection: asyncpg.Connection) -> None:
    """Release without a reset round trip: these connections never change session state (role and
    claims are transaction-local, nothing listens or locks), and asyncpg itself rolls back a
    transaction still open on release before calling this."""


async def create_tenant_pool(
    url: str | SecretStr | URL, *, min_size: int = 1, max_size: int = 10, **options: Any
) -> asyncpg.Pool:
    """Open a pool for ``as_user``/``as_anon`` transactions; close it on shutdown."""
    pool: asyncpg.Pool = await asyncpg.create_pool(
        libpq_dsn(url),
        min_size=min_size,
        max_size=max_size,
        server_settings={"application_name": "cryptopulse", "standard_conforming_strings": "on"},
        reset=_keep,
        **options,
    )
    return pool


@asynccontextmanager
async def _as(pool: asyncpg.Pool, role: str, claims: str) -> AsyncIterator[asyncpg.Connection]:
    begin = _begin_as(role, claims)
    async with pool.acquire() as connection:
        try:
            await connection.execute(begin)
            yield connection
        except BaseException:
            # Cancelled or failed mid-transaction: end it here; if even this fails, asyncpg rolls
            # back on release (or drops the connection).
            with contextlib.suppress(Exception):
                await connection.execute("ROLLBACK")
            raise
        await connection.execute("COMMIT")


def as_user(pool: asyncpg.Pool, user_id: UUID) -> AbstractAsyncContextManager[asyncpg.Connection]:
    """One read-only transaction as ``authenticated`` with ``user_id``'s claims: RLS limits every
    query in it to that user's rows, exactly as ``tenancy.user_session`` does."""
    return _as(pool, "authenticated", json.dumps(claims_for(user_id), separators=(",", ":")))


def as_anon(pool: asyncpg.Pool) -> AbstractAsyncContextManager[asyncpg.Connection]:
    """One read-only transaction as ``anon``: public data (market candles) only."""
    return _as(pool, "anon", _ANON_CLAIMS)


__all__ = ["as_anon", "as_user", "create_tenant_pool"]
