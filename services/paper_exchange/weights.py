"""Request weight: what each REST call costs and how much each IP used this minute.

Binance reports the running total in ``X-MBX-USED-WEIGHT-1M`` and answers 429 (-1003, with
Retry-After) past the limit; doing the same lets clients' own throttles be tested honestly.
"""

from __future__ import annotations

from collections.abc import Mapping

MINUTE_MS = 60_000


def _depth_weight(params: Mapping[str, str]) -> int:
    try:
        limit = int(params.get("limit", "100"))
    except ValueError:
        return 5
    return 5 if limit <= 100 else 25 if limit <= 500 else 50 if limit <= 1000 else 250


def _many(params: Mapping[str, str], one: int, all_: int) -> int:
    return one if "symbol" in params else all_


def _ticker_24hr_weight(params: Mapping[str, str]) -> int:
    if "symbol" in params:
        return 2
    if "symbols" in params:
        count = params["symbols"].count(",") + 1
        return 2 if count <= 20 else 40 if count <= 100 else 80
    return 80


def weight_of(path: str, params: Mapping[str, str]) -> int:
    """Binance's documented weight of a market-data request (1 for paths it does not list)."""
    match path:
        case "/api/v3/exchangeInfo":
            return 20
        case "/api/v3/depth":
            return _depth_weight(params)
        case "/api/v3/trades" | "/api/v3/historicalTrades":
            return 25
        case "/api/v3/aggTrades":
            return 4
        case "/api/v3/klines" | "/api/v3/uiKlines" | "/api/v3/avgPrice":
            return 2
        case "/api/v3/ticker/price" | "/api/v3/ticker/bookTicker":
            return _many(params, 2, 4)
        case "/api/v3/ticker/24hr":
            return _ticker_24hr_weight(params)
        case _:
            return 1


class WeightMeter:
    """Weight used per client IP in the current wall-clock minute."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._used: dict[str, tuple[int, int]] = {}

    def charge(self, client: str, weight: int, now_ms: int) -> tuple[int, int]:
        """Add ``weight``; return ``(used this minute, ms until the minute ends)``."""
        minute = now_ms // MINUTE_MS
        window, used = self._used.get(client, (minute, 0))
        if window != minute:
            if len(self._used) > 10_000:  # forget idle clients
                self._used = {k: v for k, v in self._used.items() if v[0] == minute}
            used = 0
        used += weight
        self._used[client] = (minute, used)
        return used, (minute + 1) * MINUTE_MS - now_ms
