"""The ``cryptopulse`` command."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from cryptopulse.keys import add_parser as add_keys_parser
from cryptopulse.replay.command import add_parser as add_replay_parser
from shared.config.settings import ALL_SETTINGS, ENV_PREFIX


def _settings_reference() -> str:
    """Every setting as a Markdown table: variable, default, meaning (the README's reference)."""
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    seen: set[str] = set()
    for settings_class in ALL_SETTINGS:
        for name, info in settings_class.model_fields.items():
            if name in seen:
                continue
            seen.add(name)
            default = info.default
            if hasattr(default, "get_secret_value"):
                default = "(secret)"
            elif isinstance(default, tuple):
                default = ",".join(default)
            elif isinstance(default, dict):  # as the variable takes it: JSON, decimals as strings
                default = json.dumps(default, default=str)
            rows.append(f"| `{ENV_PREFIX}{name.upper()}` | `{default}` | {info.description or ''} |")
    return "\n".join(rows)


def _up(args: argparse.Namespace) -> int:
    from cryptopulse.stack import run_stack
    from shared.config.settings import StackSettings

    return run_stack(StackSettings())


def _config(args: argparse.Namespace) -> int:
    reference = _settings_reference()
    if args.update_readme:
        from cryptopulse.readme import replace_section

        replace_section("settings", reference)
    print(reference)
    return 0


def _bench(args: argparse.Namespace) -> int:
    from cryptopulse.bench.gateway_figures import Arrivals
    from cryptopulse.bench.orders import DEFAULT_COUNTS
    from cryptopulse.bench.risk import DEFAULT_LEVELS
    from cryptopulse.bench.run import run_benchmarks

    counts = dict(DEFAULT_COUNTS)
    if args.orders is not None:  # never fewer orders than the level keeps in flight
        counts = {level: max(args.orders, level) for level in counts}
    print(
        run_benchmarks(
            rates=args.rates,
            update_readme=args.update_readme,
            only=args.only,
            order_counts=counts,
            risk_levels=DEFAULT_LEVELS if args.levels is None else args.levels,
            **({} if args.messages is None else {"replay_messages": args.messages}),
            arrivals=Arrivals(args.pace, poisson=not args.even),
            tick_flush_ms=args.tick_flush_ms,
        )
    )
    return 0


def _risk_levels(text: str) -> dict[int, int]:
    from cryptopulse.bench.risk import parse_levels

    try:
        return parse_levels(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _migrate(_: argparse.Namespace) -> int:
    import asyncio

    from cryptopulse.stack import ensure_streams_at
    from shared.config.settings import CommonSettings
    from shared.db.migrate import upgrade

    settings = CommonSettings()
    upgrade(settings.database_url.get_secret_value())
    asyncio.run(ensure_streams_at(settings.nats_url))
    print("database migrated and JetStream streams in place")
    return 0


def _parse(args: argparse.Namespace) -> int:
    from services.agent.parser import ParseError, command_to_json, parse_command

    try:
        command = parse_command(" ".join(args.text))
    except ParseError as error:
        print(f"cryptopulse parse: {error.reason}", file=sys.stderr)
        return 2
    print(command_to_json(command, indent=2))
    return 0


def _openapi(args: argparse.Namespace) -> int:
    from services.api_gateway.openapi import COMMITTED, openapi_document, render

    text = render(openapi_document())
    if args.write:
        COMMITTED.write_text(text)
        print(f"wrote {COMMITTED}")
    else:
        sys.stdout.write(text)
    return 0


def _check_bench(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if args.command != "bench":
        return
    customised = any(value is not None for value in (args.orders, args.levels, args.messages))
    customised = customised or args.pace != 1.0 or args.even or args.tick_flush_ms is not None
    if args.update_readme and (args.only is not None or customised):
        parser.error(
            "--update-readme writes every benchmark at its defaults: "
            "drop --only, --orders, --levels, --messages, --pace, --even and --tick-flush-ms"
        )
    if args.messages is not None and args.messages < 1:
        parser.error("--messages takes a positive number")
    if args.orders is not None and args.orders < 1:
        parser.error("--orders takes a positive number")
    if not args.pace > 0:
        parser.error("--pace takes a positive number of requests a second")
    if args.tick_flush_ms is not None and not 0 <= args.tick_flush_ms <= 1000:
        parser.error("--tick-flush-ms takes 0 (a frame per trade) to 1000 milliseconds")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cryptopulse", description="CryptoPulse trading copilot")
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser("up", help="run the whole system on embedded NATS and PostgreSQL")
    up.set_defaults(handler=_up)
    migrate = commands.add_parser("migrate", help="apply database migrations and create the streams")
    migrate.set_defaults(handler=_migrate)
    config = commands.add_parser("config", help="print every setting with its default and meaning")
    config.add_argument("--update-readme", action="store_true", help="write the table into README.md")
    config.set_defaults(handler=_config)
    bench = commands.add_parser("bench", help="benchmarks beside a raw-NATS baseline from the same run")
    bench.add_argument("--rates", type=int, nargs="+", default=[10_000, 15_000], help="trades/s offered")
    bench.add_argument("--update-readme", action="store_true", help="write the table into README.md")
    bench.add_argument(
        "--only",
        choices=(
            "feed",
            "orders",
            "risk",
            "kill",
            "rules",
            "parser",
            "backtest",
            "gateway",
            "replay",
            "http",
        ),
        help="run one benchmark (not with --update-readme)",
    )
    bench.add_argument(
        "--orders",
        type=int,
        metavar="N",
        help="orders per in-flight level, at least the level (default: 100, 200 and 300)",
    )
    bench.add_argument(
        "--levels",
        type=_risk_levels,
        metavar="K:N,…",
        help="risk gate: N intents at K in flight, per level (default: 1:100,10:300,100:500)",
    )
    bench.add_argument(
        "--messages",
        type=int,
        metavar="N",
        help="audit replay: messages recorded and replayed (default: 1,000,000)",
    )
    bench.add_argument(
        "--pace",
        type=float,
        default=1.0,
        metavar="R",
        help="gateway open loop: requests a second each client sends (default: 1)",
    )
    bench.add_argument(
        "--even",
        action="store_true",
        help="gateway open loop: evenly spaced requests instead of Poisson arrivals",
    )
    bench.add_argument(
        "--tick-flush-ms",
        type=int,
        metavar="MS",
        help="gateway fan-out: the gateway's trade batching interval, 0 for a frame per trade "
        "(default: CRYPTOPULSE_GATEWAY_TICK_FLUSH_MS's default)",
    )
    bench.set_defaults(handler=_bench)
    parse = commands.add_parser("parse", help="parse a chat command offline and print it as JSON")
    parse.add_argument("text", nargs="+", help='the command, e.g. "buy 0.5 BTC if it dips below $30,000"')
    parse.set_defaults(handler=_parse)
    openapi = commands.add_parser(
        "openapi", help="print the gateway's OpenAPI document (the web client's source)"
    )
    openapi.add_argument("--write", action="store_true", help="write it to web/openapi.json instead")
    openapi.set_defaults(handler=_openapi)
    add_keys_parser(commands)
    add_replay_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _check_bench(parser, args)
    code: int = args.handler(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
