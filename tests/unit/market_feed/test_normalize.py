"""ccxt structures become exact messages, or a BadVenueData that says why."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from services.market_feed.normalize import BadVenueData, ohlcv_to_candle, trade_to_tick
from shared.domain.intervals import Interval

NOW = datetime(2023, 3, 1, tzinfo=UTC)


def ccxt_trade(**overrides: object) -> dict[str, object]:
    trade: dict[str, object] = {
        "id": "12345",
        "timestamp": 1677628800123,
        "symbol": "BTC/USDT",
        "side": "buy",
        "price": 23140.48,
        "amount": 0.1,
        "info": {"e": "trade", "t": 12345, "p": "23140.48000000", "q": "0.10000000"},
    }
    trade.update(overrides)
    return trade


def test_trade_prices_come_from_the_venue_strings_not_floats() -> None:
    tick = trade_to_tick("paper", ccxt_trade(), NOW)
    assert tick.price == Decimal("23140.48000000")
    assert tick.quantity == Decimal("0.1")
    assert tick.trade_id == "12345" and tick.aggressor_side == "buy"
    assert tick.ts_event == datetime(2023, 3, 1, 0, 0, 0, 123000, tzinfo=UTC)


def test_rest_trades_use_price_and_qty_fields() -> None:
    tick = trade_to_tick("paper", ccxt_trade(info={"id": 1, "price": "1.5", "qty": "2"}), NOW)
    assert (tick.price, tick.quantity) == (Decimal("1.5"), Decimal(2))


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"timestamp": None}, "integer timestamp"),
        ({"info": {"p": "abc", "q": "1"}}, "decimal price"),
        ({"info": {"p": "-5", "q": "1"}}, "price"),
        ({"info": {"p": "NaN", "q": "1"}}, "price"),
        ({"symbol": "???"}, "symbol"),
    ],
)
def test_malformed_trades_raise_bad_venue_data_with_the_reason(
    overrides: dict[str, object], reason: str
) -> None:
    with pytest.raises(BadVenueData, match=reason):
        trade_to_tick("paper", ccxt_trade(**overrides), NOW)


def test_ohlcv_floats_become_the_venue_decimals() -> None:
    candle = ohlcv_to_candle(
        "paper",
        "BTC/USDT",
        Interval.M1,
        [1677628800000, 23140.48, 23150.77, 23128.52, 23142.31, 2.131777],
        NOW,
    )
    assert (candle.open, candle.high, candle.low, candle.close, candle.volume) == (
        Decimal("23140.48"),
        Decimal("23150.77"),
        Decimal("23128.52"),
        Decimal("23142.31"),
        Decimal("2.131777"),
    )
    assert candle.close_time == datetime(2023, 3, 1, 0, 1, tzinfo=UTC)


@pytest.mark.parametrize("row", [[1, 2, 3], ["x", 1, 1, 1, 1, 1], [0, 1.0, 0.5, 2.0, 1.0, 1.0]])
def test_malformed_ohlcv_rows_raise(row: list[object]) -> None:
    with pytest.raises(BadVenueData):
        ohlcv_to_candle("paper", "BTC/USDT", Interval.M1, row, NOW)
