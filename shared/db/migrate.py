"""Apply the Alembic migrations from code: ``cryptopulse up``, service start-up and the tests.

The migrations folder is found next to this module, so neither the working directory nor an
``alembic.ini`` matters. Running ``upgrade`` on an up-to-date database does nothing.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from pydantic import SecretStr
from sqlalchemy.engine import URL, Connection
from sqlalchemy.pool import NullPool

from shared.db.engine import create_engine

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config() -> Config:
    """Return an Alembic config pointing at the packaged migrations, with no ini file."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    return config


def head_revision() -> str:
    """Return the revision the code expects the database to be at."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise RuntimeError(f"no migrations found in {MIGRATIONS_DIR}")
    return head


# Alembic's `context` and `op` are module-level proxies, so two commands interleaved in one
# process corrupt each other; this lock runs them one at a time. Across processes, the advisory
# lock taken in env.py does the same.
_ALEMBIC_LOCK = threading.Lock()

_Command = Callable[[Config, str], None]


def _on_connection(connection: Connection, alembic_command: _Command, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    alembic_command(config, revision)


async def _run(database_url: str | SecretStr | URL, alembic_command: _Command, revision: str) -> None:
    engine = create_engine(database_url, poolclass=NullPool)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_on_connection, alembic_command, revision)
    finally:
        await engine.dispose()


def _run_blocking(database_url: str | SecretStr | URL, alembic_command: _Command, revision: str) -> None:
    # Called on a worker thread, which has no event loop of its own yet.
    with _ALEMBIC_LOCK:
        asyncio.run(_run(database_url, alembic_command, revision))


async def upgrade_async(database_url: str | SecretStr | URL, revision: str = "head") -> None:
    """Upgrade the database to ``revision`` in one transaction, without blocking the caller's loop."""
    await asyncio.to_thread(_run_blocking, database_url, command.upgrade, revision)


async def downgrade_async(database_url: str | SecretStr | URL, revision: str) -> None:
    """Downgrade the database to ``revision`` (``"base"`` drops every table the migrations made)."""
    await asyncio.to_thread(_run_blocking, database_url, command.downgrade, revision)


async def current_revision(database_url: str | SecretStr | URL) -> str | None:
    """Return the database's revision, or ``None`` before the first migration (readiness checks)."""
    engine = create_engine(database_url, poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(
                lambda sync: MigrationContext.configure(sync).get_current_revision()
            )
    finally:
        await engine.dispose()


def upgrade(database_url: str | SecretStr | URL, revision: str = "head") -> None:
    """Upgrade the database to ``revision``, blocking until done.

    Runs on a worker thread with a loop of its own, so it works whether or not the caller's
    thread has an event loop (running, or merely set as under pytest-asyncio) and leaves that
    loop alone. Inside a coroutine, prefer ``await upgrade_async(...)``.
    """
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="alembic") as pool:
        pool.submit(_run_blocking, database_url, command.upgrade, revision).result()


__all__ = [
    "MIGRATIONS_DIR",
    "alembic_config",
    "current_revision",
    "downgrade_async",
    "head_revision",
    "upgrade",
    "upgrade_async",
]
