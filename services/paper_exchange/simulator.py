"""The market: per symbol, candles from a price source become trades, klines, a book and tickers.

Timeline: ``history`` candles lie before the live start (the wall-clock minute the exchange
started in), so ``/api/v3/klines`` has a past; from the live start on, each source candle is
expanded into trades (``trades.plan_trades``) which are released as the simulated clock passes
their times; ``inject`` adds one trade outside the plan (``POST /admin/trades``). A 1-minute
kline closes when the clock reaches its end, and the interval candles it completes close with it.
The simulator is synchronous and does no I/O: ``advance`` returns what happened, and the
publisher turns that into stream events.
"""

from __future__ import annotations

import random
from collections import deque
from dataclasses import dataclass
from decimal import Decimal

from services.paper_exchange.book import BookDiff, SyntheticBook
from services.paper_exchange.klines import IntervalSeries, Kline
from services.paper_exchange.markets import SymbolSpec
from services.paper_exchange.numbers import EIGHT_DP, quantize_down
from services.paper_exchange.prices.source import CandleSource
from services.paper_exchange.rolling import DayStats, RollingDay
from services.paper_exchange.trades import CANDLE_MS, PlannedTrade, plan_trades
from shared.domain.intervals import Interval

RECENT_TRADES = 100_000
"""Trades kept for ``/api/v3/trades``, ``/historicalTrades`` and ``/aggTrades`` lookups by id."""


@dataclass(frozen=True, slots=True)
class Trade:
    id: int
    time: int
    price: Decimal
    quantity: Decimal
    buyer_is_maker: bool


@dataclass(frozen=True, slots=True)
class ClosedKline:
    """A candle of ``interval`` that has just closed (``x: true`` on the stream)."""

    interval: Interval
    kline: Kline


Happening = Trade | ClosedKline


class SymbolMarket:
    """One symbol's live market state, advanced by simulated time."""

    def __init__(
        self,
        spec: SymbolSpec,
        source: CandleSource,
        *,
        seed: int,
        trades_per_candle: int,
        history_candles: int,
        live_start_ms: int,
        book_levels: int,
        max_candles: int,
    ) -> None:
        self.spec = spec
        self._source = source
        self._trades_per_candle = trades_per_candle
        self._rng = random.Random(f"paper-trades:{seed}:{spec.symbol}")
        self.series = {interval: IntervalSeries(interval, max_candles) for interval in Interval}
        self.day = RollingDay()
        self.book = SyntheticBook(spec, seed, book_levels)
        self.recent: deque[Trade] = deque(maxlen=RECENT_TRADES)
        self.next_trade_id = 1
        self.last_price = spec.start_price
        self.last_buyer_is_maker = False
        self._priced = False  # until a candle has set the last price
        self._injected: list[Trade] = []  # printed by ``inject``, released by the next ``advance``
        start = live_start_ms - history_candles * CANDLE_MS
        for i in range(history_candles):
            self._close_minute(self._history_kline(start + i * CANDLE_MS), [])
        self.now_ms = live_start_ms
        self._start_minute(live_start_ms)
        self.book.publish(self.last_price, self.last_buyer_is_maker)

    def _history_kline(self, open_time: int) -> Kline:
        """A past candle; trades are not replayed, so quote and taker volumes are estimates."""
        c = self._source.next_candle()
        count = self._trades_per_candle if c.volume else 0
        quote = quantize_down(c.volume * (c.open + c.high + c.low + c.close) / 4, EIGHT_DP)
        first = self.next_trade_id
        self.next_trade_id += count
        self.last_price, self._priced = c.close, True
        return Kline(
            open_time, open_time + CANDLE_MS - 1, c.open, c.high, c.low, c.close, c.volume, quote,
            count, quantize_down(c.volume / 2, EIGHT_DP), quantize_down(quote / 2, EIGHT_DP),
            first if count else -1, first + count - 1 if count else -1,
        )  # fmt: skip

    def _start_minute(self, open_time: int) -> None:
        candle = self._source.next_candle()
        if not self._priced:
            self.last_price, self._priced = candle.open, True  # no history: open at the first candle
        self._minute_open = open_time
        self._plan: list[PlannedTrade] = plan_trades(
            candle,
            self._trades_per_candle,
            self.spec.tick_size,
            self.spec.step_size,
            self._rng,
            self.last_price,
        )
        self._next = 0
        self.forming = Kline.empty(open_time, CANDLE_MS, self.last_price)

    def _close_minute(self, minute: Kline, out: list[Happening]) -> None:
        for interval, series in self.series.items():
            closed = series.add_minute(minute)
            if closed is not None:
                out.append(ClosedKline(interval, closed))
        self.day.add(minute)

    def inject(self, price: Decimal, quantity: Decimal) -> Trade:
        """Print one trade outside the plan, at the market's current time (``POST /admin/trades``).

        It is a real print: it moves the last price (and so the book), and enters the klines and
        the 24 h statistics. Its side follows the tick, as for planned trades (a print below the
        last price hit the bids). The next ``advance`` releases it before anything else, so it
        meets the resting orders and reaches the streams the way a planned trade does.
        """
        hit_bids = price < self.last_price or (price == self.last_price and self.last_buyer_is_maker)
        trade = self._print(self.now_ms, price, quantity, hit_bids)
        self._injected.append(trade)
        return trade

    def _print(self, time: int, price: Decimal, quantity: Decimal, buyer_is_maker: bool) -> Trade:
        trade = Trade(self.next_trade_id, time, price, quantity, buyer_is_maker)
        self.next_trade_id += 1
        self.forming = self.forming.with_trade(trade.id, price, quantity, buyer_is_maker)
        self.last_price, self.last_buyer_is_maker = price, buyer_is_maker
        self.recent.append(trade)
        return trade

    def advance(self, until_ms: int, budget: int) -> list[Happening]:
        """Release everything up to ``until_ms`` (at most about ``budget`` trades), in time order:
        injected trades first (they were printed at the time the market had reached), then the plan."""
        out: list[Happening] = [*self._injected]
        self._injected.clear()
        while len(out) < budget:
            if self._next < len(self._plan):
                planned = self._plan[self._next]
                time = self._minute_open + planned.offset_ms
                if time > until_ms:
                    break
                out.append(self._print(time, planned.price, planned.quantity, planned.buyer_is_maker))
                self._next += 1
                self.now_ms = time
            elif self._minute_open + CANDLE_MS <= until_ms:
                self._close_minute(self.forming, out)
                self._start_minute(self._minute_open + CANDLE_MS)
                self.now_ms = self._minute_open
            else:
                self.now_ms = max(self.now_ms, until_ms)  # caught up with the clock
                break
        return out

    def publish_book(self) -> BookDiff | None:
        return self.book.publish(self.last_price, self.last_buyer_is_maker)

    def forming_kline(self, interval: Interval) -> Kline:
        return self.series[interval].forming(self.forming)

    def klines(self, interval: Interval, start: int | None, end: int | None, limit: int) -> list[Kline]:
        return self.series[interval].query(self.forming_kline(interval), start, end, limit)

    def day_stats(self) -> DayStats:
        return self.day.stats(self.forming, self.now_ms)

    def average_price(self, minutes: int = 5) -> tuple[Decimal, int]:
        """Volume-weighted price of the last ``minutes`` minutes (``/api/v3/avgPrice``)."""
        rows = self.klines(Interval.M1, None, None, minutes)
        volume = sum((k.volume for k in rows), Decimal(0))
        quote = sum((k.quote_volume for k in rows), Decimal(0))
        price = (quote / volume).quantize(EIGHT_DP) if volume else self.last_price
        return price, rows[-1].close_time if rows else self.now_ms
