"""Offline parser throughput: chat commands per second over a realistic mix, beside two baselines
from the same run.

The mix is every example the product brief quotes, the variants users type (symbols, amounts,
words and punctuation as people write them) and the commands it refuses (an answer too), in a
seeded shuffle. The baselines read the same commands already structured, as the parser's JSON:
``json.loads`` (bytes to dicts, the floor of any structured input) and ``command_from_json`` (that
plus the model's validation, which is what a language model's tool call costs once the model has
answered, and what a stored rule costs to read back). The parser's own work is the gap: words to
the same validated command. A model's round trip takes about a second; the table says how far
from that the offline path is.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from services.agent.parser import ParseError, command_from_json, command_to_json, parse_command

ISSUE_EXAMPLES = (
    "Buy 0.5 BTC if it dips below $30,000",
    "check the 10-day MA; if it is rising and RSI < 30, buy 0.2 BTC",
    "buy $100 of BTC",
    "buy 1.5k USDT worth of ETH",
    "limit buy 0.25 btc at 27,500",
    "buy 1 btc if it dips below $30,000",
    "sell 1 btc when it rises above 29k",
    "buy 0.1 btc if RSI(14) on the 1h chart drops below 30",
    "buy 0.1 btc if the 10-day MA is rising and RSI < 30",
    "sell 1 btc when the 50 EMA crosses below the 200 EMA",
    "cancel my BTC orders",
    "cancel all orders",
    "cancel order cp-0123abcd",
    "what's the price of BTC?",
    "price of eth",
    "how is SOL doing",
)
VARIANTS = (
    "BUY 0.5 BTC.",
    "Buy 0.5 Bitcoin",
    "buy 0.5btc",
    "sell 2 ether",
    "buy 0.01 BTC/USDT",
    "buy 1 ethbtc",
    "buy 1,000 xrp",
    "please buy 0.1 btc now",
    "market sell 0.1 btc",
    "buy $100 worth of bitcoin",
    "buy 250 usdc of sol",
    "buy btc with $1,000",
    "limit sell 1 eth at 2k",
    "buy 2 bnb @ 300",
    "buy 0.25 btc at $27,500.50",
    "buy 1 eth at a price of 2000",
    "when it rises above 29k, sell 1 btc",
    "if btc dips below 30k buy 0.1 btc",
    "buy 1 eth if btc dips below 30k",
    "sell 0.2 btc if the 20 sma crosses above the 50 sma on the 4h chart",
    "buy 0.3 eth when macd crosses above the signal",
)
REFUSED = (
    "buy BTC",
    "buy 0 btc",
    "buy -1 btc",
    "sell half a BTC",
    "buy some btc",
    "short 1 BTC",
    "buy 1 btc with 10x leverage",
    "buy 1 bitcon",
)


@dataclass(frozen=True, slots=True)
class Rate:
    what: str
    commands: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.commands / self.seconds


@dataclass(frozen=True, slots=True)
class ParserBench:
    mix: int
    refused: int
    rates: tuple[Rate, ...]
    """Baselines first: ``json.loads``, then ``command_from_json``, then the parser's runs."""


def mix(randomness: random.Random) -> list[str]:
    texts = [*ISSUE_EXAMPLES, *VARIANTS, *REFUSED]
    randomness.shuffle(texts)
    return texts


def _parse_or_refuse(text: str) -> object:
    try:
        return parse_command(text)
    except ParseError as error:
        return error


Case = tuple[str, Callable[[str], object], Sequence[str]]


def _rates(cases: Sequence[Case], rounds: int, repeats: int = 10) -> tuple[Rate, ...]:
    """Each case's best of ``repeats`` short runs, the cases taking turns, so a busy moment of the
    machine slows one run of each rather than all of one."""
    passes = max(1, rounds // repeats)
    best = [float("inf")] * len(cases)
    for _ in range(repeats):
        for n, (_, call, items) in enumerate(cases):
            started = time.perf_counter()
            for _ in range(passes):
                for item in items:
                    call(item)
            best[n] = min(best[n], time.perf_counter() - started)
    return tuple(Rate(what, passes * len(items), best[n]) for n, (what, _, items) in enumerate(cases))


def run_parser_benchmark(rounds: int = 100) -> ParserBench:
    texts = mix(random.Random(5))
    accepted = [t for t in texts if not isinstance(_parse_or_refuse(t), ParseError)]
    if len(accepted) != len(texts) - len(REFUSED):
        raise RuntimeError("the benchmark's mix no longer parses as it did: update it")
    structured = [command_to_json(parse_command(t)) for t in accepted]
    return ParserBench(
        mix=len(texts),
        refused=len(REFUSED),
        rates=_rates(
            [
                ("json.loads of the parser's JSON (baseline)", json.loads, structured),
                (
                    "command_from_json: JSON to the validated command (baseline)",
                    command_from_json,
                    structured,
                ),
                ("parse_command, accepted commands", parse_command, accepted),
                ("parse_command, the whole mix (refusals included)", _parse_or_refuse, texts),
            ],
            rounds,
        ),
    )


def parser_table(result: ParserBench) -> str:
    loads = result.rates[0].per_second
    lines = [
        "| measurement | commands/s | µs per command | vs json.loads |",
        "|---|---:|---:|---:|",
    ]
    for rate in result.rates:
        lines.append(
            f"| {rate.what} | {rate.per_second:,.0f} | {1e6 / rate.per_second:,.1f} "
            f"| {rate.per_second / loads:.3f} |"
        )
    lines += [
        "",
        f"Mix: {result.mix} commands (the brief's examples, typed variants, {result.refused} refusals), "
        "one core, best of ten short runs taken in turns.",
    ]
    return "\n".join(lines)


__all__ = ["ParserBench", "Rate", "mix", "parser_table", "run_parser_benchmark"]
