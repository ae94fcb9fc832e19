"""Chart intervals: ``on the 1h chart``, ``4h``, ``hourly``, ``the 4-hour chart``, ``daily``.

Compact spellings (``1h``, ``15m``, ``1d``) always name a chart. Long ones (``10-day``, ``50 hour``)
name a chart only before ``chart``/``candles``; before an indicator they are a period counted in
candles of that length: ``the 10-day MA`` is an SMA(10) of daily candles.
"""

from __future__ import annotations

from decimal import Decimal

from services.agent.parser.errors import ParseError
from services.agent.parser.lexer import Token
from shared.domain.intervals import Interval, parse_interval

COMPACT_UNITS = {"m": "m", "min": "m", "mins": "m", "h": "h", "hr": "h", "hrs": "h", "d": "d"}
LONG_UNITS = {"minute": "m", "minutes": "m", "hour": "h", "hours": "h", "day": "d", "days": "d"}
WEEK_UNITS = {"w", "wk", "week", "weeks", "weekly", "month", "months", "monthly"}
CHART_WORDS = {"chart", "charts", "candle", "candles", "candlestick", "candlesticks", "timeframe", "tf"}
ADJECTIVES = {"hourly": Interval.H1, "daily": Interval.D1}
_SUPPORTED = ", ".join(i.value for i in Interval)


def interval(count: Decimal, letter: str, raw: str) -> Interval:
    """Return the interval of ``count`` candles-units (``4``, ``h`` → 4h); refuse one Binance lacks."""
    if count != count.to_integral_value() or count <= 0:
        raise ParseError(f"{raw!r} is not a chart interval: use one of {_SUPPORTED}")
    try:
        return parse_interval(f"{int(count)}{letter}")
    except ValueError:
        raise ParseError(f"there is no {raw} chart: use one of {_SUPPORTED}") from None


def _refuse_weeks(token: Token) -> None:
    if token.unit in WEEK_UNITS or token.is_word(*WEEK_UNITS):
        raise ParseError(f"{token.raw!r}: weekly and monthly charts are not offered; use one of {_SUPPORTED}")


def _chart_at(tokens: list[Token], i: int) -> tuple[Interval, int] | None:
    """Return the chart starting at ``tokens[i]`` and the index past it, or None."""
    token = tokens[i]
    after = tokens[i + 1] if i + 1 < len(tokens) else None
    follows_chart_word = after is not None and after.is_word(*CHART_WORDS)
    _refuse_weeks(token)
    if token.kind == "word" and token.text in ADJECTIVES:
        return ADJECTIVES[token.text], i + 2 if follows_chart_word else i + 1
    if token.kind != "number" or token.dollar or token.number is None:
        return None
    if token.unit in COMPACT_UNITS:
        return interval(
            token.number, COMPACT_UNITS[token.unit], token.raw
        ), i + 2 if follows_chart_word else i + 1
    if token.unit in LONG_UNITS and follows_chart_word:
        return interval(token.number, LONG_UNITS[token.unit], token.raw), i + 2
    if token.unit or after is None or i + 2 >= len(tokens) or not tokens[i + 2].is_word(*CHART_WORDS):
        return None
    _refuse_weeks(after)  # "1 hour chart", "4 h candles"
    unit = LONG_UNITS.get(after.text) or COMPACT_UNITS.get(after.text)
    return None if unit is None else (interval(token.number, unit, f"{token.raw} {after.raw}"), i + 3)


def take_charts(tokens: list[Token]) -> tuple[list[Token], list[Interval]]:
    """Return ``tokens`` without their chart phrases (``on the 1h chart``), and the charts named."""
    kept: list[Token] = []
    charts: list[Interval] = []
    i = 0
    while i < len(tokens):
        found = _chart_at(tokens, i)
        if found is None:
            kept.append(tokens[i])
            i += 1
            continue
        chart, i = found
        charts.append(chart)
        while kept and kept[-1].is_word("the"):
            kept.pop()
        while kept and kept[-1].is_word("on", "in", "using", "of"):
            kept.pop()
        if kept and kept[-1].text == "(" and i < len(tokens) and tokens[i].text == ")":
            kept.pop()
            i += 1
    return kept, charts
