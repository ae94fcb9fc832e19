"""The order clause: side, an amount in the base or the quote, the asset, market or limit price.

``buy 0.5 BTC`` is a base amount; ``buy $100 of BTC``, ``100 USDT worth of BTC`` and ``buy BTC for
$100`` spend a quote amount. ``at 27,500`` or ``limit 27,500`` makes a limit order; ``0.5 BTC for
30,000`` is refused, as it reads both as a price and as a total.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal

from services.agent.parser import assets
from services.agent.parser.errors import ParseError
from services.agent.parser.lexer import Token
from services.agent.parser.numbers import is_numeric, positive
from shared.domain.enums import OrderSide, OrderType

SIDES = {"buy": OrderSide.BUY, "purchase": OrderSide.BUY, "sell": OrderSide.SELL}
_LEAD = {
    "please",
    "i",
    "want",
    "to",
    "would",
    "like",
    "place",
    "a",
    "an",
    "lets",
    "let",
    "us",
    "now",
    "and",
    "then",
}
_TYPES = {"limit": OrderType.LIMIT, "market": OrderType.MARKET}
VAGUE = {
    "half",
    "some",
    "all",
    "everything",
    "few",
    "bit",
    "more",
    "most",
    "max",
    "maximum",
    "rest",
    "remaining",
    "entire",
    "whole",
    "portion",
    "little",
    "lot",
    "bunch",
    "much",
    "quarter",
    "third",
    "double",
    "my",
    "a",
    "an",
    "one",
}
_OF = {"of", "worth", "in"}
_SPEND = {"for", "with", "using"}
_PRICE_LEAD = {"at", "@", "limit", "price", "priced", "of", "a", "with", "the"}
_TRAILING = {"each", "apiece", "now", "immediately", "please", "right", "order"}


@dataclass(frozen=True, slots=True)
class OrderDraft:
    side: OrderSide
    base: str
    quote: str
    order_type: OrderType
    amount: Decimal | None = None
    quote_amount: Decimal | None = None
    limit_price: Decimal | None = None


def _known() -> str:
    return ", ".join(sorted(set(assets.ASSETS.values()) - assets.STABLECOINS))


class _Cursor:
    """Walks the clause's tokens; every token must be used, or the clause is refused."""

    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.i = 0
        self.text = " ".join(t.raw for t in tokens)

    def peek(self, ahead: int = 0) -> Token | None:
        j = self.i + ahead
        return self.tokens[j] if j < len(self.tokens) else None

    def word(self, ahead: int = 0) -> str:
        token = self.peek(ahead)
        return token.text if token is not None and token.kind in ("word", "punct") else ""

    def take(self) -> Token:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def unknown(self) -> ParseError:
        rest = " ".join(t.raw for t in self.tokens[self.i :])
        return ParseError(f"did not understand {rest!r} in {self.text!r}")


def _asset_word(token: Token) -> tuple[str, str | None] | None:
    """Return ``(base, quote or None)`` for an asset or pair word."""
    if token.kind != "word":
        return None
    if (ticker := assets.asset(token.text)) is not None:
        return ticker, None
    return assets.pair(token.text)


def _refuse_unknown(token: Token | None, side: OrderSide) -> ParseError:
    if token is None:
        return ParseError(f"{side} what? name the asset, e.g. '{side} 0.1 BTC'")
    return ParseError(f"unknown asset {token.raw!r}: the parser knows {_known()}")


def _quote_of(token: Token) -> str | None:
    return assets.quote(token.text) if token.kind == "word" else None


@dataclass
class _Amount:
    base: str
    quote: str | None
    amount: Decimal | None = None
    quote_amount: Decimal | None = None


def _read_amount(cur: _Cursor, side: OrderSide) -> _Amount:
    token = cur.peek()
    if token is None:
        raise ParseError(f"missing amount and asset: e.g. '{side} 0.1 BTC' or '{side} $100 of BTC'")
    if token.kind == "word" and token.text in VAGUE:
        raise ParseError(f"{token.raw!r} is not an amount: give a number, e.g. '{side} 0.5 BTC'")
    named = _asset_word(token)
    if named is not None:  # "buy BTC for $100"
        cur.take()
        base, pair_quote = named
        spend_token = cur.peek(1)
        if cur.word() not in _SPEND or spend_token is None or spend_token.kind != "number":
            raise ParseError(
                f"missing amount: how much {base}? e.g. '{side} 0.1 {base}' or '{side} $100 of {base}'"
            )
        cur.take()
        spend = cur.take()
        currency: str | None = assets.DEFAULT_QUOTE if spend.dollar else None
        if (follow := cur.peek()) is not None and (named_quote := _quote_of(follow)) is not None:
            cur.take()
            currency = named_quote
        if currency is None:
            raise ParseError(
                f"'{cur.text}': {spend.raw} of what? say '$' or the currency, e.g. '{spend.raw} USDT'"
            )
        return _Amount(
            base, _same_quote(pair_quote, currency), quote_amount=positive(spend, "amount to spend")
        )
    if token.kind != "number":
        raise _refuse_unknown(token, side)
    cur.take()
    if token.unit and not is_numeric(token):  # "0.5btc"
        glued = Token("word", token.unit, token.unit)
        named = _asset_word(glued)
        if named is None:
            raise _refuse_unknown(glued, side)
        return _Amount(named[0], named[1], amount=positive(replace(token, unit=""), "amount"))
    currency = assets.DEFAULT_QUOTE if token.dollar else None
    if cur.word() in assets.QUOTE_WORDS:  # "100 usd of btc", "$100 dollars of btc"
        currency = assets.QUOTE_WORDS[cur.take().text]
    elif currency is None and (after := cur.peek()) is not None and (named := _asset_word(after)) is not None:
        cur.take()
        if cur.word() not in _OF:  # "0.5 BTC"
            if named[0] in assets.STABLECOINS and named[1] is None:
                raise ParseError(
                    f"{named[0]} is what you pay with: say what to {side}, e.g. '{side} $100 of BTC'"
                )
            return _Amount(named[0], named[1], amount=positive(token, "amount"))
        if named[1] is not None or assets.quote(after.text) is None:
            raise ParseError(f"{after.raw} cannot be spent on another asset here: give the amount in a quote")
        currency = named[0]  # "0.05 BTC worth of ETH" spends BTC on ETH/BTC
    while cur.word() in _OF:
        cur.take()
    target = cur.peek()
    named = _asset_word(target) if target is not None else None
    if named is None:
        if currency is None and target is None:
            raise ParseError(f"{token.raw} of what? name the asset, e.g. '{side} {token.raw} BTC'")
        raise _refuse_unknown(target, side)
    cur.take()
    if currency is None:
        raise cur.unknown()
    return _Amount(named[0], _same_quote(named[1], currency), quote_amount=positive(token, "amount to spend"))


def _same_quote(pair_quote: str | None, currency: str) -> str:
    if pair_quote is not None and pair_quote != currency:
        raise ParseError(f"the amount is in {currency} but the pair is quoted in {pair_quote}")
    return currency


def _read_price(
    cur: _Cursor, order_type: OrderType | None
) -> tuple[OrderType | None, Decimal | None, str | None]:
    """Return the order type, limit price and the price's currency (if named) the rest states."""
    price: Decimal | None = None
    currency: str | None = None
    while cur.peek() is not None:
        following = cur.peek(1)
        if cur.word() == "for" and following is not None and following.kind == "number":
            raise ParseError(
                f"'for {following.raw}' is ambiguous: say 'at {following.raw}' for a price per unit, "
                "or put what to spend before the asset ('$100 of BTC')"
            )
        if cur.word() in _TRAILING:
            cur.take()
            continue
        if not (cur.word() in _PRICE_LEAD or cur.word() == "market"):
            raise cur.unknown()
        lead = []
        while cur.word() in _PRICE_LEAD:
            lead.append(cur.take().text)
        if "limit" in lead:
            order_type = _one_type(order_type, OrderType.LIMIT)
        if cur.word() == "market":
            cur.take()
            order_type = _one_type(order_type, OrderType.MARKET)
            if cur.word() == "price":
                cur.take()
            continue
        token = cur.peek()
        if token is None and lead == ["limit"]:
            continue  # "buy 1 BTC limit": refused below for its missing price
        if token is None or token.kind != "number" or not is_numeric(token):
            raise ParseError(f"at what price? e.g. 'at 27,500', in {cur.text!r}")
        if price is not None:
            raise ParseError(f"two prices in {cur.text!r}")
        price = positive(cur.take(), "limit price")
        order_type = _one_type(order_type, OrderType.LIMIT)
        if (named := _quote_of(cur.peek() or token)) is not None and cur.peek() is not None:
            currency = named
            cur.take()
        if cur.word() == "per" and (after := cur.peek(1)) is not None and _asset_word(after) is not None:
            cur.i += 2
    return order_type, price, currency


def _one_type(current: OrderType | None, new: OrderType) -> OrderType:
    if current is not None and current is not new:
        raise ParseError("a market order takes no price: drop 'market' or the price")
    return new


def read_order(tokens: list[Token]) -> OrderDraft:
    """Return the order the clause ``tokens`` states."""
    cur = _Cursor(tokens)
    order_type: OrderType | None = None
    while cur.word() in _LEAD or cur.word() in _TYPES:
        word = cur.take().text
        if word in _TYPES:
            order_type = _one_type(order_type, _TYPES[word])
    if cur.word() not in SIDES:
        raise ParseError(f"did not understand {cur.text!r}: an order starts with buy or sell")
    side = SIDES[cur.take().text]
    while cur.word() in ("me", "order", "orders"):
        cur.take()
    amount = _read_amount(cur, side)
    order_type, price, price_currency = _read_price(cur, order_type)
    quote = amount.quote or assets.DEFAULT_QUOTE
    if price_currency is not None and price_currency != quote:
        raise ParseError(f"the price is in {price_currency} but the pair is {amount.base}/{quote}")
    if amount.base == quote:
        raise ParseError(f"cannot {side} {quote} with {quote}")
    if order_type is OrderType.LIMIT and price is None:
        raise ParseError(f"a limit order needs a price, e.g. 'limit {side} 0.25 {amount.base} at 27,500'")
    if price is not None and amount.quote_amount is not None:
        raise ParseError(
            f"a limit order takes an amount of {amount.base}, not of {quote}: "
            f"e.g. 'limit {side} 0.25 {amount.base} at {price:,}' (spending an amount is for market orders)"
        )
    return OrderDraft(
        side=side,
        base=amount.base,
        quote=quote,
        order_type=order_type or OrderType.MARKET,
        amount=amount.amount,
        quote_amount=amount.quote_amount,
        limit_price=price,
    )
