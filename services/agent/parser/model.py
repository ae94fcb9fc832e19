"""What the parser returns: frozen, validated models, since standing rules are built from them.

Decimals are exact and travel in JSON as plain decimal strings (``"30000"``, ``"0.25"``), as every
message on the bus does (``shared.messages.base.ExactDecimal``); periods are JSON integers.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, model_validator

from shared.domain.enums import OrderSide, OrderType
from shared.domain.intervals import Interval
from shared.domain.symbols import Symbol
from shared.messages.base import ExactDecimal
from shared.messages.commands import ClientOrderId

MAX_NUMBER = Decimal(10) ** 9
"""Above this an amount, a spend or a price is a typo, not a trade (a billion BTC, a $1e10 order)."""

MAX_PERIOD = 1000
"""Longest indicator period: a 1000-candle lookback is already more history than a rule keeps."""

Bounded = Annotated[ExactDecimal, Field(gt=0, le=MAX_NUMBER)]


class Indicator(StrEnum):
    """What a condition reads; ``macd_signal`` is the MACD's signal line (standard 12/26/9)."""

    PRICE = "price"
    SMA = "sma"
    EMA = "ema"
    RSI = "rsi"
    MACD = "macd"
    MACD_SIGNAL = "macd_signal"


class Op(StrEnum):
    """Level comparisons hold while true; crosses hold on the candle the sign of the gap flips;
    ``rising``/``falling`` compare the last closed candle's value with the one before."""

    LT = "<"
    LE = "<="
    GT = ">"
    GE = ">="
    CROSSES_ABOVE = "crosses_above"
    CROSSES_BELOW = "crosses_below"
    RISING = "rising"
    FALLING = "falling"


class CancelScope(StrEnum):
    ALL = "all"
    SYMBOL = "symbol"
    ORDER = "order"


_PERIODIC = {Indicator.SMA, Indicator.EMA, Indicator.RSI}
_SCALE = {
    Indicator.PRICE: "price",
    Indicator.SMA: "price",
    Indicator.EMA: "price",
    Indicator.RSI: "rsi",
    Indicator.MACD: "macd",
    Indicator.MACD_SIGNAL: "macd",
}
_DIRECTIONAL = {Op.RISING, Op.FALLING}


def label(indicator: Indicator) -> str:
    """Return how traders write ``indicator``: ``RSI``, ``MACD signal``, ``price``."""
    return {Indicator.PRICE: "price", Indicator.MACD_SIGNAL: "MACD signal"}.get(indicator, indicator.upper())


def scale(indicator: Indicator) -> str:
    """Return what ``indicator`` is measured in: only series of one scale can be compared."""
    return _SCALE[indicator]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Series(_Frozen):
    """One series: the last price (no period, no chart) or an indicator over candles of a chart."""

    indicator: Indicator
    symbol: Symbol
    period: int | None = Field(None, ge=1, le=MAX_PERIOD)
    interval: Interval | None = None

    @model_validator(mode="after")
    def _fits_the_indicator(self) -> Series:
        if self.indicator is Indicator.PRICE and (self.period is not None or self.interval is not None):
            raise ValueError("the price has no period and no chart")
        if self.indicator is not Indicator.PRICE and self.interval is None:
            raise ValueError(f"{self.indicator} needs a chart interval")
        if (self.indicator in _PERIODIC) != (self.period is not None):
            raise ValueError(
                f"{self.indicator} {'needs' if self.indicator in _PERIODIC else 'takes no'} period"
            )
        return self

    def series(self) -> Series:
        """Return just the series (a condition's left-hand side without its comparison)."""
        return Series(
            indicator=self.indicator, symbol=self.symbol, period=self.period, interval=self.interval
        )


class Condition(Series):
    """``<series> <op> <value>``; ``value`` is a number, another series on the same scale, or
    nothing for ``rising``/``falling``."""

    op: Op
    value: ExactDecimal | Series | None = None

    @model_validator(mode="after")
    def _value_fits_the_op(self) -> Condition:
        if (self.op in _DIRECTIONAL) != (self.value is None):
            raise ValueError(f"{self.op} {'takes no' if self.op in _DIRECTIONAL else 'needs a'} value")
        if isinstance(self.value, Series):
            if scale(self.value.indicator) != scale(self.indicator):
                raise ValueError(f"{self.indicator} and {self.value.indicator} are on different scales")
            if self.value == self.series():
                raise ValueError("a series compared with itself")
        return self


class OrderCommand(_Frozen):
    """An order now (``order``) or when every condition holds (``conditional_order``)."""

    kind: Literal["order", "conditional_order"]
    side: OrderSide
    symbol: Symbol
    order_type: OrderType
    amount: Bounded | None = Field(None, description="Base-asset quantity.")
    quote_amount: Bounded | None = Field(None, description="Quote-asset amount to spend or receive.")
    limit_price: Bounded | None = None
    conditions: tuple[Condition, ...] = ()

    @model_validator(mode="after")
    def _coherent(self) -> OrderCommand:
        if (self.amount is None) == (self.quote_amount is None):
            raise ValueError("expected exactly one of amount or quote_amount")
        if (self.order_type is OrderType.LIMIT) != (self.limit_price is not None):
            raise ValueError("a limit order, and only a limit order, has a limit_price")
        if self.order_type is OrderType.LIMIT and self.quote_amount is not None:
            raise ValueError("a limit order takes a base amount")  # as the executor requires
        if (self.kind == "conditional_order") != bool(self.conditions):
            raise ValueError("a conditional_order, and only one, has conditions")
        return self


class CancelCommand(_Frozen):
    """Cancel every open order, those of one symbol, or one order by its client order id."""

    kind: Literal["cancel"] = "cancel"
    scope: CancelScope
    symbol: Symbol | None = None
    order_id: ClientOrderId | None = None

    @model_validator(mode="after")
    def _scope_has_its_target(self) -> CancelCommand:
        if (self.scope is CancelScope.SYMBOL) != (self.symbol is not None):
            raise ValueError("a symbol scope, and only one, names a symbol")
        if (self.scope is CancelScope.ORDER) != (self.order_id is not None):
            raise ValueError("an order scope, and only one, names an order id")
        return self


class QueryCommand(_Frozen):
    """A question the chat answers from market data: today only the price of a symbol."""

    kind: Literal["query"] = "query"
    topic: Literal["price"] = "price"
    symbol: Symbol


ParsedCommand = Annotated[OrderCommand | CancelCommand | QueryCommand, Field(discriminator="kind")]

_ADAPTER: TypeAdapter[OrderCommand | CancelCommand | QueryCommand] = TypeAdapter(ParsedCommand)


def command_to_json(command: OrderCommand | CancelCommand | QueryCommand, indent: int | None = None) -> str:
    """Return the JSON of ``command``: every field present, decimals as strings."""
    return _ADAPTER.dump_json(command, indent=indent).decode()


def command_from_json(data: str | bytes) -> OrderCommand | CancelCommand | QueryCommand:
    """Return the command ``data`` holds (a rule stored as JSON reads back to the same model)."""
    return _ADAPTER.validate_json(data)
