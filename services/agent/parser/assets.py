"""Asset names to tickers, and pairs to ``BASE/QUOTE``.

Only listed assets are accepted: a typo like ``bitcon`` must be refused, not traded as a coin of
that name. ``$``, ``usd`` and ``dollars`` mean USDT, the default quote.
"""

from __future__ import annotations

from shared.domain.symbols import KNOWN_QUOTES, InvalidSymbol, normalize_symbol

DEFAULT_QUOTE = "USDT"

ASSETS: dict[str, str] = {
    "btc": "BTC",
    "bitcoin": "BTC",
    "bitcoins": "BTC",
    "xbt": "BTC",
    "eth": "ETH",
    "ether": "ETH",
    "ethereum": "ETH",
    "sol": "SOL",
    "solana": "SOL",
    "bnb": "BNB",
    "xrp": "XRP",
    "ripple": "XRP",
    "ada": "ADA",
    "cardano": "ADA",
    "doge": "DOGE",
    "dogecoin": "DOGE",
    "ltc": "LTC",
    "litecoin": "LTC",
    "avax": "AVAX",
    "avalanche": "AVAX",
    "dot": "DOT",
    "polkadot": "DOT",
    "link": "LINK",
    "chainlink": "LINK",
    "trx": "TRX",
    "tron": "TRX",
    "usdt": "USDT",
    "tether": "USDT",
    "usdc": "USDC",
    "fdusd": "FDUSD",
}
"""Spellings of the assets the parser trades (Binance's major spot markets and their quotes)."""

QUOTE_WORDS: dict[str, str] = {
    "usd": DEFAULT_QUOTE,
    "dollar": DEFAULT_QUOTE,
    "dollars": DEFAULT_QUOTE,
    "bucks": DEFAULT_QUOTE,
}
"""Words that only ever name the quote: a dollar amount is spent in USDT."""

STABLECOINS = frozenset({"USDT", "USDC", "FDUSD"})
_TICKERS = frozenset(ASSETS.values())


def asset(word: str) -> str | None:
    """Return the ticker ``word`` names (``bitcoin`` → ``BTC``), or None."""
    return ASSETS.get(word)


def quote(word: str) -> str | None:
    """Return the quote ``word`` names when it can be one (``usd`` → ``USDT``, ``btc`` → ``BTC``)."""
    ticker = QUOTE_WORDS.get(word) or ASSETS.get(word)
    return ticker if ticker in KNOWN_QUOTES else None


def pair(word: str) -> tuple[str, str] | None:
    """Return ``(base, quote)`` for ``btc/usdt``, ``btc-usdt`` or ``btcusdt`` of listed assets, or None."""
    if word in ASSETS or word in QUOTE_WORDS:
        return None
    try:
        base, quote_ = normalize_symbol(word).split("/")
    except InvalidSymbol:
        return None
    if base not in _TICKERS or quote_ not in _TICKERS or base == quote_:
        return None
    return base, quote_
