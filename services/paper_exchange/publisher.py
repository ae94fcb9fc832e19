"""One simulator step → the stream events subscribers asked for, in time order per symbol.

Nothing is serialised for a stream nobody subscribes to: the hub's demand map is consulted first,
so an idle exchange costs only the simulation itself.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from services.paper_exchange import events
from services.paper_exchange.book import BookDiff
from services.paper_exchange.hub import Demand, Event
from services.paper_exchange.simulator import ClosedKline, Happening, SymbolMarket, Trade
from services.paper_exchange.stream_names import StreamKind
from shared.domain.intervals import Interval

_TRADE = (StreamKind.TRADE, "")
_AGG_TRADE = (StreamKind.AGG_TRADE, "")


Observer = Callable[[SymbolMarket, list[Happening]], None]


def step_events(
    markets: Sequence[SymbolMarket],
    until_ms: int,
    budget: int,
    demand: Demand,
    observe: Observer | None = None,
) -> list[Event]:
    """Advance every market to ``until_ms`` and return the events of the streams in ``demand``;
    ``observe`` sees each market's happenings first (the trading engine matches against them)."""
    out: list[Event] = []
    for market in markets:
        happenings = market.advance(until_ms, budget)
        if not happenings:
            continue
        if observe is not None:
            observe(market, happenings)
        diff = market.publish_book()
        wanted = demand.get(market.spec.symbol)
        if not wanted:
            continue
        symbol = market.spec.symbol
        trade_names = wanted.get(_TRADE)
        agg_names = wanted.get(_AGG_TRADE)
        for happening in happenings:
            if isinstance(happening, Trade):
                if trade_names:
                    payload = events.trade_event(symbol, happening)
                    out.extend((name, payload) for name in trade_names)
                if agg_names:
                    payload = events.agg_trade_event(symbol, happening)
                    out.extend((name, payload) for name in agg_names)
            elif isinstance(happening, ClosedKline):
                names = wanted.get((StreamKind.KLINE, happening.interval.value))
                if names:
                    k = happening.kline
                    payload = events.kline_event(symbol, happening.interval.value, k, k.close_time + 1, True)
                    out.extend((name, payload) for name in names)
        _step_end(market, wanted, diff, out)
    return out


def _step_end(
    market: SymbolMarket, wanted: dict[tuple[StreamKind, str], dict[str, int]], diff: BookDiff | None,
    out: list[Event],
) -> None:  # fmt: skip
    symbol, now = market.spec.symbol, market.now_ms
    bid, ask = market.book.top()
    book_changed = diff is not None
    stats = None
    for (kind, param), names in wanted.items():
        payload: str | None = None
        if kind is StreamKind.KLINE:
            kline = market.forming_kline(Interval(param))
            payload = events.kline_event(symbol, param, kline, now, False)
        elif kind is StreamKind.BOOK_TICKER and book_changed:
            payload = events.book_ticker_event(symbol, market.book.update_id, bid, ask)
        elif kind is StreamKind.TICKER or kind is StreamKind.MINI_TICKER:
            stats = stats or market.day_stats()
            if kind is StreamKind.TICKER:
                last_qty = market.recent[-1].quantity if market.recent else stats.volume * 0
                payload = events.ticker_event(symbol, stats, last_qty, bid, ask, now)
            else:
                payload = events.mini_ticker_event(symbol, stats, now)
        elif kind is StreamKind.DEPTH and diff is not None:
            payload = events.depth_update_event(
                symbol, diff.first_update_id, diff.last_update_id, diff.bids, diff.asks, now
            )
        elif kind is StreamKind.PARTIAL_DEPTH and book_changed:
            bids, asks = market.book.depth(int(param))
            payload = events.partial_depth_event(market.book.update_id, bids, asks)
        if payload is not None:
            out.extend((name, payload) for name in names)
