"""Reading Binance kline CSVs: both layouts, and a clear error naming the line for bad files."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from services.paper_exchange.prices.replay import CandleFileError, read_candles

HEADER = "open_time,open,high,low,close,volume\n"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "candles.csv"
    path.write_text(text)
    return path


def test_read_candles_header_layout_parses_iso_times_and_exact_decimals(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + "2023-03-01 00:00:00+00:00,23140.48,23150.77,23128.52,23142.31,2.131777\n"
                 "2023-03-01 00:01:00+00:00,23143.89,23148.8,23137.61,23137.77,0.881378\n")  # fmt: skip
    [(t0, first), (t1, _)] = read_candles(path)
    assert t0 == 1677628800000 and t1 == t0 + 60_000
    assert (first.open, first.high, first.low, first.close) == tuple(
        Decimal(x) for x in ("23140.48", "23150.77", "23128.52", "23142.31")
    )
    assert first.volume == Decimal("2.131777")


def test_read_candles_raw_binance_export_without_header_uses_epoch_ms(tmp_path: Path) -> None:
    row = (
        "1677628800000,23140.48,23150.77,23128.52,23142.31,2.131777,1677628859999,49337.3,80,1.2,27771.1,0\n"
    )
    row2 = row.replace("1677628800000", "1677628860000", 1)
    [(t0, candle), (t1, _)] = read_candles(write(tmp_path, row + row2))
    assert (t0, t1) == (1677628800000, 1677628860000)
    assert candle.close == Decimal("23142.31")


def test_read_candles_raw_export_in_microseconds_is_converted_to_ms(tmp_path: Path) -> None:
    row = "1735689600000000,1,2,0.5,1.5,10,1735689659999999,15,3,5,7.5,0\n"
    [(t0, _)] = read_candles(write(tmp_path, row))
    assert t0 == 1735689600000


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "empty"),
        (HEADER, "no candles"),
        ("open_time,open,high,low\n", "header lacks close, volume"),
        ("1,2,3\n", "12-column"),
        (HEADER + "2023-03-01 00:00:00+00:00,1,2,0.5,abc,1\n", "line 2: close 'abc' is not a number"),
        (HEADER + "2023-03-01 00:00:00+00:00,1,0.9,0.5,0.8,1\n", "line 2: expected low <="),
        (HEADER + "2023-03-01 00:00:00,1,2,0.5,1,1\n", "no UTC offset"),
        (HEADER + "2023-03-01 00:00:00+00:00,1,2,0.5,1,1\n2023-03-01 00:02:00+00:00,1,2,0.5,1,1\n",
         "line 3: expected consecutive 1-minute candles"),
        (HEADER + "2023-03-01 00:00:00+00:00,1,2,0.5,1,-1\n", "volume >= 0"),
    ],
)  # fmt: skip
def test_read_candles_bad_file_raises_error_naming_the_problem(
    tmp_path: Path, text: str, fragment: str
) -> None:
    with pytest.raises(CandleFileError, match=None) as error:
        read_candles(write(tmp_path, text))
    assert fragment in str(error.value)
    assert "candles.csv" in str(error.value)


def test_read_candles_missing_file_raises_candle_file_error(tmp_path: Path) -> None:
    with pytest.raises(CandleFileError, match="cannot read"):
        read_candles(tmp_path / "absent.csv")
