"""Text to tokens: words, numbers (with ``$``, thousands separators and glued units), operators.

A number keeps the letters glued to it (``29k``, ``1h``, ``10-day``, ``0.5btc``) as its ``unit``:
whether ``1m`` is a million or a minute depends on where it stands, which only the grammar knows.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Literal

from services.agent.parser.errors import ParseError

MAX_TEXT = 500
"""Longer is a paste, not a command; refusing it bounds the work per message."""

TokenKind = Literal["word", "number", "op", "punct"]

_TOKEN = re.compile(
    r"""
    (?P<number>
        (?P<sign>[-+])?(?P<dollar>\$)?[ ]?(?P<sign2>[-+])?
        (?P<digits>[0-9]+(?:,[0-9]+)*(?:\.[0-9]+)?|\.[0-9]+)
        (?P<dollar2>\$)?
        (?:(?P<hyphen>-)?(?P<unit>[a-z]+)(?![a-z0-9]))?
    )
    |(?P<word>[a-z][a-z0-9]*(?:[-_/.:#][a-z0-9]+)*)
    |(?P<op><=|>=|=<|=>|==|[<>=])
    |(?P<punct>[,;:!?()\[\]&@.%'"])
    |(?P<space>\s+)
    """,
    re.VERBOSE | re.ASCII,
)
_GROUPED = re.compile(r"^[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?$")
_OP_SPELLING = {"=<": "<=", "=>": ">=", "==": "="}


@dataclass(frozen=True, slots=True)
class Token:
    """One token; ``text`` is lower case, ``raw`` as typed (order ids keep their case)."""

    kind: TokenKind
    text: str
    raw: str
    number: Decimal | None = None
    unit: str = ""
    hyphen: bool = False
    dollar: bool = False

    def is_word(self, *words: str) -> bool:
        return self.kind == "word" and self.text in words

    @property
    def plain_number(self) -> bool:
        """A bare number: no unit, no ``$``."""
        return self.kind == "number" and not self.unit and not self.dollar


def _normalize(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    text = text.replace("\u2212", "-").replace("\u2013", "-").replace("\u2014", "-")
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u2264", "<=").replace("\u2265", ">=")
    return re.sub(r"'s\b", "", text, flags=re.IGNORECASE)  # "what's", "BTC's", "it's"


def _number(match: re.Match[str], raw: str) -> Token:
    digits = match["digits"]
    if "," in digits and not _GROUPED.match(digits):
        raise ParseError(
            f"cannot read the number {raw.strip()!r}: write 1.5 or 1,500 (commas group thousands)"
        )
    if match["sign"] and match["sign2"]:
        raise ParseError(f"cannot read the number {raw.strip()!r}")
    try:
        value = Decimal(digits.replace(",", ""))
    except InvalidOperation:  # pragma: no cover - the pattern only lets digits through
        raise ParseError(f"cannot read the number {raw.strip()!r}") from None
    if "-" in (match["sign"] or "", match["sign2"] or ""):
        value = -value
    return Token(
        kind="number",
        text=raw.lower().strip(),
        raw=raw.strip(),
        number=value,
        unit=match["unit"] or "",
        hyphen=bool(match["hyphen"]),
        dollar=bool(match["dollar"] or match["dollar2"]),
    )


def tokenize(text: str) -> list[Token]:
    """Return the tokens of ``text``; raise ``ParseError`` on a character no command uses."""
    if len(text) > MAX_TEXT:
        raise ParseError(f"the text is {len(text)} characters long; a command is at most {MAX_TEXT}")
    normalized = _normalize(text)
    lowered = normalized.lower()
    tokens: list[Token] = []
    position = 0
    while position < len(lowered):
        match = _TOKEN.match(lowered, position)
        if match is None:
            raise ParseError(f"cannot read {normalized[position]!r} at character {position + 1}")
        raw = normalized[match.start() : match.end()]
        position = match.end()
        kind = match.lastgroup
        if match["number"] is not None:
            tokens.append(_number(match, raw))
        elif match["word"] is not None:
            tokens.append(Token(kind="word", text=match["word"], raw=raw))
        elif match["op"] is not None:
            tokens.append(Token(kind="op", text=_OP_SPELLING.get(match["op"], match["op"]), raw=raw))
        elif match["punct"] is not None:
            if match["punct"] not in "'\"":  # quotes carry no meaning in a command
                tokens.append(Token(kind="punct", text=match["punct"], raw=raw))
        else:
            assert kind == "space"
    return tokens
