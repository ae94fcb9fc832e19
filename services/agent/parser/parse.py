"""The entry point: ``parse_command(text)`` returns an order, a conditional order, a cancel or a query.

A command is split into clauses at ``,``/``;``/``then`` and before ``if``/``when``/``once``: one
order clause, any condition clauses, and ``check <series>`` clauses that give ``it`` its meaning
(``check the 10-day MA; if it is rising ...``). Whatever is not understood is refused by name.
"""

from __future__ import annotations

from pydantic import ValidationError

from services.agent.parser import assets
from services.agent.parser.charts import take_charts
from services.agent.parser.conditions import ConditionDraft, build_conditions, read_condition, resolve
from services.agent.parser.errors import ParseError
from services.agent.parser.lexer import Token, tokenize
from services.agent.parser.model import CancelCommand, CancelScope, OrderCommand, QueryCommand
from services.agent.parser.orders import SIDES, read_order
from services.agent.parser.series import SeriesDraft, read_series
from shared.domain.intervals import Interval

Command = OrderCommand | CancelCommand | QueryCommand

_CONDITION_LEADS = {"if", "when", "whenever", "once", "provided"}
_CONTEXT_LEADS = {"check", "watch", "monitor", "look", "using", "use"}
_SEPARATORS = {",", ";", ":", ".", "!", "?"}
_SHORT = {"short", "shorts", "shorting", "shorted", "shortsell", "shortselling"}
_LEVERAGE = {
    "leverage",
    "leveraged",
    "margin",
    "futures",
    "perp",
    "perps",
    "perpetual",
    "perpetuals",
    "borrow",
}
_QUESTION_STARTS = {"should", "shall", "is", "are", "will", "do", "does", "did"}
_ORDER_LEADS = {"limit", "market", "please"}


def _refuse_derivatives(tokens: list[Token]) -> None:
    for token in tokens:
        if token.kind == "word" and token.text in _SHORT:
            raise ParseError("spot trading cannot short: you can only sell what you hold")
        if token.is_word(*_LEVERAGE) or (token.kind == "number" and token.unit == "x"):
            raise ParseError(
                f"spot trading has no leverage, margin or futures ({token.raw!r}): orders are paid in full"
            )


def _close(clauses: list[tuple[bool, list[Token]]], condition: bool, current: list[Token]) -> None:
    if current:
        clauses.append((condition, current))
    elif condition:
        raise ParseError("'if' (or 'when') with no condition after it")


def _clauses(tokens: list[Token]) -> list[tuple[bool, list[Token]]]:
    """Return ``(is_condition, tokens)`` per clause, in order."""
    clauses: list[tuple[bool, list[Token]]] = []
    condition, current = False, list[Token]()
    i = 0
    while i < len(tokens):
        token = tokens[i]
        as_soon_as = [t.text for t in tokens[i : i + 3]] == ["as", "soon", "as"]
        if (token.kind == "punct" and token.text in _SEPARATORS) or token.is_word("then"):
            starts, skip = False, 1
        elif token.is_word(*_CONDITION_LEADS) or as_soon_as:
            starts, skip = True, 3 if as_soon_as else 1
        elif token.is_word(*SIDES) and condition:  # "if it dips below 30k buy 0.5 BTC"
            moved: list[Token] = []
            while current and current[-1].is_word(*_ORDER_LEADS):
                moved.insert(0, current.pop())
            _close(clauses, condition, current)
            condition, current = False, [*moved, token]
            i += 1
            continue
        else:
            current.append(token)
            i += 1
            continue
        _close(clauses, condition, current)
        condition, current = starts, []
        i += skip
    _close(clauses, condition, current)
    for k in range(1, len(clauses)):  # "if A, and B, buy": B is a condition too
        if (
            clauses[k - 1][0]
            and not clauses[k][0]
            and clauses[k][1][0].is_word("and")
            and len(clauses[k][1]) > 1
        ):
            clauses[k] = (True, clauses[k][1][1:])
    return clauses


def _parts(tokens: list[Token]) -> list[list[Token]]:
    """Split a condition clause at ``and``; refuse ``or``."""
    parts: list[list[Token]] = [[]]
    for k, token in enumerate(tokens):
        if token.is_word("or") and 0 < k < len(tokens) - 1 and tokens[k - 1].is_word("at"):
            parts[-1].append(token)  # "at or below"
        elif token.is_word("or", "unless"):
            raise ParseError(
                f"'{token.raw}' between conditions is not supported: write one rule per alternative"
            )
        elif token.is_word("and"):
            parts.append([])
        else:
            parts[-1].append(token)
    if any(not part for part in parts):
        raise ParseError(f"an empty condition in {' '.join(t.raw for t in tokens)!r}")
    return parts


def _order(tokens: list[Token]) -> OrderCommand:
    order_tokens: list[Token] | None = None
    drafts: list[ConditionDraft] = []
    charts: set[Interval] = set()
    last: SeriesDraft | None = None
    context_only = ""
    for is_condition, clause in _clauses(tokens):
        text = " ".join(t.raw for t in clause)
        if is_condition:
            for part in _parts(clause):
                draft = resolve(read_condition(part), last)
                drafts.append(draft)
                charts.update(draft.charts)
                for series in (draft.subject, draft.value):
                    if isinstance(series, SeriesDraft) and series.interval is not None:
                        charts.add(series.interval)
                last = draft.subject
            context_only = ""
        elif any(t.is_word(*SIDES) for t in clause):
            if order_tokens is not None:
                raise ParseError("one order per command: send the second one on its own")
            order_tokens = clause
        elif clause[0].is_word(*_CONTEXT_LEADS):
            rest, named = take_charts([t for t in clause[1:] if not t.is_word("at", "on")])
            charts.update(named)
            if rest:
                last = read_series(rest)
                if last.interval is not None:
                    charts.add(last.interval)
            context_only = text
        else:
            raise ParseError(f"did not understand {text!r}")
    if order_tokens is None:
        raise ParseError("no order: say what to buy or sell, e.g. 'buy 0.1 BTC if RSI < 30'")
    if context_only:
        raise ParseError(f"{context_only!r} leads to no condition: say what about it, e.g. 'if it is rising'")
    order = read_order(order_tokens)
    conditions = build_conditions(drafts, (order.base, order.quote), charts)
    return OrderCommand(
        kind="conditional_order" if conditions else "order",
        side=order.side,
        symbol=f"{order.base}/{order.quote}",
        order_type=order.order_type,
        amount=order.amount,
        quote_amount=order.quote_amount,
        limit_price=order.limit_price,
        conditions=conditions,
    )


_CANCEL_FILLERS = {
    "my",
    "and",
    "the",
    "open",
    "pending",
    "on",
    "for",
    "of",
    "please",
    "active",
    "outstanding",
    "existing",
}
_CANCEL_ALL = {"all", "every", "everything"}


def _cancel(tokens: list[Token]) -> CancelCommand:
    if any(t.is_word(*SIDES) for t in tokens):
        raise ParseError("one command at a time: cancel first, then place the new order")
    start = next(i for i, t in enumerate(tokens) if t.is_word("cancel"))
    if any(not t.is_word("please", "and", "now") for t in tokens[:start]):
        raise ParseError(f"did not understand {' '.join(t.raw for t in tokens[:start])!r} before 'cancel'")
    symbol: str | None = None
    order_id: str | None = None
    everything = plural = False
    rest = [t for t in tokens[start + 1 :] if not (t.kind == "punct" and t.text in _SEPARATORS)]
    i = 0
    while i < len(rest):
        token = rest[i]
        i += 1
        if token.is_word("order", "id", "#") and i < len(rest) and _is_order_id(rest[i]):
            order_id = rest[i].raw
            i += 1
        elif token.is_word("orders"):
            plural = True
        elif token.is_word(*_CANCEL_ALL):
            everything = True
        elif token.is_word("order", *_CANCEL_FILLERS):
            continue
        elif (
            token.kind == "word"
            and (ticker := assets.asset(token.text) or assets.pair(token.text)) is not None
        ):
            base, quote = (ticker, assets.DEFAULT_QUOTE) if isinstance(ticker, str) else ticker
            if symbol is not None and symbol != f"{base}/{quote}":
                raise ParseError("cancel one symbol at a time, or all orders")
            symbol = f"{base}/{quote}"
        else:
            raise ParseError(f"did not understand {token.raw!r} after 'cancel'")
    if order_id is not None:
        if symbol is not None or everything:
            raise ParseError("give the order id alone: 'cancel order <id>'")
        return CancelCommand(scope=CancelScope.ORDER, order_id=order_id)
    if symbol is not None:
        return CancelCommand(scope=CancelScope.SYMBOL, symbol=symbol)
    if everything or plural:
        return CancelCommand(scope=CancelScope.ALL)
    raise ParseError("cancel what? say 'cancel all orders', 'cancel my BTC orders' or 'cancel order <id>'")


def _is_order_id(token: Token) -> bool:
    if token.kind == "number":
        return not token.unit and not token.dollar and token.number is not None and token.number > 0
    return token.kind == "word" and any(c.isdigit() for c in token.text) and len(token.raw) <= 36


_QUERY_WORDS = {
    "what",
    "whats",
    "is",
    "the",
    "of",
    "how",
    "current",
    "for",
    "show",
    "me",
    "tell",
    "trading",
    "at",
    "today",
    "now",
    "right",
    "on",
    "does",
    "a",
    "please",
    "currently",
    "going",
    "and",
}
_TOPICS = {"price", "doing", "much", "quote", "worth", "cost", "costs", "rate", "value", "trading"}


def _query(tokens: list[Token]) -> QueryCommand | None:
    """Return the price question ``tokens`` ask, or None if they are not one."""
    symbols: set[str] = set()
    for token in tokens:
        if token.kind == "punct" and token.text in _SEPARATORS:
            continue
        if token.kind != "word":
            return None
        if (ticker := assets.asset(token.text)) is not None:
            symbols.add(f"{ticker}/{assets.DEFAULT_QUOTE}")
        elif (pair := assets.pair(token.text)) is not None:
            symbols.add("/".join(pair))
        elif token.text not in _QUERY_WORDS | _TOPICS:
            return None
    if not any(t.is_word(*_TOPICS) for t in tokens) or not symbols:
        return None
    if len(symbols) > 1:
        raise ParseError(f"one symbol at a time: {', '.join(sorted(symbols))}")
    symbol = symbols.pop()
    if symbol.split("/")[0] in assets.STABLECOINS and symbol.endswith(assets.DEFAULT_QUOTE):
        raise ParseError(f"{symbol.split('/')[0]} is a quote currency: ask for the price of BTC, ETH, …")
    return QueryCommand(symbol=symbol)


def _parse(text: str) -> Command:
    tokens = tokenize(text)
    if not tokens:
        raise ParseError("nothing to parse: say e.g. 'buy 0.1 BTC' or 'price of ETH'")
    _refuse_derivatives(tokens)
    if any(t.is_word("cancel") for t in tokens):
        return _cancel(tokens)
    sides = [t for t in tokens if t.is_word(*SIDES)]
    if not sides:
        query = _query(tokens)
        if query is not None:
            return query
        if any(t.is_word("what", "whats", "how") or t.text == "?" for t in tokens):
            raise ParseError("offline, only price questions are answered: e.g. 'what is the price of BTC?'")
    if sides and (tokens[0].is_word(*_QUESTION_STARTS) or tokens[-1].text == "?"):
        raise ParseError("that reads as a question, not a command: say 'buy 0.1 BTC' to place an order")
    if len(sides) > 1:
        raise ParseError("one order per command: send the second one on its own")
    return _order(tokens)


def parse_command(text: str) -> Command:
    """Return the command ``text`` states; raise ``ParseError`` with a one-line reason otherwise."""
    try:
        return _parse(text)
    except ValidationError as error:  # the model refused what the grammar let through
        raise ParseError(f"not a valid command: {error.errors()[0]['msg']}") from None
