"""Conditions: ``<series> <comparison> <number | series>`` or ``<series> is rising/falling``.

``drops below 30`` is the level ``< 30`` (true while below); only ``crosses below`` is the cross.
A comparison that does not say from which side (``hits``, ``reaches``, ``=``) is refused: a rule
that fires on the wrong side of a level is worse than none.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal

from services.agent.parser import assets
from services.agent.parser.charts import take_charts
from services.agent.parser.errors import ParseError
from services.agent.parser.lexer import Token
from services.agent.parser.model import MAX_NUMBER, Condition, Indicator, Op, Series, label, scale
from services.agent.parser.numbers import is_numeric, value_of
from services.agent.parser.series import UNSUPPORTED, SeriesDraft, read_series
from shared.domain.intervals import Interval

DEFAULT_INTERVAL = Interval.D1
"""The chart when a command names none: ``the 50 EMA crosses the 200 EMA`` is read on daily candles."""

DEFAULT_RSI_PERIOD = 14

_DOWN = {"drops", "drop", "dips", "dip", "falls", "fall", "sinks", "sink", "declines", "decline", "slides"}
_UP = {"rises", "rise", "climbs", "climb", "jumps", "jump", "recovers", "recover", "rallies", "rally"}
_CROSS = {"crosses", "cross", "crossed", "crossing"}
_CROSS_UP = {"above", "over", "up", "upward", "upwards"}
_CROSS_DOWN = {"below", "under", "down", "downward", "downwards", "beneath"}
_AMBIGUOUS = {"hits", "hit", "reaches", "reach", "touches", "touch", "equals", "equal", "tests", "at"}
_VERBS = {
    "is",
    "are",
    "goes",
    "go",
    "gets",
    "get",
    "moves",
    "move",
    "trades",
    "trade",
    "stays",
    "stay",
    "remains",
    "remain",
    "closes",
    "close",
    "breaks",
    "break",
    "still",
    "now",
    "currently",
    "has",
    "been",
    "back",
    *_DOWN,
    *_UP,
}
_PHRASES: list[tuple[tuple[str, ...], Op]] = sorted(
    [
        (("at", "or", "below"), Op.LE),
        (("at", "or", "under"), Op.LE),
        (("at", "or", "above"), Op.GE),
        (("at", "or", "over"), Op.GE),
        (("no", "more", "than"), Op.LE),
        (("no", "higher", "than"), Op.LE),
        (("no", "less", "than"), Op.GE),
        (("no", "lower", "than"), Op.GE),
        (("at", "most"), Op.LE),
        (("at", "least"), Op.GE),
        (("less", "than"), Op.LT),
        (("lower", "than"), Op.LT),
        (("more", "than"), Op.GT),
        (("greater", "than"), Op.GT),
        (("higher", "than"), Op.GT),
        (("below",), Op.LT),
        (("under",), Op.LT),
        (("beneath",), Op.LT),
        (("above",), Op.GT),
        (("over",), Op.GT),
        (("rising",), Op.RISING),
        (("increasing",), Op.RISING),
        (("falling",), Op.FALLING),
        (("declining",), Op.FALLING),
        (("decreasing",), Op.FALLING),
        (("dropping",), Op.FALLING),
        *(((verb, "up"), Op.RISING) for verb in ("goes", "going", "turns", "turning", "trending", "sloping")),
        *(
            ((verb, "down"), Op.FALLING)
            for verb in ("goes", "going", "turns", "turning", "trending", "sloping")
        ),
        *(((verb, "up", "to"), Op.GE) for verb in ("goes", "go", "moves", "move")),
        *(((verb, "down", "to"), Op.LE) for verb in ("goes", "go", "moves", "move", "comes", "come")),
    ],
    key=lambda phrase: -len(phrase[0]),
)
_PHRASES_BY_FIRST: dict[str, list[tuple[tuple[str, ...], Op]]] = {}
"""The phrases by their first word, longest first: a word is compared with its few phrases only."""
for _phrase in _PHRASES:
    _PHRASES_BY_FIRST.setdefault(_phrase[0][0], []).append(_phrase)
_MOVES = _DOWN | _UP
_OPS = {"<": Op.LT, "<=": Op.LE, ">": Op.GT, ">=": Op.GE}
_SIDES = "say 'above' or 'below' (or 'crosses above'/'crosses below')"


@dataclass(frozen=True, slots=True)
class ConditionDraft:
    """A condition as written; ``charts`` are those its text named (``on the 1h chart``)."""

    subject: SeriesDraft
    op: Op
    value: Decimal | SeriesDraft | None
    charts: tuple[Interval, ...] = ()


def _comparator_at(tokens: list[Token], i: int) -> tuple[Op, int] | None:
    token = tokens[i]
    if token.kind == "op":
        if token.text not in _OPS:
            raise ParseError(f"{token.raw!r} is never exactly met by a price: {_SIDES}")
        return _OPS[token.text], i + 1
    if token.kind == "punct" and token.text == "%":
        raise ParseError("moves in percent are not supported offline: give a level, e.g. 'below 28,000'")
    if token.kind != "word":
        return None
    words = [t.text if t.kind == "word" else "" for t in tokens[i : i + 3]]
    for phrase, op in _PHRASES_BY_FIRST.get(token.text, ()):
        if tuple(words[: len(phrase)]) == phrase:
            return op, i + len(phrase)
    following = words[1] if len(words) > 1 else None
    last = i == len(tokens) - 1
    if token.text in _CROSS:
        if following in _CROSS_UP or following in _CROSS_DOWN:
            return (Op.CROSSES_ABOVE if following in _CROSS_UP else Op.CROSSES_BELOW), i + 2
        raise ParseError(
            f"{token.raw!r} does not say in which direction: say 'crosses above' or 'crosses below'"
        )
    if token.text in _MOVES:
        if following == "to":
            return (Op.LE if token.text in _DOWN else Op.GE), i + 2
        if last:
            return (Op.FALLING if token.text in _DOWN else Op.RISING), i + 1
        return None
    if token.text == "between":
        raise ParseError("ranges are not supported: write two conditions joined by 'and'")
    if token.text in _AMBIGUOUS:
        raise ParseError(f"{token.raw!r} does not say from which side: {_SIDES}")
    return None


def _value(tokens: list[Token], text: str) -> Decimal | SeriesDraft:
    if tokens and tokens[0].is_word("zero"):
        tokens = [Token("number", "0", "0", number=Decimal(0)), *tokens[1:]]
    if tokens and tokens[0].kind == "number" and (is_numeric(tokens[0]) or tokens[0].dollar):
        rest = [
            t for t in tokens[1:] if not (t.kind == "word" and assets.quote(t.text) in assets.STABLECOINS)
        ]
        if rest:
            raise ParseError(f"did not understand {' '.join(t.raw for t in rest)!r} in {text!r}")
        return value_of(tokens[0])
    if not tokens:
        raise ParseError(f"{text!r} compares with nothing: give a level or an indicator")
    series = read_series(tokens)
    if series.is_pronoun:
        raise ParseError(f"{text!r}: 'it' on the right of a comparison is unclear")
    return series


def read_condition(tokens: list[Token]) -> ConditionDraft:
    """Return the condition ``tokens`` state (one part of an ``and``)."""
    text = " ".join(t.raw for t in tokens)
    for token in tokens:
        if token.kind == "word" and token.text in UNSUPPORTED:
            raise ParseError(
                f"{token.raw} is not supported offline: conditions use price, MA, EMA, RSI or MACD"
            )
    kept, charts = take_charts(tokens)
    for start in range(len(kept)):
        found = _comparator_at(kept, start)
        if found is not None:
            break
    else:
        raise ParseError(
            f"{text!r} compares nothing: say e.g. 'below 30,000', 'crosses above the 200 EMA' or 'is rising'"
        )
    op, end = found
    lhs = kept[:start]
    while lhs and lhs[-1].kind == "word" and lhs[-1].text in _VERBS:
        lhs.pop()
    subject = read_series(lhs) if lhs else SeriesDraft(None)
    rhs = kept[end:]
    if op in (Op.RISING, Op.FALLING):
        if rhs:
            raise ParseError(f"did not understand {' '.join(t.raw for t in rhs)!r} after {op} in {text!r}")
        return ConditionDraft(subject, op, None, tuple(charts))
    return ConditionDraft(subject, op, _value(rhs, text), tuple(charts))


def _chart_of(series: SeriesDraft, part: tuple[Interval, ...], command: set[Interval]) -> Interval:
    if series.interval is not None:
        return series.interval
    if len(set(part)) == 1:
        return part[0]
    if len(set(part)) > 1:
        raise ParseError(
            f"one condition names two charts, {' and '.join(sorted(set(part)))}: which is whose?"
        )
    if len(command) > 1:
        charts = " and ".join(sorted(command))
        raise ParseError(
            f"which chart for {label(series.indicator or Indicator.PRICE)}? the command names {charts}"
        )
    return next(iter(command), DEFAULT_INTERVAL)


def _series(
    draft: SeriesDraft, symbol: tuple[str, str], part: tuple[Interval, ...], charts: set[Interval]
) -> Series:
    indicator = draft.indicator or Indicator.PRICE
    base = draft.base or symbol[0]
    quote = draft.quote or (symbol[1] if symbol[1] != base else assets.DEFAULT_QUOTE)
    period = draft.period
    if indicator is Indicator.PRICE:
        if period is not None:
            raise ParseError(f"the price has no period (was {period}): did you mean the {period}-day MA?")
        return Series(indicator=indicator, symbol=f"{base}/{quote}")
    if indicator in (Indicator.SMA, Indicator.EMA) and period is None:
        name = "MA" if indicator is Indicator.SMA else "EMA"
        raise ParseError(f"which {name}? give its period, e.g. 'the 20-day {name}' or '{name}(50)'")
    if indicator in (Indicator.MACD, Indicator.MACD_SIGNAL) and period is not None:
        raise ParseError("MACD uses the standard 12/26/9 settings; its periods cannot be set here")
    if indicator is Indicator.RSI and period is None:
        period = DEFAULT_RSI_PERIOD
    interval = _chart_of(draft, part, charts)
    return Series(indicator=indicator, symbol=f"{base}/{quote}", period=period, interval=interval)


def _check_level(indicator: Indicator, value: Decimal) -> None:
    if indicator is Indicator.RSI and not 0 <= value <= 100:
        raise ParseError(f"RSI runs from 0 to 100, was {value}")
    if indicator in (Indicator.MACD, Indicator.MACD_SIGNAL):
        if abs(value) > MAX_NUMBER:
            raise ParseError(f"the MACD level {value} is absurd")
    elif indicator is not Indicator.RSI and value <= 0:
        raise ParseError(f"a price level must be above zero, was {value}")
    elif value > MAX_NUMBER:
        raise ParseError(f"the price level {value} is absurd: at most {MAX_NUMBER:,} is accepted")


def build_conditions(
    drafts: list[ConditionDraft], symbol: tuple[str, str], charts: set[Interval]
) -> tuple[Condition, ...]:
    """Return the conditions, charts and periods filled in; ``charts`` are all the command named."""
    conditions: list[Condition] = []
    for draft in drafts:
        subject = _series(draft.subject, symbol, draft.charts, charts)
        value: Decimal | Series | None = None
        if isinstance(draft.value, SeriesDraft):
            value = _series(draft.value, symbol, draft.charts, charts)
            if scale(subject.indicator) != scale(value.indicator):
                raise ParseError(
                    f"{label(subject.indicator)} and {label(value.indicator)} are on different scales"
                )
            if value == subject:
                raise ParseError(f"the condition compares {label(subject.indicator)} with itself")
        elif draft.value is not None:
            _check_level(subject.indicator, draft.value)
            value = draft.value
        conditions.append(Condition(**subject.model_dump(), op=draft.op, value=value))
    return tuple(conditions)


def resolve(draft: ConditionDraft, last: SeriesDraft | None) -> ConditionDraft:
    """Return ``draft`` with ``it`` (or no subject) read as the series named last, else the price."""
    if not draft.subject.is_pronoun:
        return draft
    return replace(draft, subject=last or SeriesDraft(Indicator.PRICE))
