"""Engine and session factories, called from a service's startup or lifespan, never at import.

Nothing here holds state: each caller owns the engine it creates and disposes of it on shutdown.
"""

from __future__ import annotations

from typing import Any

from pydantic import SecretStr
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

_ASYNC_DRIVER = "postgresql+asyncpg"


def async_url(url: str | SecretStr | URL) -> URL:
    """Return ``url`` as a SQLAlchemy URL on the asyncpg driver.

    Accepts the settings' ``SecretStr`` and a plain libpq DSN (``postgresql://…``, as
    ``PostgresServer.dsn`` gives), so callers need not rewrite the scheme themselves.
    """
    text_or_url = url.get_secret_value() if isinstance(url, SecretStr) else url
    parsed = make_url(text_or_url)
    if parsed.get_backend_name() != "postgresql":
        raise ValueError(f"expected a PostgreSQL URL, was one for {parsed.get_backend_name()!r}")
    if parsed.drivername != _ASYNC_DRIVER:
        parsed = parsed.set(drivername=_ASYNC_DRIVER)
    return parsed


def create_engine(url: str | SecretStr | URL, **options: Any) -> AsyncEngine:
    """Return a pooled asyncpg engine; ``options`` go to ``create_async_engine`` unchanged.

    ``pool_pre_ping`` is on because PostgreSQL restarts (the embedded one in particular) would
    otherwise surface as one failed request per pooled connection.
    """
    options.setdefault("pool_pre_ping", True)
    return create_async_engine(async_url(url), **options)


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Return the session factory for ``engine``.

    ``expire_on_commit=False`` because async code cannot lazy-load: attributes read after a
    commit must still be there.
    """
    return async_sessionmaker(engine, expire_on_commit=False)


__all__ = ["async_url", "create_engine", "create_sessionmaker"]
