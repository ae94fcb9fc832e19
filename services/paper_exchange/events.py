"""Stream payloads, serialised by hand with Binance's field names.

Every value here is an int, a bool or a decimal printed by ``fmt``, and symbols are [A-Z0-9], so
string formatting builds valid JSON several times faster than ``json.dumps`` would — and trade
events are the hot path of the ≥10,000 messages/s budget.
"""

from __future__ import annotations

from decimal import Decimal

from services.paper_exchange.klines import Kline
from services.paper_exchange.numbers import fmt
from services.paper_exchange.rolling import DayStats
from services.paper_exchange.simulator import Trade

Level = tuple[Decimal, Decimal]


def _bool(value: bool) -> str:
    return "true" if value else "false"


def _levels(levels: list[Level]) -> str:
    return "[" + ",".join(f'["{fmt(p)}","{fmt(q)}"]' for p, q in levels) + "]"


def trade_event(symbol: str, trade: Trade) -> str:
    return (
        f'{{"e":"trade","E":{trade.time},"s":"{symbol}","t":{trade.id},"p":"{fmt(trade.price)}",'
        f'"q":"{fmt(trade.quantity)}","T":{trade.time},"m":{_bool(trade.buyer_is_maker)},"M":true}}'
    )


def agg_trade_event(symbol: str, trade: Trade) -> str:
    return (
        f'{{"e":"aggTrade","E":{trade.time},"s":"{symbol}","a":{trade.id},"p":"{fmt(trade.price)}",'
        f'"q":"{fmt(trade.quantity)}","f":{trade.id},"l":{trade.id},"T":{trade.time},'
        f'"m":{_bool(trade.buyer_is_maker)},"M":true}}'
    )


def kline_event(symbol: str, interval: str, k: Kline, event_time: int, closed: bool) -> str:
    return (
        f'{{"e":"kline","E":{event_time},"s":"{symbol}","k":{{"t":{k.open_time},"T":{k.close_time},'
        f'"s":"{symbol}","i":"{interval}","f":{k.first_trade_id},"L":{k.last_trade_id},'
        f'"o":"{fmt(k.open)}","c":"{fmt(k.close)}","h":"{fmt(k.high)}","l":"{fmt(k.low)}",'
        f'"v":"{fmt(k.volume)}","n":{k.trades},"x":{_bool(closed)},"q":"{fmt(k.quote_volume)}",'
        f'"V":"{fmt(k.taker_buy_volume)}","Q":"{fmt(k.taker_buy_quote_volume)}","B":"0"}}}}'
    )


def book_ticker_event(symbol: str, update_id: int, bid: Level, ask: Level) -> str:
    return (
        f'{{"u":{update_id},"s":"{symbol}","b":"{fmt(bid[0])}","B":"{fmt(bid[1])}",'
        f'"a":"{fmt(ask[0])}","A":"{fmt(ask[1])}"}}'
    )


def ticker_event(
    symbol: str, stats: DayStats, last_qty: Decimal, bid: Level, ask: Level, event_time: int
) -> str:
    return (
        f'{{"e":"24hrTicker","E":{event_time},"s":"{symbol}","p":"{fmt(stats.change)}",'
        f'"P":"{stats.change_percent}","w":"{fmt(stats.weighted_average)}","x":"{fmt(stats.open)}",'
        f'"c":"{fmt(stats.last)}","Q":"{fmt(last_qty)}","b":"{fmt(bid[0])}","B":"{fmt(bid[1])}",'
        f'"a":"{fmt(ask[0])}","A":"{fmt(ask[1])}","o":"{fmt(stats.open)}","h":"{fmt(stats.high)}",'
        f'"l":"{fmt(stats.low)}","v":"{fmt(stats.volume)}","q":"{fmt(stats.quote_volume)}",'
        f'"O":{stats.open_time},"C":{stats.close_time},"F":{stats.first_trade_id},'
        f'"L":{stats.last_trade_id},"n":{stats.trades}}}'
    )


def mini_ticker_event(symbol: str, stats: DayStats, event_time: int) -> str:
    return (
        f'{{"e":"24hrMiniTicker","E":{event_time},"s":"{symbol}","c":"{fmt(stats.last)}",'
        f'"o":"{fmt(stats.open)}","h":"{fmt(stats.high)}","l":"{fmt(stats.low)}",'
        f'"v":"{fmt(stats.volume)}","q":"{fmt(stats.quote_volume)}"}}'
    )


def depth_update_event(
    symbol: str, first_id: int, last_id: int, bids: list[Level], asks: list[Level], event_time: int
) -> str:
    return (
        f'{{"e":"depthUpdate","E":{event_time},"s":"{symbol}","U":{first_id},"u":{last_id},'
        f'"b":{_levels(bids)},"a":{_levels(asks)}}}'
    )


def partial_depth_event(update_id: int, bids: list[Level], asks: list[Level]) -> str:
    return f'{{"lastUpdateId":{update_id},"bids":{_levels(bids)},"asks":{_levels(asks)}}}'
