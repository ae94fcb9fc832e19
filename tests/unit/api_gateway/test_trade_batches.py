"""Each symbol's batched trades leave as one frame, oldest first, and only once."""

from __future__ import annotations

import json

from services.api_gateway.trade_batches import TradeBatches


def trade(n: int) -> dict[str, object]:
    return {"trade_id": str(n), "price": "1.5", "quantity": "0.001", "ts": n}


def test_a_symbols_trades_leave_as_one_trades_frame_in_arrival_order() -> None:
    batches = TradeBatches()
    for n in (3, 1, 2):
        batches.add("BTC/USDT", trade(n))
    frame = batches.take("BTC/USDT")
    assert frame is not None
    assert json.loads(frame) == {
        "type": "trades",
        "symbol": "BTC/USDT",
        "trades": [trade(3), trade(1), trade(2)],
    }
    assert batches.take("BTC/USDT") is None  # taken once
    assert len(batches) == 0


def test_take_all_gives_every_symbol_its_own_frame_and_leaves_nothing() -> None:
    batches = TradeBatches()
    batches.add("BTC/USDT", trade(1))
    batches.add("ETH/USDT", trade(2))
    batches.add("BTC/USDT", trade(3))
    assert len(batches) == 3
    frames = {symbol: json.loads(frame)["trades"] for symbol, frame in batches.take_all()}
    assert frames == {"BTC/USDT": [trade(1), trade(3)], "ETH/USDT": [trade(2)]}
    assert batches.take_all() == [] and len(batches) == 0


def test_a_symbol_with_nothing_batched_has_no_frame() -> None:
    assert TradeBatches().take("BTC/USDT") is None
