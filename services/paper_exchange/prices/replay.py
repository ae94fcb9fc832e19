"""Reading a Binance kline CSV to replay.

Two layouts are accepted, told apart by the first line:

* with a header, as the project's data files have it: ``open_time,open,high,low,close,volume``
  (extra columns ignored; ``open_time`` an ISO date like ``2023-03-01 00:00:00+00:00`` or epoch ms);
* Binance's raw 12-column export from data.binance.vision, headerless, ``open_time`` in epoch
  milliseconds (microseconds in files from 2025 on).

Rows must be consecutive 1-minute candles; a gap or a bad row raises ``CandleFileError`` naming
the line, because a silently skipped minute would make replayed ticks disagree with the file.
"""

from __future__ import annotations

import csv
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from services.paper_exchange.prices.candle import BadCandle, SourceCandle

MINUTE_MS = 60_000
_REQUIRED = ("open_time", "open", "high", "low", "close", "volume")
_RAW_COLUMNS = 12


class CandleFileError(ValueError):
    """The candle file cannot be replayed; the message names the file and line."""


def _open_time_ms(text: str) -> int:
    text = text.strip()
    if text.isdigit():
        value = int(text)
        return value // 1000 if value >= 10**14 else value  # microsecond exports (2025+)
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError(f"open_time {text!r} has no UTC offset")
    return int(moment.timestamp() * 1000)


def _decimal(text: str, column: str) -> Decimal:
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise ValueError(f"{column} {text!r} is not a number") from None
    if not value.is_finite():
        raise ValueError(f"{column} {text!r} is not a finite number")
    return value


def read_candles(path: Path) -> list[tuple[int, SourceCandle]]:
    """Return ``(open_time_ms, candle)`` for every row of ``path``, in file order."""
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.reader(handle))
    except OSError as e:
        raise CandleFileError(f"{path}: cannot read the candle file ({e.strerror})") from None
    rows = [row for row in rows if row and any(cell.strip() for cell in row)]
    if not rows:
        raise CandleFileError(f"{path}: the candle file is empty")
    first = [cell.strip().lower() for cell in rows[0]]
    if first and not first[0].replace(".", "").isdigit():
        missing = [name for name in _REQUIRED if name not in first]
        if missing:
            raise CandleFileError(
                f"{path}: line 1: header lacks {', '.join(missing)}; expected {','.join(_REQUIRED)}"
            )
        columns = [first.index(name) for name in _REQUIRED]
        body, first_line = rows[1:], 2
    else:
        if len(rows[0]) != _RAW_COLUMNS:
            raise CandleFileError(
                f"{path}: line 1: expected a header or Binance's {_RAW_COLUMNS}-column kline "
                f"export, found {len(rows[0])} columns"
            )
        columns, body, first_line = [0, 1, 2, 3, 4, 5], rows, 1
    if not body:
        raise CandleFileError(f"{path}: the candle file has a header but no candles")
    candles: list[tuple[int, SourceCandle]] = []
    for offset, row in enumerate(body):
        line = first_line + offset
        try:
            if len(row) <= max(columns):
                raise ValueError(f"expected at least {max(columns) + 1} columns, found {len(row)}")
            cells = [row[i] for i in columns]
            open_time = _open_time_ms(cells[0])
            candle = SourceCandle(*(_decimal(c, n) for c, n in zip(cells[1:], _REQUIRED[1:], strict=True)))
        except (ValueError, BadCandle) as e:
            raise CandleFileError(f"{path}: line {line}: {e}") from None
        if candles and open_time != candles[-1][0] + MINUTE_MS:
            raise CandleFileError(
                f"{path}: line {line}: expected consecutive 1-minute candles, open_time "
                f"{open_time} follows {candles[-1][0]}"
            )
        candles.append((open_time, candle))
    return candles
