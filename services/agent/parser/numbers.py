"""Amounts and prices from number tokens: ``k``/``m`` multipliers, exactness, sanity bounds."""

from __future__ import annotations

from decimal import Decimal

from services.agent.parser.errors import ParseError
from services.agent.parser.lexer import Token
from services.agent.parser.model import MAX_NUMBER
from shared.messages.base import plain_decimal

MULTIPLIERS = {"k": Decimal(1000), "m": Decimal(1_000_000), "mm": Decimal(1_000_000)}
MAX_DECIMALS = 18
"""What NUMERIC(38, 18) stores; more digits would be silently rounded somewhere downstream."""


def is_numeric(token: Token) -> bool:
    """True when ``token`` is a number the grammar reads as a quantity (bare, ``$`` or ``k``/``m``)."""
    return token.kind == "number" and (not token.unit or token.unit in MULTIPLIERS)


def value_of(token: Token) -> Decimal:
    """Return the exact value of ``token`` with its multiplier applied, in plain form (``1500``)."""
    assert token.number is not None, token
    if token.unit and token.unit not in MULTIPLIERS:
        raise ParseError(f"cannot read {token.raw!r} as a number")
    text = plain_decimal(token.number * MULTIPLIERS.get(token.unit, Decimal(1)))
    if len(text.partition(".")[2]) > MAX_DECIMALS:
        raise ParseError(f"{token.raw} has more than {MAX_DECIMALS} decimal places")
    if len(text.replace("-", "").replace(".", "")) > 38:
        raise ParseError(f"{token.raw} has more digits than any amount or price")
    return Decimal(text)


def positive(token: Token, what: str) -> Decimal:
    """Return the value of ``token`` if it is a sane positive ``what`` (amount, price); else refuse."""
    value = value_of(token)
    if value < 0:
        raise ParseError(f"the {what} must be positive, was {token.raw}")
    if value == 0:
        raise ParseError(f"the {what} must be more than zero, was {token.raw}")
    if value > MAX_NUMBER:
        raise ParseError(f"the {what} {token.raw} is absurd: at most {MAX_NUMBER:,} is accepted")
    return value
