"""Indicators by name, with checked parameters: what the parser and the rules engine refer to.

``IndicatorSpec.of("rsi", period=14)`` fills defaults and refuses unknown names, unknown
parameters and bad values at once, with a message fit to show a user; the spec then computes
over arrays (``compute``) or builds a streaming state (``stream``), so one rule definition
serves the backtester and the live engine alike.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from services.agent.indicators import incremental, series
from services.agent.indicators.candles import CandleArrays, session_starts
from services.agent.indicators.params import check_period
from services.agent.indicators.types import FloatArray

Params = Mapping[str, int | float]


@dataclass(frozen=True, slots=True)
class Definition:
    """One indicator: its parameters with defaults, its named outputs, and how to compute it."""

    name: str
    defaults: tuple[tuple[str, int | float], ...]
    outputs: tuple[str, ...]
    compute: Callable[[CandleArrays, Params], tuple[FloatArray, ...]]
    stream: Callable[[Params], incremental.BarIndicator]


def _int(params: Params, name: str) -> int:
    value = params[name]
    if not isinstance(value, int):
        raise ValueError(f"expected {name} to be an integer, was {value!r}")
    return value


DEFINITIONS: dict[str, Definition] = {
    d.name: d
    for d in (
        Definition(
            "sma",
            (("period", 20),),
            ("sma",),
            lambda a, p: (series.sma(a.close, _int(p, "period")),),
            lambda p: incremental.SmaState(_int(p, "period")),
        ),
        Definition(
            "ema",
            (("period", 20),),
            ("ema",),
            lambda a, p: (series.ema(a.close, _int(p, "period")),),
            lambda p: incremental.EmaState(_int(p, "period")),
        ),
        Definition(
            "rsi",
            (("period", 14),),
            ("rsi",),
            lambda a, p: (series.rsi(a.close, _int(p, "period")),),
            lambda p: incremental.RsiState(_int(p, "period")),
        ),
        Definition(
            "macd",
            (("fast", 12), ("slow", 26), ("signal", 9)),
            ("macd", "signal", "histogram"),
            lambda a, p: tuple(series.macd(a.close, _int(p, "fast"), _int(p, "slow"), _int(p, "signal"))),
            lambda p: incremental.MacdState(_int(p, "fast"), _int(p, "slow"), _int(p, "signal")),
        ),
        Definition(
            "bollinger",
            (("period", 20), ("k", 2.0)),
            ("middle", "upper", "lower"),
            lambda a, p: tuple(series.bollinger(a.close, _int(p, "period"), float(p["k"]))),
            lambda p: incremental.BollingerState(_int(p, "period"), float(p["k"])),
        ),
        Definition(
            "atr",
            (("period", 14),),
            ("atr",),
            lambda a, p: (series.atr(a.high, a.low, a.close, _int(p, "period")),),
            lambda p: incremental.AtrState(_int(p, "period")),
        ),
        Definition(
            "vwap",
            (("session_minutes", 1440),),
            ("vwap",),
            lambda a, p: (
                series.vwap(a.high, a.low, a.close, a.volume, session_starts(a.open_time_ms, _session_ms(p))),
            ),
            lambda p: incremental.VwapState(_session_ms(p)),
        ),
    )
}
"""Every indicator the parser and the rules may name. VWAP resets each UTC day by default."""


def _session_ms(params: Params) -> int:
    return check_period(params["session_minutes"], "session_minutes") * 60_000


@dataclass(frozen=True, slots=True)
class IndicatorSpec:
    """A named indicator with all its parameters, checked on construction.

    Hashable: rules that name the same indicator can share one streaming state.
    """

    name: str
    params: tuple[tuple[str, int | float], ...] = ()

    def __post_init__(self) -> None:
        definition = DEFINITIONS.get(self.name)
        if definition is None:
            raise ValueError(f"unknown indicator {self.name!r}; known: {', '.join(sorted(DEFINITIONS))}")
        expected = [name for name, _ in definition.defaults]
        if [name for name, _ in self.params] != expected:
            raise ValueError(f"expected the parameters {expected} of {self.name}, had {dict(self.params)}")
        definition.stream(dict(self.params))  # the states' constructors hold every parameter rule

    @classmethod
    def of(cls, name: str, **params: int | float) -> IndicatorSpec:
        """Return the spec of ``name`` with ``params`` over its defaults, e.g. ``of("rsi", period=7)``."""
        key = name.strip().lower()
        definition = DEFINITIONS.get(key)
        if definition is None:
            raise ValueError(f"unknown indicator {name!r}; known: {', '.join(sorted(DEFINITIONS))}")
        defaults = dict(definition.defaults)
        unknown = sorted(set(params) - set(defaults))
        if unknown:
            raise ValueError(f"unknown parameter(s) {unknown} for {key}; it takes {sorted(defaults)}")
        filled = {**defaults, **params}
        return cls(key, tuple((name, filled[name]) for name in defaults))

    @property
    def definition(self) -> Definition:
        return DEFINITIONS[self.name]

    @property
    def outputs(self) -> tuple[str, ...]:
        return self.definition.outputs

    @property
    def label(self) -> str:
        """How an answer names it: ``rsi(14)``, ``macd(12, 26, 9)``, ``bollinger(20, 2)``."""
        return f"{self.name}({', '.join(f'{value:g}' for _, value in self.params)})"

    def compute(self, candles: CandleArrays) -> dict[str, FloatArray]:
        """Every output over the whole array, by output name."""
        values = self.definition.compute(candles, dict(self.params))
        return dict(zip(self.outputs, values, strict=True))

    def stream(self) -> incremental.BarIndicator:
        """A fresh streaming state; its ``push`` answers the outputs in ``outputs`` order."""
        return self.definition.stream(dict(self.params))


__all__ = ["DEFINITIONS", "Definition", "IndicatorSpec"]
