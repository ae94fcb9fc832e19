"""Alembic environment: async (asyncpg), usable from the ``alembic`` CLI and from ``shared.db.migrate``.

``shared.db.migrate`` hands over an open connection in ``config.attributes["connection"]``; the CLI
path opens its own from ``-x url=…``, ``CRYPTOPULSE_DATABASE_URL`` or ``sqlalchemy.url``.
"""

from __future__ import annotations

import asyncio
import os
from logging.config import fileConfig

from alembic import context
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.pool import NullPool

from shared.db.engine import create_engine
from shared.db.models import Base

# Concurrent starters (every service may migrate on boot) queue on this lock instead of racing
# on CREATE ROLE and the version table. Any constant works, as long as it never changes.
MIGRATION_LOCK_KEY = int.from_bytes(b"cpmigrat", "big")

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    url = context.get_x_argument(as_dictionary=True).get("url") or os.environ.get("CRYPTOPULSE_DATABASE_URL")
    url = url or config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no database URL: pass -x url=…, or set CRYPTOPULSE_DATABASE_URL")
    return url


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata, compare_type=True)
    with context.begin_transaction():
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
        context.run_migrations()


async def _run_cli() -> None:
    engine = create_engine(_url(), poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run)
    finally:
        await engine.dispose()


def main() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    if config.config_file_name is not None:
        fileConfig(config.config_file_name, disable_existing_loggers=False)
    if context.is_offline_mode():
        context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    asyncio.run(_run_cli())


main()
