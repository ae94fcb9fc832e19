"""A user's risk limits and how a change to them is validated.

Here rather than in the risk gate so the database layer (``shared``) can load and store them
without importing a service; ``services.risk_gate.model`` re-exports ``Limits``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from shared.domain.symbols import InvalidSymbol, normalize_symbol


@dataclass(frozen=True, slots=True)
class Limits:
    """One user's limits; the defaults are what a new user gets (stored per user in Postgres)."""

    allowed_symbols: frozenset[str] | None = None
    """None: every symbol the venue lists and trades."""
    max_order_notional: Decimal = Decimal(25_000)
    max_order_quantity: Decimal | None = None
    """Base-asset cap per order; None leaves only the exchange's LOT_SIZE maximum."""
    max_position_notional: Decimal = Decimal(50_000)
    """Per symbol, at the reference price, counting orders in flight."""
    max_total_exposure: Decimal = Decimal(100_000)
    """Sum over symbols of |position + in-flight| at reference prices."""
    max_open_orders: int = 50
    max_intents_per_minute: int = 60
    max_orders_per_minute: int = 30
    price_collar_pct: Decimal = Decimal(5)
    """A limit price (or a market order's expected price) at most this far from the reference."""
    cumulative_collar_pct: Decimal = Decimal(10)
    """How far the user's prices may walk away from the window's first reference."""
    collar_window_s: int = 300
    reference_max_age_s: int = 30
    """An older reference price is stale: fail closed."""
    rule_max_executions: int = 3
    rule_window_s: int = 3600
    daily_loss_limit: Decimal = Decimal(2_500)
    """Loss from the day's equity high-water mark (realised + unrealised) that puts the user in
    reduce-only."""
    duplicate_window_s: int = 60
    approval_ttl_s: int = 300
    approval_max_move_pct: Decimal = Decimal(2)
    """A pending approval expires once the reference moves this far from its price at queueing."""


class InvalidLimit(ValueError):
    """A limit change naming an unknown field or carrying a value outside its sane range."""


LIMIT_NAMES: frozenset[str] = frozenset(f.name for f in dataclasses.fields(Limits))
_PERCENTAGES = frozenset({"price_collar_pct", "cumulative_collar_pct", "approval_max_move_pct"})
_OPTIONAL = frozenset({"allowed_symbols", "max_order_quantity"})
_INTEGERS = frozenset(f.name for f in dataclasses.fields(Limits) if f.type == "int")
_MAX_AMOUNT = Decimal(10) ** 20  # NUMERIC(38, 18): 20 integer digits
_MAX_SECONDS = 7 * 24 * 3600
_MAX_COUNT = 1_000_000


def _decimal(name: str, value: object) -> Decimal:
    # No floats: 0.1 would arrive as 0.1000000000000000055511151231257827.
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str):
        raise InvalidLimit(f"{name}: expected a decimal (string, int or Decimal), was {value!r}")
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise InvalidLimit(f"{name}: {value!r} is not a number") from None
    if not number.is_finite() or number <= 0 or number >= _MAX_AMOUNT:
        raise InvalidLimit(f"{name}: expected a positive amount below 1e20, was {value!r}")
    exponent = number.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -18:
        raise InvalidLimit(f"{name}: at most 18 decimal places, was {value!r}")
    if name in _PERCENTAGES and number > 100:
        raise InvalidLimit(f"{name}: a percentage is at most 100, was {value!r}")
    return number


def _integer(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise InvalidLimit(f"{name}: expected an integer, was {value!r}")
    try:
        number = int(value)
    except ValueError:
        raise InvalidLimit(f"{name}: {value!r} is not an integer") from None
    ceiling = _MAX_SECONDS if name.endswith("_s") else _MAX_COUNT
    if not 0 < number <= ceiling:
        raise InvalidLimit(f"{name}: expected 1..{ceiling}, was {value!r}")
    return number


def _symbols(value: object) -> frozenset[str]:
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise InvalidLimit(f"allowed_symbols: expected a list of symbols or null, was {value!r}")
    try:
        symbols = frozenset(normalize_symbol(str(symbol)) for symbol in value)
    except InvalidSymbol as error:
        raise InvalidLimit(f"allowed_symbols: {error}") from None
    if not symbols:
        raise InvalidLimit("allowed_symbols: empty would block every trade; use the kill switch")
    return symbols


def _value(name: str, value: object) -> Any:
    if value is None:
        if name not in _OPTIONAL:
            raise InvalidLimit(f"{name}: cannot be null")
        return None
    if name == "allowed_symbols":
        return _symbols(value)
    if name in _INTEGERS:
        return _integer(name, value)
    return _decimal(name, value)


def apply_changes(limits: Limits, changes: Mapping[str, object]) -> Limits:
    """Return ``limits`` with ``changes`` applied; raise ``InvalidLimit`` naming the first bad one."""
    unknown = sorted(set(changes) - LIMIT_NAMES)
    if unknown:
        raise InvalidLimit(f"unknown limits: {', '.join(unknown)}")
    return dataclasses.replace(limits, **{name: _value(name, value) for name, value in changes.items()})


__all__ = ["LIMIT_NAMES", "InvalidLimit", "Limits", "apply_changes"]
