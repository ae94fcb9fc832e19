"""The parsed command is a validated, frozen model whose JSON reads back to the same command, and no
text, however garbled, makes the parser raise anything but ``ParseError``."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest
from pydantic import ValidationError

from services.agent.parser import (
    Condition,
    Indicator,
    Op,
    OrderCommand,
    ParseError,
    command_from_json,
    command_to_json,
    parse_command,
)


def test_decimals_are_exact_and_travel_as_strings() -> None:
    command = parse_command("limit buy 0.1 btc at 27,500.10 if rsi < 30.5")
    assert isinstance(command, OrderCommand)
    assert command.amount == Decimal("0.1") and command.limit_price == Decimal("27500.1")
    text = command_to_json(command)
    assert '"amount":"0.1"' in text and '"limit_price":"27500.1"' in text and '"value":"30.5"' in text


@pytest.mark.parametrize(
    "text",
    [
        "check the 10-day MA; if it is rising and RSI < 30, buy 0.2 BTC",
        "sell 1 eth when the 50 EMA crosses below the 200 EMA",
        "cancel order cp-0123abcd",
        "cancel my sol orders",
        "price of bnb",
        "buy $100 of btc",
    ],
)
def test_the_json_reads_back_to_the_same_command(text: str) -> None:
    command = parse_command(text)
    assert command_from_json(command_to_json(command)) == command


def test_the_command_is_frozen() -> None:
    command = parse_command("buy 1 btc")
    with pytest.raises(ValidationError):
        command.symbol = "ETH/USDT"  # type: ignore[misc]


@pytest.mark.parametrize(
    "fields",
    [
        {"amount": "1", "quote_amount": "100"},  # two amounts
        {},  # no amount
        {"amount": "1", "order_type": "limit"},  # limit without a price
        {"amount": "1", "limit_price": "5"},  # market with a price
        {"quote_amount": "100", "order_type": "limit", "limit_price": "5"},  # limit spending a quote amount
        {"amount": "0"},
        {"amount": "2000000000"},
        {"amount": "1", "kind": "conditional_order"},  # conditional without conditions
    ],
)
def test_an_incoherent_order_cannot_be_built(fields: dict[str, str]) -> None:
    base = {"kind": "order", "side": "buy", "symbol": "BTC/USDT", "order_type": "market"}
    with pytest.raises(ValidationError):
        OrderCommand.model_validate({**base, **fields})


def test_a_condition_needs_a_value_unless_it_is_a_direction_and_a_chart_unless_it_is_the_price() -> None:
    with pytest.raises(ValidationError):
        Condition(indicator=Indicator.PRICE, symbol="BTC/USDT", op=Op.LT)
    with pytest.raises(ValidationError):
        Condition(indicator=Indicator.SMA, symbol="BTC/USDT", period=10, op=Op.RISING, value=Decimal(1))
    with pytest.raises(ValidationError):
        Condition(indicator=Indicator.RSI, symbol="BTC/USDT", period=14, op=Op.LT, value=Decimal(30))


VOCABULARY = str.split(
    "buy sell limit market at @ if when once and or then it its rsi ema ma sma macd signal line price "
    "btc eth sol usdt usd usdc btc/usdt ethbtc $ $100 1 0 -1 1.5k 29k 27,500 1,5 1h 4h 15m 1w 10-day "
    "( ) , ; : . ? < > <= >= = == % crosses above below under over rising falling to of worth for with "
    "the chart on cancel order orders all my what's how doing check watch 50 200 14 0.25 10x short "
    "margin half zero daily hourly period as soon"
)
ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789 $,.;:<>=()[]-+%?!&@#'\"\t\n/_kmh€é𝟘\u2212\u2019"


def _garbage(rng: random.Random) -> str:
    if rng.random() < 0.5:
        return " ".join(rng.choice(VOCABULARY) for _ in range(rng.randint(0, 14)))
    return "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 40)))


def test_garbage_never_raises_anything_but_a_one_line_parse_error() -> None:
    rng = random.Random(20240605)
    accepted = 0
    for _ in range(20_000):
        text = _garbage(rng)
        try:
            command = parse_command(text)
        except ParseError as error:
            assert error.reason and "\n" not in error.reason, text
        else:
            accepted += 1
            assert command_from_json(command_to_json(command)) == command, text
    assert accepted < 2_000  # most garbage is refused, not guessed at
