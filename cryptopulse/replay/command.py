"""``cryptopulse replay``: audit the trading stream against the database.

Exit codes: 0 when every timeline matches the database and every message decoded; 1 when there
are discrepancies (missing, extra or mismatched rows, or bad messages); 2 when the command
could not run (bad arguments, NATS or PostgreSQL unreachable).

Only argparse is imported at module import; NATS, the database and rich load when it runs.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.progress import Progress as RichProgress

    from cryptopulse.replay.engine import ReplayOptions
    from cryptopulse.replay.report import Sink
    from cryptopulse.replay.summary import Summary

EXIT_CLEAN, EXIT_DISCREPANCIES, EXIT_FAILED = 0, 1, 2


def moment(text: str) -> datetime:
    """An ISO 8601 time with its zone: ``2026-12-01T00:00Z``, ``2026-12-01T01:00+01:00``."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected an ISO 8601 time like 2026-12-01T00:00Z, was {text!r}"
        ) from None
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r} has no zone: add Z (UTC) or an offset like +01:00")
    return value


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, was {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a number of at least 1, was {value}")
    return value


def _user(text: str) -> str:
    try:
        return str(uuid.UUID(text))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a user id (UUID), was {text!r}") from None


def add_parser(commands: Any) -> None:
    """Register ``replay`` on the top-level subparsers ``commands``."""
    replay = commands.add_parser(
        "replay",
        help="rebuild every order's timeline from the trading stream and check it against the database",
        description=(
            "Reads the TRADING stream (never an exchange), rebuilds each order's timeline (intent, "
            "decisions, command, events, fills) and checks it against the database, read-only. "
            "Exit 0: no discrepancies; 1: discrepancies or bad messages; 2: could not run."
        ),
    )
    start = replay.add_mutually_exclusive_group()
    start.add_argument("--since-seq", type=_positive, metavar="N", help="first stream sequence to read")
    start.add_argument(
        "--since", type=moment, metavar="TIME", help="first time to read, e.g. 2026-12-01T00:00Z"
    )
    replay.add_argument(
        "--until", type=moment, metavar="TIME", help="stop after messages stored at this time"
    )
    replay.add_argument("--user", type=_user, metavar="UUID", help="only this user's timelines")
    replay.add_argument("--json", type=Path, metavar="PATH", help="write every timeline and finding as JSON")
    replay.add_argument("--html", type=Path, metavar="PATH", help="write a standalone HTML report")
    replay.add_argument(
        "--no-db", action="store_true", help="rebuild the timelines without the database check"
    )
    replay.add_argument(
        "--recheck",
        action="store_true",
        help="re-run today's risk checks on each recorded intent and show changes",
    )
    replay.add_argument(
        "--strict", action="store_true", help="validate every message with its model (slower)"
    )
    replay.add_argument(
        "--batch", type=_positive, default=1000, metavar="N", help="messages per fetch (1000)"
    )
    replay.add_argument(
        "--settle", type=_positive, default=60, metavar="S",
        help="seconds of recorded time a canceled or quote-amount order waits for a late fill (60)",
    )  # fmt: skip
    replay.add_argument("--quiet", action="store_true", help="no progress bar")
    replay.set_defaults(handler=run_command)


def run_command(args: argparse.Namespace) -> int:
    from cryptopulse.replay.engine import ReplayOptions
    from cryptopulse.replay.source import Window

    try:
        window = Window(since_seq=args.since_seq, since=args.since, until=args.until, user=args.user)
    except ValueError as error:
        print(f"cryptopulse replay: {error}", file=sys.stderr)
        return EXIT_FAILED
    options = ReplayOptions(
        window=window, batch=args.batch, settle=timedelta(seconds=args.settle), strict=args.strict
    )
    import asyncpg
    from nats.errors import Error as NatsError

    try:
        summary = asyncio.run(_replay(options, args))
    except (OSError, TimeoutError, NatsError, asyncpg.PostgresError) as error:
        print(f"cryptopulse replay: could not run: {error or type(error).__name__}", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_CLEAN if summary.discrepancies == 0 else EXIT_DISCREPANCIES


@contextlib.contextmanager
def _progress_bar(quiet: bool) -> Iterator[RichProgress | None]:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    if quiet:
        yield None
        return
    bar = Progress(
        TextColumn("replay"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
        console=Console(stderr=True), transient=True,
    )  # fmt: skip
    with bar:
        yield bar


def _sinks(args: argparse.Namespace) -> list[Sink]:
    from cryptopulse.replay.report import HtmlReport, JsonReport

    sinks: list[Sink] = []
    if args.json is not None:
        sinks.append(JsonReport(args.json))
    if args.html is not None:
        sinks.append(HtmlReport(args.html))
    return sinks


@contextlib.asynccontextmanager
async def _database(url: Any, enabled: bool) -> AsyncIterator[Any]:
    if not enabled:
        yield None
        return
    from shared.db.service_pool import create_service_pool

    pool = await create_service_pool(url, min_size=1, max_size=2, read_only=True)
    try:
        yield pool
    finally:
        await pool.close()


async def _replay(options: ReplayOptions, args: argparse.Namespace) -> Summary:
    import nats
    from rich.console import Console

    from cryptopulse.replay.check import DbChecker
    from cryptopulse.replay.engine import Replayer
    from cryptopulse.replay.recheck import Rechecker
    from cryptopulse.replay.report import summary_table
    from shared.config.settings import CommonSettings

    settings = CommonSettings()
    connection = await nats.connect(settings.nats_url, connect_timeout=5, max_reconnect_attempts=2)
    try:
        async with _database(settings.database_url, not args.no_db) as pool:
            checker = None if pool is None else DbChecker(pool)
            recheck = Rechecker(pool) if args.recheck else None
            with _progress_bar(args.quiet) as bar:
                task = None if bar is None else bar.add_task("replay", total=None)

                def progress(done: int, total: int) -> None:
                    if bar is not None and task is not None:
                        bar.update(task, completed=done, total=total)

                replayer = Replayer(
                    options, sinks=_sinks(args), checker=checker, recheck=recheck, progress=progress
                )
                summary = await replayer.run(connection)
    finally:
        await connection.close()
    # Piped into a file or a log, the table keeps whole lines rather than wrapping at 80 columns.
    summary_table(summary, Console(soft_wrap=True, width=None if sys.stdout.isatty() else 200))
    return summary


__all__ = ["EXIT_CLEAN", "EXIT_DISCREPANCIES", "EXIT_FAILED", "add_parser", "moment", "run_command"]
