"""``cryptopulse keys``: add, rotate, delete and list a user's exchange keys from a terminal.

Secrets are read from a no-echo prompt when stdin is a terminal, otherwise from stdin as two
lines (API key, then API secret) — never from the command line, which other local users can
read in the process table and shells keep in their history. Nothing secret is ever printed.

Only argparse is imported at module import; the database and cipher load when a command runs.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TextIO
from uuid import UUID

from pydantic import SecretStr

if TYPE_CHECKING:
    from shared.db.repositories.exchange_keys import ExchangeKeyInfo, ExchangeKeyRepository
    from shared.db.repositories.model_preferences import ModelPreferenceRepository

Prompt = Callable[[str], str]
VENUE_CHOICES = ("paper", "testnet", "live")


class SecretInputError(ValueError):
    """The secrets could not be read; says what was missing, never what was read."""


def read_key_pair(stdin: TextIO, prompt: Prompt = getpass.getpass) -> tuple[SecretStr, SecretStr]:
    """Return (API key, API secret) from a no-echo prompt or from the first two lines of stdin."""
    if stdin.isatty():
        api_key, api_secret = prompt("API key: "), prompt("API secret: ")
    else:
        lines = [line.strip() for line in stdin.read().splitlines() if line.strip()]
        if len(lines) != 2:
            raise SecretInputError(
                f"expected two non-empty lines on stdin (API key, then API secret), got {len(lines)}"
            )
        api_key, api_secret = lines
    api_key, api_secret = api_key.strip(), api_secret.strip()
    if not api_key or not api_secret:
        raise SecretInputError("the API key and the API secret must both be non-empty")
    return SecretStr(api_key), SecretStr(api_secret)


def add_parser(commands: Any) -> None:
    """Register ``keys`` and its subcommands on the top-level subparsers ``commands``."""
    keys = commands.add_parser(
        "keys",
        help="add, rotate, delete or list a user's exchange API keys (secrets from stdin or a prompt)",
    )
    actions = keys.add_subparsers(dest="keys_command", required=True)

    def common(name: str, help_text: str, *, labelled: bool = True) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = actions.add_parser(name, help=help_text)
        parser.add_argument("--user", type=UUID, required=True, help="the user's id (UUID)")
        if labelled:
            parser.add_argument("--venue", choices=VENUE_CHOICES, default="paper", help="exchange venue")
            parser.add_argument("--label", default="main", help="name of the key (default: main)")
        parser.set_defaults(handler=run)
        return parser

    common("add", "store a new key pair (read from stdin or a no-echo prompt)")
    common("rotate", "replace an existing key pair (read from stdin or a no-echo prompt)")
    common("delete", "delete a key pair")
    listing = common(
        "list", "list a user's keys: label, venue, last 4 characters of the API key", labelled=False
    )
    listing.add_argument("--json", action="store_true", help="print JSON instead of a table")
    rewrap = actions.add_parser(
        "rewrap", help="operator: move every stored key to the cipher's newest key version"
    )
    rewrap.add_argument(
        "--rotate", action="store_true", help="first make a new master/Vault key version current"
    )
    rewrap.set_defaults(handler=run)


def _describe(info: ExchangeKeyInfo) -> str:
    hint = f"…{info.api_key_hint}" if info.api_key_hint else "(no hint)"
    rotated = info.rotated_at.isoformat(timespec="seconds") if info.rotated_at else "-"
    return (
        f"{info.venue}\t{info.label}\t{hint}\t{info.id}\t"
        f"created {info.created_at.isoformat(timespec='seconds')}\trotated {rotated}"
    )


def _as_json(info: ExchangeKeyInfo) -> dict[str, Any]:
    return {
        "id": str(info.id),
        "venue": info.venue,
        "label": info.label,
        "api_key_hint": info.api_key_hint,
        "created_at": info.created_at.isoformat(),
        "rotated_at": info.rotated_at.isoformat() if info.rotated_at else None,
    }


async def _dispatch(
    repository: ExchangeKeyRepository,
    args: argparse.Namespace,
    stdin: TextIO,
    stdout: TextIO,
    model_keys: ModelPreferenceRepository | None = None,
) -> int:
    command: str = args.keys_command
    if command in ("add", "rotate"):
        api_key, api_secret = read_key_pair(stdin)
        store = repository.add if command == "add" else repository.rotate
        info = await store(args.user, args.venue, args.label, api_key, api_secret)
        print(f"{'added' if command == 'add' else 'rotated'}\t{_describe(info)}", file=stdout)
    elif command == "delete":
        if not await repository.delete(args.user, args.venue, args.label):
            print(f"no {args.venue} key labelled {args.label!r} for user {args.user}", file=sys.stderr)
            return 1
        print(f"deleted\t{args.venue}\t{args.label}", file=stdout)
    elif command == "list":
        infos = await repository.list(args.user)
        if args.json:
            print(json.dumps([_as_json(info) for info in infos], indent=2), file=stdout)
        else:
            for info in infos:
                print(_describe(info), file=stdout)
    else:  # rewrap
        return await _rewrap(repository, args, stdout, model_keys)
    return 0


async def _rewrap(
    repository: ExchangeKeyRepository,
    args: argparse.Namespace,
    stdout: TextIO,
    model_keys: ModelPreferenceRepository | None,
) -> int:
    import asyncio

    cipher = repository.cipher
    if args.rotate:
        version = await asyncio.to_thread(cipher.rotate)
        print(f"{cipher.name} key rotated to v{version}", file=stdout)
    report = await repository.rewrap_all()
    print(f"rewrapped {report.rewrapped} stored key(s) to {cipher.name} v{report.key_version}", file=stdout)
    for key_id in report.failed:
        print(f"could not rewrap key {key_id} (does not decrypt with this cipher)", file=sys.stderr)
    failed = bool(report.failed)
    if model_keys is not None:
        models = await model_keys.rewrap_all()
        print(
            f"rewrapped {models.rewrapped} model key(s) to {cipher.name} v{models.key_version}", file=stdout
        )
        for user_id in models.failed:
            print(f"could not rewrap the model key of user {user_id} (does not decrypt)", file=sys.stderr)
        failed = failed or bool(models.failed)
    return 1 if failed else 0


async def _run_async(args: argparse.Namespace, stdin: TextIO, stdout: TextIO) -> int:
    from shared.config.settings import SecretsSettings
    from shared.db.engine import create_engine, create_sessionmaker
    from shared.db.repositories.exchange_keys import ExchangeKeyRepository
    from shared.db.repositories.model_preferences import ModelPreferenceRepository
    from shared.secrets.factory import build_cipher

    settings = SecretsSettings()
    engine = create_engine(settings.database_url)
    try:
        sessionmaker, cipher = create_sessionmaker(engine), build_cipher(settings)
        repository = ExchangeKeyRepository(sessionmaker, cipher)
        model_keys = ModelPreferenceRepository(sessionmaker, cipher)
        return await _dispatch(repository, args, stdin, stdout, model_keys)
    finally:
        await engine.dispose()


def run(args: argparse.Namespace, stdin: TextIO | None = None, stdout: TextIO | None = None) -> int:
    """Run one ``keys`` command; known failures print one line on stderr and return 1."""
    import asyncio

    from shared.db.repositories.exchange_keys import ExchangeKeyError
    from shared.secrets.base import SecretsError

    try:
        return asyncio.run(_run_async(args, stdin or sys.stdin, stdout or sys.stdout))
    except (ExchangeKeyError, SecretsError, ValueError) as error:
        # These messages name users, venues and labels only; none carries key material.
        print(f"cryptopulse keys {args.keys_command}: {error}", file=sys.stderr)
        return 1


__all__ = ["SecretInputError", "add_parser", "read_key_pair", "run"]
