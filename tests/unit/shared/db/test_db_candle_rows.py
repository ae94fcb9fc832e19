"""Pure parts of the candle repository: row conversion, trimming, de-duplication."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from shared.db.models import MarketCandle
from shared.db.repositories.candles import last_per_key, to_candle, to_row, trim
from shared.messages.market import Candle

T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


def _candle(**changes: object) -> Candle:
    fields: dict[str, object] = {
        "ts_event": T0 + timedelta(minutes=1),
        "venue": "paper",
        "symbol": "btcusdt",
        "interval": "1m",
        "open_time": T0,
        "close_time": T0 + timedelta(minutes=1),
        "open": Decimal("23140.48000000"),
        "high": Decimal("23150"),
        "low": Decimal("23100.1"),
        "close": Decimal("23120.5"),
        "volume": Decimal("0.000001"),
    }
    fields.update(changes)
    return Candle.model_validate(fields)


@pytest.mark.parametrize(
    ("stored", "expected"),
    [
        ("23140.480000000000000000", "23140.48"),
        ("100.000000000000000000", "100"),
        ("0.000000000000000000", "0"),
        ("0.000001000000000000", "0.000001"),
        ("0.000000000000000001", "0.000000000000000001"),
        ("12345678901234567890.123456789012345678", "12345678901234567890.123456789012345678"),
        ("12345678901234567890.100000000000000000", "12345678901234567890.1"),
        ("5", "5"),
    ],
)
def test_trim_drops_padding_exactly(stored: str, expected: str) -> None:
    trimmed = trim(Decimal(stored))

    assert trimmed == Decimal(stored)
    assert trimmed.as_tuple() == Decimal(expected).as_tuple()  # "100" stays 100, not 1E+2
    assert format(trimmed, "f") == expected


def test_to_row_keeps_exact_values_and_the_unified_symbol() -> None:
    row = to_row(_candle())

    assert row == {
        "venue": "paper",
        "symbol": "BTC/USDT",
        "interval": "1m",
        "open_time": T0,
        "close_time": T0 + timedelta(minutes=1),
        "open": Decimal("23140.48000000"),
        "high": Decimal("23150"),
        "low": Decimal("23100.1"),
        "close": Decimal("23120.5"),
        "volume": Decimal("0.000001"),
    }
    assert all(type(row[name]) is Decimal for name in ("open", "high", "low", "close", "volume"))


def test_to_row_refuses_an_open_candle() -> None:
    with pytest.raises(ValueError, match="closed candle"):
        to_row(_candle(closed=False))


def test_digits_the_column_would_round_away_are_refused_before_a_row_is_made() -> None:
    with pytest.raises(ValueError, match="no more than 18 decimal places"):
        to_row(_candle(volume=Decimal("0.0000000000000000001")))
    # Trailing zeros beyond the scale lose nothing, so they pass.
    assert to_row(_candle(volume=Decimal("0.10000000000000000000000")))["volume"] == Decimal("0.1")


def test_to_candle_makes_a_closed_message_with_its_derived_id() -> None:
    row = MarketCandle(**to_row(_candle()))
    row.open = Decimal("23140.480000000000000000")

    candle = to_candle(row)

    assert candle.closed is True
    assert candle.message_id == Candle.id_for("paper", "BTC/USDT", "1m", int(T0.timestamp() * 1000))
    assert candle.ts_event == candle.close_time == T0 + timedelta(minutes=1)
    assert str(candle.open) == "23140.48"
    assert candle.model_dump(exclude={"ts_init", "open"}) == _candle().model_dump(
        exclude={"ts_init", "open", "message_id"}
    ) | {"message_id": candle.message_id}


def test_last_per_key_keeps_the_last_copy_in_first_seen_order() -> None:
    first = to_row(_candle(close=Decimal("23120.5")))
    other = to_row(_candle(open_time=T0 + timedelta(minutes=1), close_time=T0 + timedelta(minutes=2)))
    revised = to_row(_candle(close=Decimal("23149")))

    assert last_per_key([first, other, revised]) == [revised, other]
