"""Loading stored candles page by page for a period, with a fake of the repository's ``recent``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from services.agent.backtest import stored
from services.agent.backtest.engine import Settings
from services.agent.backtest.rule import BacktestRule, ExitPolicy, Sizing
from shared.domain.intervals import Interval
from shared.messages.market import Candle
from tests.unit.agent.backtest.support import price

START = datetime(2023, 3, 1, tzinfo=UTC)


def candle(minute: int, close: str) -> Candle:
    opened = START + timedelta(minutes=minute)
    return Candle(
        venue="paper",
        symbol="BTC/USDT",
        interval="1m",
        open_time=opened,
        close_time=opened + timedelta(minutes=1),
        open=close,
        high=close,
        low=close,
        close=close,
        volume="1",
        ts_event=opened + timedelta(minutes=1),
    )


class FakeRepository:
    """``CandleRepository.recent``'s contract: up to ``limit`` latest before ``end``, oldest first."""

    def __init__(self, candles: list[Candle]) -> None:
        self.candles = candles
        self.calls = 0

    async def recent(
        self, venue: str, symbol: str, interval: str, limit: int, end: datetime | None = None
    ) -> list[Candle]:
        self.calls += 1
        assert (venue, symbol, interval) == ("paper", "BTC/USDT", "1m")
        before = [c for c in self.candles if end is None or c.open_time < end]
        return before[-limit:]


async def test_pages_are_joined_oldest_first_within_the_period(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stored, "PAGE_SIZE", 4)
    repository = FakeRepository([candle(m, str(100 + m)) for m in range(20)])
    loaded = await stored.load_candles(
        repository,
        "paper",
        "BTC/USDT",
        Interval.M1,
        START + timedelta(minutes=3),
        START + timedelta(minutes=13),
    )
    assert [int(c.close) for c in loaded] == list(range(103, 113))
    assert repository.calls == 3  # 9..12, 5..8, 1..4 (which reaches the start)


async def test_the_tool_backtests_what_it_loaded() -> None:
    closes = ["100", "90", "92", "110", "111", "112"]
    repository = FakeRepository([candle(m, c) for m, c in enumerate(closes)])
    rule = BacktestRule((price("<", "95"),), Sizing(amount=Decimal(1)), ExitPolicy((price(">", "105"),)))
    result = await stored.backtest_stored(
        repository,
        rule,
        "paper",
        "BTC/USDT",
        Interval.M1,
        START,
        START + timedelta(hours=1),
        Settings(cash=Decimal(1000)),
    )
    # buy at 2's open (92, flat candles), sell at 4's open (111)
    assert [(t.entry_price, t.exit_price) for t in result.trades] == [(92, 111)]
    assert result.final_equity == Decimal(1000) - Decimal("92.092") + Decimal("110.889")
    with pytest.raises(ValueError, match="no stored paper BTC/USDT 1m candles"):
        await stored.backtest_stored(
            repository, rule, "paper", "BTC/USDT", Interval.M1, START - timedelta(days=2), START
        )
    with pytest.raises(ValueError, match="start before end"):
        await stored.load_candles(repository, "paper", "BTC/USDT", Interval.M1, START, START)
