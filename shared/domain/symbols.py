"""Symbols: the unified ``BASE/QUOTE`` form everywhere, the Binance ``BASEQUOTE`` form at the edges."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator

_UNIFIED = re.compile(r"^[A-Z0-9]{2,10}/[A-Z0-9]{2,10}$")
KNOWN_QUOTES = ("USDT", "USDC", "FDUSD", "BUSD", "BTC", "ETH", "BNB", "EUR", "TRY")


class InvalidSymbol(ValueError):
    """A symbol that is not of the form BASE/QUOTE."""


def normalize_symbol(text: str) -> str:
    """Return ``BASE/QUOTE`` for ``btc/usdt``, ``BTCUSDT`` or ``btc-usdt``; raise on anything else."""
    candidate = text.strip().upper().replace("-", "/").replace("_", "/")
    if "/" not in candidate:
        for quote in KNOWN_QUOTES:
            if candidate.endswith(quote) and len(candidate) > len(quote):
                candidate = f"{candidate[: -len(quote)]}/{quote}"
                break
    if not _UNIFIED.match(candidate):
        raise InvalidSymbol(f"expected a symbol like BTC/USDT, was {text!r}")
    return candidate


def venue_symbol(symbol: str) -> str:
    """Return Binance's form (``BTCUSDT``), which is also the NATS subject token."""
    return normalize_symbol(symbol).replace("/", "")


def split_symbol(symbol: str) -> tuple[str, str]:
    """Return ``(base, quote)``."""
    base, quote = normalize_symbol(symbol).split("/")
    return base, quote


Symbol = Annotated[str, AfterValidator(normalize_symbol)]
"""A pydantic field type that accepts any spelling and stores ``BASE/QUOTE``."""
