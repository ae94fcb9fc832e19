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


def weight_of(path: str, params: Mapping[str, str], method: str = "GET") -> int:
    """Binance's documented weight of a request (1 for paths it does not list)."""
    if path == "/api/v3/order" and method == "GET":
        return 4
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
        case "/api/v3/openOrders":
            return _many(params, 6, 80)
        case "/api/v3/allOrders" | "/api/v3/myTrades" | "/api/v3/account":
            return 20
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


class OrderCounter:
    """New orders per account in the current 10-second and day windows (the ORDERS limits).

    Binance counts orders the matching engine accepted and answers -1015 past a limit; a fixed
    window (as for request weight) is what its ``X-MBX-ORDER-COUNT-10S``/``-1D`` headers report.
    """

    def __init__(self, limit_10s: int, limit_1d: int) -> None:
        self.limit_10s, self.limit_1d = limit_10s, limit_1d
        self._counts: dict[str, tuple[int, int, int, int]] = {}  # key → (10s window, n, day, n)

    def counts(self, key: str, now_ms: int) -> tuple[int, int]:
        ten, day = now_ms // 10_000, now_ms // 86_400_000
        w10, n10, wd, nd = self._counts.get(key, (ten, 0, day, 0))
        return (n10 if w10 == ten else 0), (nd if wd == day else 0)

    def exceeded(self, key: str, now_ms: int) -> str | None:
        """The message of the limit a new order would break, or None."""
        n10, nd = self.counts(key, now_ms)
        if n10 >= self.limit_10s:
            return f"Too many new orders; current limit is {self.limit_10s} orders per TEN_SECONDS."
        if nd >= self.limit_1d:
            return f"Too many new orders; current limit is {self.limit_1d} orders per DAY."
        return None

    def add(self, key: str, now_ms: int) -> tuple[int, int]:
        n10, nd = self.counts(key, now_ms)
        self._counts[key] = (now_ms // 10_000, n10 + 1, now_ms // 86_400_000, nd + 1)
        return n10 + 1, nd + 1
