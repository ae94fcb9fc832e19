"""The rolling 24-hour statistics behind ``/api/v3/ticker/24hr`` and the ``@ticker`` stream.

Kept incrementally over closed 1-minute candles (running sums, and monotonic deques for the high
and low) so a ticker costs the same whether it is asked for once a minute or every step.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from decimal import Decimal

from services.paper_exchange.klines import NO_TRADE, Kline

WINDOW_MS = 24 * 60 * 60_000


@dataclass(frozen=True, slots=True)
class DayStats:
    """Statistics of the 24 hours ending with the forming minute."""

    open_time: int
    close_time: int
    open: Decimal
    high: Decimal
    low: Decimal
    last: Decimal
    volume: Decimal
    quote_volume: Decimal
    trades: int
    first_trade_id: int
    last_trade_id: int

    @property
    def change(self) -> Decimal:
        return self.last - self.open

    @property
    def change_percent(self) -> Decimal:
        return (self.change * 100 / self.open).quantize(Decimal("0.001")) if self.open else Decimal(0)

    @property
    def weighted_average(self) -> Decimal:
        if not self.volume:
            return self.last
        return (self.quote_volume / self.volume).quantize(Decimal("0.00000001"))


class RollingDay:
    """The last 24 hours of closed 1-minute candles (the forming minute is added on read)."""

    def __init__(self) -> None:
        self._minutes: deque[Kline] = deque()
        self._highs: deque[Kline] = deque()
        self._lows: deque[Kline] = deque()
        self._volume = Decimal(0)
        self._quote_volume = Decimal(0)
        self._trades = 0

    def add(self, minute: Kline) -> None:
        self._minutes.append(minute)
        self._volume += minute.volume
        self._quote_volume += minute.quote_volume
        self._trades += minute.trades
        while self._highs and self._highs[-1].high <= minute.high:
            self._highs.pop()
        self._highs.append(minute)
        while self._lows and self._lows[-1].low >= minute.low:
            self._lows.pop()
        self._lows.append(minute)

    def _evict_before(self, open_time: int) -> None:
        while self._minutes and self._minutes[0].open_time < open_time:
            gone = self._minutes.popleft()
            self._volume -= gone.volume
            self._quote_volume -= gone.quote_volume
            self._trades -= gone.trades
            if self._highs and self._highs[0] is gone:
                self._highs.popleft()
            if self._lows and self._lows[0] is gone:
                self._lows.popleft()

    def stats(self, forming: Kline, now_ms: int) -> DayStats:
        """The window ``(now - 24h, now]``, at 1-minute resolution, including ``forming``."""
        self._evict_before(forming.open_time - WINDOW_MS + 60_000)
        first = self._minutes[0] if self._minutes else forming
        high = max(forming.high, self._highs[0].high) if self._highs else forming.high
        low = min(forming.low, self._lows[0].low) if self._lows else forming.low
        traded = next((k for k in (first, forming) if k.trades), None)
        return DayStats(
            open_time=max(first.open_time, now_ms - WINDOW_MS),
            close_time=now_ms,
            open=first.open,
            high=high,
            low=low,
            last=forming.close,
            volume=self._volume + forming.volume,
            quote_volume=self._quote_volume + forming.quote_volume,
            trades=self._trades + forming.trades,
            first_trade_id=traded.first_trade_id if traded else NO_TRADE,
            last_trade_id=forming.last_trade_id if forming.trades else self._last_id(),
        )

    def _last_id(self) -> int:
        return self._minutes[-1].last_trade_id if self._minutes else NO_TRADE
