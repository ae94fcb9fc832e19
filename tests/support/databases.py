"""Databases of a test's own on the session's PostgreSQL server, so tests never share rows."""

from __future__ import annotations

from uuid import uuid4

from sqlalchemy import text
from sqlalchemy.engine import make_url

from shared.db.engine import create_engine
from shared.db.migrate import upgrade_async


async def new_database(server_url: str, prefix: str) -> str:
    """Create an empty database named ``<prefix>_<random>`` and return its URL."""
    url = make_url(server_url)
    name = f"{prefix}_{uuid4().hex[:10]}"
    # CREATE DATABASE cannot run inside a transaction block.
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as connection:
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        await admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


async def migrated_database(server_url: str, prefix: str) -> str:
    """Create a database of the caller's own, migrated to head, and return its URL."""
    database = await new_database(server_url, prefix)
    await upgrade_async(database)
    return database
