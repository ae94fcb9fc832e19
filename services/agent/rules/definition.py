"""A stored rule, validated and compiled: what the engine indexes and what a firing trades.

Validation runs when a rule is created (``check``) and again whenever the engine loads it, since
users may write rules through the Data API: a row that does not hold a valid conditional order
is refused with the reason, never guessed at.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from services.agent.parser.model import OrderCommand, Series
from services.agent.rules.conditions import (
    CandleCondition,
    PriceCondition,
    RuleDefinitionError,
    compile_condition,
)
from shared.db.repositories.rules import RuleRecord


@dataclass(frozen=True, slots=True)
class CompiledRule:
    id: uuid.UUID
    user_id: uuid.UUID
    venue: str
    command: OrderCommand
    fire_once: bool
    fires: int
    prices: tuple[PriceCondition, ...]
    candles: tuple[CandleCondition, ...]

    def after_firing(self, seq: int) -> CompiledRule:
        # Spelled out: dataclasses.replace costs several times more, once per firing of a repeating rule.
        return CompiledRule(
            self.id, self.user_id, self.venue, self.command, self.fire_once, seq, self.prices, self.candles
        )


def check(definition: Any) -> OrderCommand:
    """Return the conditional order ``definition`` holds; raise ``RuleDefinitionError`` saying why not."""
    try:
        command = OrderCommand.model_validate(definition)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "definition"
        raise RuleDefinitionError(f"invalid rule definition at {where}: {first['msg']}") from None
    if command.kind != "conditional_order":
        raise RuleDefinitionError("a rule needs conditions: this is an order to place now")
    for condition in command.conditions:
        compile_condition("paper", condition)
    return command


def check_markets(command: OrderCommand, symbols: Collection[str]) -> None:
    """Raise ``RuleDefinitionError`` when the rule trades or watches a market not in ``symbols``:
    the engine would never see its prices, so it could never fire."""
    markets = {command.symbol} | {c.symbol for c in command.conditions}
    markets |= {c.value.symbol for c in command.conditions if isinstance(c.value, Series)}
    unknown = sorted(markets - set(symbols))
    if unknown:
        raise RuleDefinitionError(
            f"{', '.join(unknown)} not traded here; known: {', '.join(sorted(symbols))}"
        )


def compile_rule(record: RuleRecord) -> CompiledRule:
    """Return the engine's form of ``record``; raise ``RuleDefinitionError`` for a bad definition."""
    command = check(record.definition)
    if command.symbol != record.symbol:
        raise RuleDefinitionError(f"the rule's symbol {record.symbol} is not its order's {command.symbol}")
    compiled = [compile_condition(record.venue, c) for c in command.conditions]
    return CompiledRule(
        id=record.id,
        user_id=record.user_id,
        venue=record.venue,
        command=command,
        fire_once=record.fire_once,
        fires=record.fires,
        prices=tuple(c for c in compiled if isinstance(c, PriceCondition)),
        candles=tuple(c for c in compiled if isinstance(c, CandleCondition)),
    )


__all__ = ["CompiledRule", "RuleDefinitionError", "check", "check_markets", "compile_rule"]
