"""A chart the copilot hands the web app to draw: candles, indicator overlays and trade markers.

It travels inside a chat reply (the agent's ``chart`` tool makes it), so it is frozen, strict
and bounded like every message. Times are epoch milliseconds (UTC), as the gateway's candles
are; prices and volumes exact decimal strings; indicator values finite floats (analytics, see
``services.agent.indicators.candles``), absent while an indicator warms up.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.domain.enums import OrderSide
from shared.domain.intervals import Interval
from shared.domain.symbols import Symbol
from shared.messages.base import ExactDecimal

MAX_CHART_CANDLES = 1000
MAX_CHART_OVERLAYS = 5
MAX_CHART_MARKERS = 500

EpochMs = Annotated[int, Field(ge=0, description="Epoch milliseconds, UTC.")]
FiniteFloat = Annotated[float, Field(allow_inf_nan=False)]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ChartCandle(_Frozen):
    t: EpochMs = Field(description="Open time.")
    o: ExactDecimal
    h: ExactDecimal
    l: ExactDecimal  # noqa: E741 - the chart libraries' own name for the low
    c: ExactDecimal
    v: ExactDecimal


class ChartPoint(_Frozen):
    t: EpochMs = Field(description="Open time of the candle the value was computed at the close of.")
    v: FiniteFloat


class OverlayLine(_Frozen):
    """One output of an indicator: ``sma``, or MACD's ``macd``/``signal``/``histogram``."""

    output: str = Field(max_length=32)
    points: tuple[ChartPoint, ...] = Field(max_length=MAX_CHART_CANDLES)


class ChartOverlay(_Frozen):
    indicator: str = Field(max_length=32, examples=["rsi"])
    params: dict[str, int | float] = Field(examples=[{"period": 14}])
    pane: Literal["price", "separate"] = Field(
        description="``price``: drawn over the candles (same scale); ``separate``: its own pane below."
    )
    lines: tuple[OverlayLine, ...] = Field(min_length=1, max_length=8)


class ChartMarker(_Frozen):
    """A fill of the user (``label`` says so) or one of their orders still open, at its price."""

    t: EpochMs
    price: ExactDecimal
    side: OrderSide
    label: str = Field(max_length=80)


class ChartSpec(_Frozen):
    """Everything the web app needs to draw one chart; ``version`` changes with its shape."""

    kind: Literal["chart"] = "chart"
    version: int = 1
    symbol: Symbol
    interval: Interval
    candles: tuple[ChartCandle, ...] = Field(max_length=MAX_CHART_CANDLES)
    overlays: tuple[ChartOverlay, ...] = Field((), max_length=MAX_CHART_OVERLAYS)
    markers: tuple[ChartMarker, ...] = Field((), max_length=MAX_CHART_MARKERS)


__all__ = [
    "MAX_CHART_CANDLES",
    "MAX_CHART_MARKERS",
    "MAX_CHART_OVERLAYS",
    "ChartCandle",
    "ChartMarker",
    "ChartOverlay",
    "ChartPoint",
    "ChartSpec",
    "OverlayLine",
]
