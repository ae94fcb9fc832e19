"""Candles of every Binance interval, rolled up from 1-minute candles as they close.

Each interval keeps its closed candles (oldest dropped past a cap) and the closed 1-minute
candles of its current bucket; the forming candle is that bucket merged with the forming minute,
so ``/api/v3/klines`` and ``@kline_<interval>`` always end with the live, unclosed candle.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from services.paper_exchange.numbers import fmt
from shared.domain.intervals import Interval

NO_TRADE = -1


@dataclass(frozen=True, slots=True)
class Kline:
    """One candle as Binance reports it (times in ms; ``close_time`` is the last ms inside)."""

    open_time: int
    close_time: int
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal
    quote_volume: Decimal
    trades: int
    taker_buy_volume: Decimal
    taker_buy_quote_volume: Decimal
    first_trade_id: int = NO_TRADE
    last_trade_id: int = NO_TRADE

    @classmethod
    def empty(cls, open_time: int, length_ms: int, price: Decimal) -> Kline:
        """A candle with no trades yet: flat at the last price, as Binance shows a quiet minute."""
        zero = Decimal(0)
        return cls(
            open_time, open_time + length_ms - 1, price, price, price, price, zero, zero, 0, zero, zero
        )

    def with_trade(self, trade_id: int, price: Decimal, quantity: Decimal, buyer_is_maker: bool) -> Kline:
        first = self.trades == 0
        quote = price * quantity
        return replace(
            self,
            open=price if first else self.open,
            high=price if first else max(self.high, price),
            low=price if first else min(self.low, price),
            close=price,
            volume=self.volume + quantity,
            quote_volume=self.quote_volume + quote,
            trades=self.trades + 1,
            taker_buy_volume=self.taker_buy_volume + (0 if buyer_is_maker else quantity),
            taker_buy_quote_volume=self.taker_buy_quote_volume + (0 if buyer_is_maker else quote),
            first_trade_id=trade_id if first else self.first_trade_id,
            last_trade_id=trade_id,
        )

    def merge(self, later: Kline, open_time: int, length_ms: int) -> Kline:
        """This candle followed by ``later``, as one candle of ``length_ms`` opening at ``open_time``."""
        if later.trades == 0:
            return replace(self, open_time=open_time, close_time=open_time + length_ms - 1)
        if self.trades == 0:
            return replace(later, open_time=open_time, close_time=open_time + length_ms - 1)
        return Kline(
            open_time=open_time,
            close_time=open_time + length_ms - 1,
            open=self.open,
            high=max(self.high, later.high),
            low=min(self.low, later.low),
            close=later.close,
            volume=self.volume + later.volume,
            quote_volume=self.quote_volume + later.quote_volume,
            trades=self.trades + later.trades,
            taker_buy_volume=self.taker_buy_volume + later.taker_buy_volume,
            taker_buy_quote_volume=self.taker_buy_quote_volume + later.taker_buy_quote_volume,
            first_trade_id=self.first_trade_id,
            last_trade_id=later.last_trade_id,
        )

    def rest_row(self) -> list[Any]:
        """The array ``/api/v3/klines`` returns for this candle."""
        return [
            self.open_time, fmt(self.open), fmt(self.high), fmt(self.low), fmt(self.close),
            fmt(self.volume), self.close_time, fmt(self.quote_volume), self.trades,
            fmt(self.taker_buy_volume), fmt(self.taker_buy_quote_volume), "0",
        ]  # fmt: skip


def aggregate(minutes: list[Kline], interval: Interval) -> list[Kline]:
    """Roll consecutive 1-minute candles up into ``interval`` candles (UTC-aligned buckets)."""
    out: list[Kline] = []
    length = interval.milliseconds
    for minute in minutes:
        start = interval.bucket_start(minute.open_time)
        if out and out[-1].open_time == start:
            out[-1] = out[-1].merge(minute, start, length)
        else:
            out.append(replace(minute, open_time=start, close_time=start + length - 1))
    return out


class IntervalSeries:
    """The closed candles of one interval plus the closed minutes of its forming bucket."""

    def __init__(self, interval: Interval, cap: int) -> None:
        self.interval = interval
        self._cap = cap
        self._closed: list[Kline] = []
        self._open_times: list[int] = []
        self._bucket: Kline | None = None

    def add_minute(self, minute: Kline) -> Kline | None:
        """Fold a closed 1-minute candle in; return the interval candle it closes, if any."""
        length = self.interval.milliseconds
        start = self.interval.bucket_start(minute.open_time)
        if self._bucket is None or self._bucket.open_time != start:
            self._bucket = replace(minute, open_time=start, close_time=start + length - 1)
        else:
            self._bucket = self._bucket.merge(minute, start, length)
        if minute.close_time == self._bucket.close_time:
            closed, self._bucket = self._bucket, None
            self._closed.append(closed)
            self._open_times.append(closed.open_time)
            if len(self._closed) > self._cap + self._cap // 4:  # trim in chunks, not per candle
                del self._closed[: -self._cap]
                del self._open_times[: -self._cap]
            return closed
        return None

    def forming(self, minute: Kline) -> Kline:
        """The unclosed candle: this bucket's closed minutes followed by the forming ``minute``."""
        length = self.interval.milliseconds
        start = self.interval.bucket_start(minute.open_time)
        if self._bucket is None or self._bucket.open_time != start:
            return replace(minute, open_time=start, close_time=start + length - 1)
        return self._bucket.merge(minute, start, length)

    def query(self, forming: Kline, start: int | None, end: int | None, limit: int) -> list[Kline]:
        """Candles opening in [start, end], at most ``limit``: the first ones when ``start`` is
        given, else the last ones (Binance's rule); the forming candle counts as the newest."""
        lo = 0 if start is None else bisect.bisect_left(self._open_times, start)
        hi = len(self._closed) if end is None else bisect.bisect_right(self._open_times, end)
        if start is None:
            lo = max(lo, hi - limit)
        rows = self._closed[lo:hi]
        if (start is None or forming.open_time >= start) and (end is None or forming.open_time <= end):
            rows = [*rows, forming]
        return rows[:limit] if start is not None else rows[-limit:]
