"""``cryptopulse keys``: secrets go in through stdin or a no-echo prompt and never come back out."""

from __future__ import annotations

import asyncio
import json
import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path
from uuid import UUID, uuid4

import pytest

from shared.db.engine import create_engine, create_sessionmaker
from shared.db.repositories.exchange_keys import ExchangeKeyRepository, SigningCredentials
from shared.db.repositories.users import UserRepository
from shared.secrets import EnvelopeCipher

pytestmark = pytest.mark.postgres

REPO_ROOT = Path(__file__).resolve().parents[4]
API_KEY = "CLIkey" + "k" * 50 + "T41L"
API_SECRET = "CLIsecret-d00d-f00d-" + "s" * 30


def _env(database_url: str, key_file: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRYPTOPULSE_")}
    env["CRYPTOPULSE_DATABASE_URL"] = database_url
    env["CRYPTOPULSE_MASTER_KEY_FILE"] = str(key_file)
    return env


def _keys(env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cryptopulse.cli", "keys", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        env=env,
        timeout=60,
        check=False,
    )


async def _new_user(database_url: str) -> UUID:
    engine = create_engine(database_url)
    try:
        user = await UserRepository(create_sessionmaker(engine)).create(
            f"cli-{uuid4().hex}@example.com", "cli"
        )
        return user.id
    finally:
        await engine.dispose()


async def _credentials(database_url: str, key_file: Path, user: UUID, venue: str) -> SigningCredentials:
    engine = create_engine(database_url)
    try:
        repository = ExchangeKeyRepository(create_sessionmaker(engine), EnvelopeCipher(key_file))
        return await repository.load_for_signing(user, venue)
    finally:
        await engine.dispose()


def test_add_list_rotate_delete_from_stdin_without_echo(migrated_url: str, tmp_path: Path) -> None:
    key_file = tmp_path / "master.key"
    env = _env(migrated_url, key_file)
    user = asyncio.run(_new_user(migrated_url))
    ids = ["--user", str(user), "--venue", "testnet", "--label", "main"]

    added = _keys(env, "add", *ids, stdin=f"{API_KEY}\n{API_SECRET}\n")
    listed = _keys(env, "list", "--user", str(user), "--json")
    rotated = _keys(env, "rotate", *ids, stdin="ROTATEDkey-0123456789-ROT8\nrotated-secret-1\n")
    stored = asyncio.run(_credentials(migrated_url, key_file, user, "testnet"))
    deleted = _keys(env, "delete", *ids)
    deleted_again = _keys(env, "delete", *ids)

    assert added.returncode == 0, added.stderr
    assert "added\ttestnet\tmain\t…T41L" in added.stdout
    assert json.loads(listed.stdout)[0]["api_key_hint"] == "T41L"
    assert rotated.returncode == 0 and "…ROT8" in rotated.stdout
    assert (stored.api_key.get_secret_value(), stored.api_secret.get_secret_value()) == (
        "ROTATEDkey-0123456789-ROT8",
        "rotated-secret-1",
    )
    assert deleted.returncode == 0 and deleted_again.returncode == 1
    assert "no testnet key labelled 'main'" in deleted_again.stderr
    assert (key_file.stat().st_mode & 0o777) == 0o600
    for result in (added, listed, rotated, deleted, deleted_again):
        for secret in (API_KEY, API_SECRET, "rotated-secret-1", "ROTATEDkey-0123456789"):
            assert secret not in result.stdout and secret not in result.stderr


def test_bad_input_is_one_line_on_stderr_without_the_secret(migrated_url: str, tmp_path: Path) -> None:
    env = _env(migrated_url, tmp_path / "master.key")
    user = asyncio.run(_new_user(migrated_url))

    one_line = _keys(env, "add", "--user", str(user), stdin=f"{API_SECRET}\n")
    _keys(env, "add", "--user", str(user), stdin=f"{API_KEY}\n{API_SECRET}\n")
    duplicate = _keys(env, "add", "--user", str(user), stdin=f"{API_KEY}\n{API_SECRET}\n")
    as_argument = _keys(env, "add", "--user", str(user), "--secret", API_SECRET)

    assert one_line.returncode == 1
    assert one_line.stderr.strip().splitlines() == [
        "cryptopulse keys add: expected two non-empty lines on stdin (API key, then API secret), got 1"
    ]
    assert duplicate.returncode == 1 and "exists already" in duplicate.stderr
    assert as_argument.returncode == 2
    for result in (one_line, duplicate):
        assert API_SECRET not in result.stdout + result.stderr


def _answer_prompts(master: int, answers: dict[bytes, bytes], timeout_s: float) -> bytes:
    seen = b""
    pending = dict(answers)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.1)
        if not ready:
            continue
        try:
            chunk = os.read(master, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        seen += chunk
        for prompt, answer in list(pending.items()):
            if prompt in seen:
                os.write(master, answer)
                del pending[prompt]
    return seen


def test_the_terminal_prompt_does_not_echo_the_secret(migrated_url: str, tmp_path: Path) -> None:
    key_file = tmp_path / "master.key"
    env = _env(migrated_url, key_file)
    user = asyncio.run(_new_user(migrated_url))
    argv = [sys.executable, "-m", "cryptopulse.cli", "keys", "add", "--user", str(user), "--venue", "live"]

    # pty.fork gives the child a real controlling terminal, so getpass really turns echo off.
    pid, master = pty.fork()
    if pid == 0:  # pragma: no cover - the child
        os.chdir(REPO_ROOT)
        os.execve(sys.executable, argv, env)
    try:
        shown = _answer_prompts(
            master, {b"API key: ": f"{API_KEY}\n".encode(), b"API secret: ": f"{API_SECRET}\n".encode()}, 60
        )
    finally:
        _, status = os.waitpid(pid, 0)
        os.close(master)

    assert os.waitstatus_to_exitcode(status) == 0, shown.decode(errors="replace")
    assert b"API key: " in shown and b"API secret: " in shown and b"added\tlive\tmain" in shown
    assert API_KEY.encode() not in shown and API_SECRET.encode() not in shown
    stored = asyncio.run(_credentials(migrated_url, key_file, user, "live"))
    assert stored.api_secret.get_secret_value() == API_SECRET
