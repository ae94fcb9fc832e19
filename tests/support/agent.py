"""In-memory market data and a recording intent sink for the copilot's tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from services.agent.graph.context import ChatContext
from shared.messages.intents import TradeIntentCreated
from shared.messages.market import Candle

START = datetime(2024, 1, 1, tzinfo=UTC)
STEPS = {"1m": timedelta(minutes=1), "1h": timedelta(hours=1)}
CONTEXT = ChatContext(user_id="alice", request_id="req-1", conversation_id="c1")


def candles(symbol: str, interval: str, closes: list[str]) -> list[Candle]:
    step = STEPS[interval]
    out = []
    for i, text in enumerate(closes):
        close = Decimal(text)
        out.append(
            Candle(
                ts_event=START + step * (i + 1),
                venue="paper",
                symbol=symbol,
                interval=interval,
                open_time=START + step * i,
                close_time=START + step * (i + 1),
                open=close,
                high=close + 1,
                low=close - 1,
                close=close,
                volume=Decimal("2.5"),
            )
        )
    return out


class MemoryMarket:
    """``MarketReader`` over lists of candles keyed by (venue, symbol, interval)."""

    def __init__(self, *series: list[Candle]) -> None:
        self.series = {(str(s[0].venue), s[0].symbol, str(s[0].interval)): s for s in series if s}

    async def recent(
        self, venue: str, symbol: str, interval: str, limit: int, end: datetime | None = None
    ) -> list[Candle]:
        rows = [c for c in self.series.get((venue, symbol, interval), []) if end is None or c.open_time < end]
        return rows[-limit:] if limit else []


class RecordingSink:
    def __init__(self) -> None:
        self.intents: list[TradeIntentCreated] = []

    async def submit(self, intent: TradeIntentCreated) -> None:
        self.intents.append(intent)


def btc_market() -> MemoryMarket:
    hourly = [str(100 + (i % 7) - (i % 3)) for i in range(60)]
    return MemoryMarket(candles("BTC/USDT", "1h", hourly), candles("BTC/USDT", "1m", ["101.5"]))
