"""Rules in words, the way a trader reads them back: "when BTC/USDT price < 30000, buy 0.1 BTC at market"."""

from __future__ import annotations

from services.agent.parser.model import Condition, OrderCommand, Series, label
from shared.domain.symbols import split_symbol


def describe_series(series: Series) -> str:
    text = label(series.indicator)
    if series.period is not None:
        text += f"({series.period})"
    if series.interval is not None:
        text += f" on {series.interval}"
    return f"{series.symbol} {text}"


def describe_condition(condition: Condition) -> str:
    value = condition.value
    shown = "" if value is None else f" {describe_series(value) if isinstance(value, Series) else value}"
    return f"{describe_series(condition)} {condition.op}{shown}"


def describe_order(command: OrderCommand) -> str:
    base, quote = split_symbol(command.symbol)
    amount = (
        f"{command.amount} {base}"
        if command.amount is not None
        else f"{command.quote_amount} {quote} of {base}"
    )
    price = f" at {command.limit_price}" if command.limit_price is not None else " at market"
    return f"{command.side} {amount}{price}"


def describe_rule(command: OrderCommand) -> str:
    """``when <conditions>, <order>``: what a standing rule will do."""
    conditions = " and ".join(describe_condition(c) for c in command.conditions)
    return f"when {conditions}, {describe_order(command)}"


__all__ = ["describe_condition", "describe_order", "describe_rule", "describe_series"]
