"""Plain asyncpg transactions that run as a signed-in user (or ``anon``), for the gateway's hot reads.

The same identity ``tenancy.user_session`` gives an ORM session, without the ORM: each
transaction starts with one statement that sets a transaction-local role and the caller's claims
(``set_config(…, true)``, as PostgREST does), so row-level security decides what every query in
it sees, and both end with the transaction; a pooled connection never carries one user's
identity into the next checkout. The gateway's read routes spent most of their CPU in SQLAlchemy's
session and result machinery (about 4 ms a request on the busy 2-core benchmark machine); asyncpg
returns rows of exact ``Decimal``s and aware datetimes straight from its C decoder.
"""

from __future__ import annotations

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

_ASSUME = "SELECT set_config('role', $1, true), set_config('request.jwt.claims', $2, true)"
_ANON_CLAIMS = json.dumps({"role": "anon"}, separators=(",", ":"))


async def create_tenant_pool(
    url: str | SecretStr | URL, *, min_size: int = 1, max_size: int = 10, **options: Any
) -> asyncpg.Pool:
    """Open a pool for ``as_user``/``as_anon`` transactions; close it on shutdown."""
    pool: asyncpg.Pool = await asyncpg.create_pool(
        libpq_dsn(url),
        min_size=min_size,
        max_size=max_size,
        server_settings={"application_name": "cryptopulse"},
        **options,
    )
    return pool


@asynccontextmanager
async def _as(pool: asyncpg.Pool, role: str, claims: str) -> AsyncIterator[asyncpg.Connection]:
    async with pool.acquire() as connection, connection.transaction(readonly=True):
        await connection.execute(_ASSUME, role, claims)
        yield connection


def as_user(pool: asyncpg.Pool, user_id: UUID) -> AbstractAsyncContextManager[asyncpg.Connection]:
    """One read-only transaction as ``authenticated`` with ``user_id``'s claims: RLS limits every
    query in it to that user's rows, exactly as ``tenancy.user_session`` does."""
    return _as(pool, "authenticated", json.dumps(claims_for(user_id), separators=(",", ":")))


def as_anon(pool: asyncpg.Pool) -> AbstractAsyncContextManager[asyncpg.Connection]:
    """One read-only transaction as ``anon``: public data (market candles) only."""
    return _as(pool, "anon", _ANON_CLAIMS)


__all__ = ["as_anon", "as_user", "create_tenant_pool"]
