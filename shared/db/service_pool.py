"""A plain asyncpg pool that is ``service_role`` from each connection's first packet, for hot paths.

The ORM session (``tenancy.service_session``) costs a role-and-claims statement per transaction
plus SQLAlchemy's per-statement work: about 3 ms per one-statement transaction on a busy 2-core
machine, against 0.8 ms for the same transaction on asyncpg directly. The executor writes several
times per order, so its order store runs here.

The role and the claims are *startup parameters* of every connection, so they are the session
defaults: nothing per transaction sets them, and ``RESET ALL; RESET ROLE`` on release (below)
returns any connection to them (``RESET ALL`` alone keeps a ``SET ROLE``). Only ``service_role``
exists here: user-scoped work keeps using ``tenancy.user_session``, whose identity ends with each
transaction.

``create_service_engine`` gives the same connections to SQLAlchemy, for a service whose hot path
keeps the ORM's repositories (the risk gate): ``service_session`` on its sessionmaker then skips
the per-transaction role statement, one round trip of every transaction.
"""

from __future__ import annotations

import json
from typing import Any

import asyncpg
from pydantic import SecretStr
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from shared.db.engine import async_url, create_engine
from shared.db.tenancy import CONNECTS_AS

SERVICE_CLAIMS = json.dumps({"role": "service_role"}, separators=(",", ":"))


def libpq_dsn(url: str | SecretStr | URL) -> str:
    """The database URL as asyncpg takes it (``postgresql://…``), password included."""
    return async_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _startup_settings() -> dict[str, str]:
    return {"role": "service_role", "request.jwt.claims": SERVICE_CLAIMS, "application_name": "cryptopulse"}


async def _reset(connection: asyncpg.Connection) -> None:
    # Back to the startup parameters (service_role, its claims) whatever a caller changed.
    await connection.execute("RESET ALL; RESET ROLE")


async def create_service_pool(
    url: str | SecretStr | URL,
    *,
    min_size: int = 1,
    max_size: int = 10,
    read_only: bool = False,
    **options: Any,
) -> asyncpg.Pool:
    """Open a pool whose every connection acts as ``service_role`` (``BYPASSRLS``); close it on shutdown.

    ``options`` go to ``asyncpg.create_pool``; ``reset`` replaces the role reset on release (a
    round trip) for a caller whose statements never change a setting. ``read_only``: every
    transaction is read-only from the first packet (``RESET ALL`` keeps it), for tools that must
    see every row and change none, like the audit replay."""
    settings = _startup_settings()
    if read_only:
        settings["default_transaction_read_only"] = "on"
    pool: asyncpg.Pool = await asyncpg.create_pool(
        libpq_dsn(url),
        min_size=min_size,
        max_size=max_size,
        server_settings=settings,
        **({"reset": _reset} | options),
    )
    return pool


def create_service_engine(url: str | SecretStr | URL, **options: Any) -> AsyncEngine:
    """A SQLAlchemy engine whose every connection is ``service_role`` from its startup parameters.

    Nothing on it may ``SET ROLE`` for the session (``SET LOCAL``, as ``user_session`` does, is
    fine): SQLAlchemy returns a connection with a ROLLBACK, not ``RESET ROLE``."""
    return create_engine(url, connect_args={"server_settings": _startup_settings()}, **options)


def create_service_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions on a ``create_service_engine`` engine; ``service_session`` on them sets nothing."""
    return async_sessionmaker(engine, expire_on_commit=False, info={CONNECTS_AS: "service_role"})


__all__ = ["create_service_engine", "create_service_pool", "create_service_sessionmaker", "libpq_dsn"]
