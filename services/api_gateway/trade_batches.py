"""Each symbol's trades waiting for the hub's next flush, so 500 clients get one frame per flush
instead of one per trade (what Binance's ``@100ms`` streams do)."""

from __future__ import annotations

import json

from services.api_gateway.schemas import trades_event


class TradeBatches:
    """Trades by symbol since the last take, in arrival order."""

    def __init__(self) -> None:
        self._by_symbol: dict[str, list[dict[str, object]]] = {}

    def add(self, symbol: str, trade: dict[str, object]) -> None:
        self._by_symbol.setdefault(symbol, []).append(trade)

    def take(self, symbol: str) -> str | None:
        """``symbol``'s pending trades as one ``trades`` frame (serialised once, for every client),
        or ``None`` if none are pending; they are no longer pending afterwards."""
        trades = self._by_symbol.pop(symbol, None)
        return None if trades is None else json.dumps(trades_event(symbol, trades))

    def take_all(self) -> list[tuple[str, str]]:
        """Every symbol's frame, as ``(symbol, frame)``, emptying the batches."""
        symbols = list(self._by_symbol)
        return [(symbol, frame) for symbol in symbols if (frame := self.take(symbol)) is not None]

    def __len__(self) -> int:
        """Trades pending over all symbols."""
        return sum(len(trades) for trades in self._by_symbol.values())
