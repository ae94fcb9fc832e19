"""Reference prices: the latest trade wins, late trades do not, and the collar window has an anchor."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from services.risk_gate.references import ReferencePrices

T0 = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def test_nothing_is_known_until_a_trade_is_seen() -> None:
    references = ReferencePrices()
    assert references.latest("BTC/USDT") is None
    assert references.window_start("BTC/USDT", 300, T0) is None


def test_the_latest_trade_is_the_reference_and_a_late_older_trade_does_not_replace_it() -> None:
    references = ReferencePrices()
    references.observe("BTC/USDT", Decimal("30000.01"), T0)
    references.observe("BTC/USDT", Decimal("30100"), T0 + timedelta(seconds=2))
    references.observe("BTC/USDT", Decimal("29000"), T0 + timedelta(seconds=1))
    latest = references.latest("BTC/USDT")
    assert latest is not None and latest.price == Decimal(30100) and latest.at == T0 + timedelta(seconds=2)
    assert references.prices() == {"BTC/USDT": Decimal(30100)}


def test_the_window_anchor_is_the_first_price_inside_the_window() -> None:
    references = ReferencePrices()
    for second in range(0, 600, 10):
        references.observe("BTC/USDT", Decimal(30000 + second), T0 + timedelta(seconds=second))
    now = T0 + timedelta(seconds=590)
    anchor = references.window_start("BTC/USDT", 300, now)
    assert anchor is not None and anchor.price == Decimal(30290)  # 290 s is the first inside 590 - 300
    assert references.window_start("BTC/USDT", 5, now + timedelta(seconds=60)) is None


def test_history_stays_bounded_however_long_it_runs() -> None:
    references = ReferencePrices(history_s=60)
    for second in range(10_000):
        references.observe("ETH/USDT", Decimal(2000), T0 + timedelta(seconds=second))
    assert len(references._history["ETH/USDT"]) <= 2 * 60 + 1
    anchor = references.window_start("ETH/USDT", 60, T0 + timedelta(seconds=9_999))
    assert anchor is not None and anchor.at == T0 + timedelta(seconds=9_939)
