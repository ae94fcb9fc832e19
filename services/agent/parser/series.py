"""One side of a condition: ``the price``, ``RSI(14)``, ``the 10-day MA``, ``50 EMA``, ``MACD``.

``MA`` means the simple moving average, as on every charting site. A draft keeps what the text
said and nothing more; the command's chart and the order's symbol fill the gaps later.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from services.agent.parser import assets
from services.agent.parser.charts import COMPACT_UNITS, LONG_UNITS, interval
from services.agent.parser.errors import ParseError
from services.agent.parser.lexer import Token
from services.agent.parser.model import MAX_PERIOD, Indicator, label
from shared.domain.intervals import Interval

_WORDS = {
    "price": Indicator.PRICE,
    "ma": Indicator.SMA,
    "sma": Indicator.SMA,
    "ema": Indicator.EMA,
    "rsi": Indicator.RSI,
    "macd": Indicator.MACD,
    "signal": Indicator.MACD_SIGNAL,
}
_PHRASES: list[tuple[tuple[str, ...], Indicator]] = [
    (("simple", "moving", "average"), Indicator.SMA),
    (("exponential", "moving", "average"), Indicator.EMA),
    (("relative", "strength", "index"), Indicator.RSI),
    (("moving", "average"), Indicator.SMA),
]
_GLUED = re.compile(r"^(ma|sma|ema|rsi)(\d{1,4})$")
_FILLERS = {"the", "a", "an", "of", "its", "current", "value", "level", "line", "closing", "close", "last"}
_PERIOD_UNITS = {"period", "periods", "p", "length", "bar", "bars"}
_UNIT_WORDS = set(LONG_UNITS) | _PERIOD_UNITS
_ALL_UNITS = set(COMPACT_UNITS) | _UNIT_WORDS
PRONOUNS = {"it", "that", "this"}
UNSUPPORTED = {
    "bollinger",
    "bb",
    "bands",
    "vwap",
    "stoch",
    "stochastic",
    "volume",
    "atr",
    "adx",
    "obv",
    "ichimoku",
    "fibonacci",
    "fib",
    "wma",
    "hma",
    "cci",
    "mfi",
}


@dataclass(frozen=True, slots=True)
class SeriesDraft:
    """A series as written: None where the text said nothing (the pronoun ``it`` is all None)."""

    indicator: Indicator | None
    base: str | None = None
    quote: str | None = None
    period: int | None = None
    interval: Interval | None = None

    @property
    def is_pronoun(self) -> bool:
        return self == SeriesDraft(None)


def _period(token: Token, raw: str) -> int:
    assert token.number is not None
    if token.number != token.number.to_integral_value() or not 1 <= token.number <= MAX_PERIOD:
        raise ParseError(f"a period is a whole number of candles from 1 to {MAX_PERIOD}, was {raw}")
    return int(token.number)


class _Reader:
    """Collects the parts of one series, refusing a second of anything."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.indicator: Indicator | None = None
        self.base: str | None = None
        self.quote: str | None = None
        self.period: int | None = None
        self.interval: Interval | None = None
        self.pronoun = False

    def set_indicator(self, indicator: Indicator) -> None:
        if self.indicator is Indicator.MACD and indicator is Indicator.MACD_SIGNAL:
            self.indicator = indicator  # "the MACD signal line"
        elif self.indicator is not None and self.indicator is not indicator:
            raise ParseError(
                f"{self.text!r} names {label(self.indicator)} and {label(indicator)}: one per side"
            )
        else:
            self.indicator = indicator

    def set_period(self, period: int) -> None:
        if self.period is not None and self.period != period:
            raise ParseError(f"{self.text!r} names two periods, {self.period} and {period}")
        self.period = period

    def set_interval(self, chart: Interval) -> None:
        if self.interval is not None and self.interval is not chart:
            raise ParseError(f"{self.text!r} names two charts, {self.interval} and {chart}")
        self.interval = chart

    def set_asset(self, base: str, quote: str | None) -> None:
        if self.base is not None and self.base != base:
            raise ParseError(f"{self.text!r} names two assets, {self.base} and {base}")
        self.base, self.quote = base, quote or self.quote


def _phrase_at(words: list[str], i: int) -> tuple[Indicator, int] | None:
    for phrase, indicator in _PHRASES:
        if tuple(words[i : i + len(phrase)]) == phrase:
            return indicator, i + len(phrase)
    return None


def read_series(tokens: list[Token]) -> SeriesDraft:
    """Return the series ``tokens`` describe; raise ``ParseError`` on anything else."""
    text = " ".join(t.raw for t in tokens)
    reader = _Reader(text)
    words = [t.text if t.kind == "word" else "" for t in tokens]
    i = 0
    while i < len(tokens):
        token = tokens[i]
        phrase = _phrase_at(words, i)
        if phrase is not None:
            reader.set_indicator(phrase[0])
            i = phrase[1]
            continue
        i += 1
        if token.kind == "punct" and token.text in "(),":
            continue
        if token.kind == "number":
            _read_number(reader, token, tokens[i] if i < len(tokens) else None)
            unit_word = i < len(tokens) and tokens[i].kind == "word" and tokens[i].text in _UNIT_WORDS
            if not token.unit and unit_word:
                i += 1  # "50 day", "14 period": the unit word was read with the number
            continue
        if token.kind != "word":
            raise ParseError(f"did not understand {token.raw!r} in {text!r}")
        _read_word(reader, token)
    if reader.pronoun:
        if (reader.indicator, reader.base, reader.period, reader.interval) != (None, None, None, None):
            raise ParseError(f"did not understand {text!r}: 'it' and more")
        return SeriesDraft(None)
    if reader.indicator is None and reader.base is None:
        raise ParseError(f"{text!r} names no price or indicator" if text else "a condition compares nothing")
    return SeriesDraft(
        indicator=reader.indicator or Indicator.PRICE,
        base=reader.base,
        quote=reader.quote,
        period=reader.period,
        interval=reader.interval,
    )


def _read_number(reader: _Reader, token: Token, after: Token | None) -> None:
    assert token.number is not None
    if token.dollar or (token.unit and token.unit not in _ALL_UNITS):
        raise ParseError(f"did not understand {token.raw!r} in {reader.text!r}")
    if token.unit in COMPACT_UNITS:
        reader.set_interval(interval(token.number, COMPACT_UNITS[token.unit], token.raw))
        return
    reader.set_period(_period(token, token.raw))
    unit = token.unit or (after.text if after is not None and after.kind == "word" else "")
    if unit in LONG_UNITS:  # "10-day": ten daily candles
        reader.set_interval(interval(Decimal(1), LONG_UNITS[unit], f"1 {unit}"))


def _read_word(reader: _Reader, token: Token) -> None:
    word = token.text
    glued = _GLUED.match(word)
    if word in _WORDS:
        reader.set_indicator(_WORDS[word])
    elif glued is not None:  # "rsi14", "ema50"
        reader.set_indicator(_WORDS[glued[1]])
        reader.set_period(_period(Token("number", glued[2], glued[2], number=Decimal(glued[2])), token.raw))
    elif (ticker := assets.asset(word)) is not None:
        reader.set_asset(ticker, None)
    elif (pair := assets.pair(word)) is not None:
        reader.set_asset(*pair)
    elif word in PRONOUNS:
        reader.pronoun = True
    elif word in UNSUPPORTED:
        raise ParseError(f"{token.raw} is not supported offline: conditions use price, MA, EMA, RSI or MACD")
    elif word not in _FILLERS:
        raise ParseError(f"did not understand {token.raw!r} in {reader.text!r}")
