"""Replaying a candle file: the trades on the stream print exactly the file's candles."""

from __future__ import annotations

import json
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets

pytestmark = pytest.mark.asyncio

ROWS = [  # open, high, low, close, volume: rising, falling, flat-ish, rising
    ("23140.48", "23150.77", "23128.52", "23142.31", "2.131777"),
    ("23143.89", "23148.80", "23137.61", "23137.77", "0.881378"),
    ("23141.80", "23156.46", "23136.83", "23153.44", "0.702146"),
    ("23152.98", "23158.23", "23152.98", "23158.23", "0.185996"),
] * 10


def write_csv(path: Path) -> Path:
    lines = ["open_time,open,high,low,close,volume"]
    for i, row in enumerate(ROWS):
        lines.append(f"2023-03-01 00:{i:02d}:00+00:00," + ",".join(row))
    path.write_text("\n".join(lines) + "\n")
    return path


async def test_replayed_trades_match_the_file_candles(start_paper: Any, tmp_path: Path) -> None:
    paper = start_paper(
        paper_candles_file=write_csv(tmp_path / "candles.csv"),
        paper_history_candles=0,
        paper_speed=300.0,
        paper_trades_per_candle=20,
    )
    by_minute: dict[int, list[dict[str, Any]]] = defaultdict(list)
    async with websockets.connect(f"{paper.ws}/ws/btcusdt@trade") as ws:
        async with httpx.AsyncClient(base_url=paper.http) as http:
            rows = (await http.get("/api/v3/klines", params={"symbol": "BTCUSDT", "interval": "1m"})).json()
        live_start = rows[0][0]  # with no history the first candle is the file's first row
        while len(by_minute) < 6:
            event = json.loads(await ws.recv())
            by_minute[(event["T"] - live_start) // 60_000].append(event)
    complete = sorted(by_minute)[1:-1]  # the first and last minutes may be partly seen
    assert len(complete) >= 4
    for index in complete:
        trades = by_minute[index]
        o, h, low, c, v = (Decimal(x) for x in ROWS[index])
        prices = [Decimal(t["p"]) for t in trades]
        assert len(trades) == 20
        assert (prices[0], max(prices), min(prices), prices[-1]) == (o, h, low, c)
        assert sum(Decimal(t["q"]) for t in trades) == v
