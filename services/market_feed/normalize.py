"""Turn ccxt's unified trade and OHLCV structures into our messages, exactly.

ccxt parses prices into floats; for trades we read Binance's own decimal strings from ``info``
(``p``/``q`` on the stream, ``price``/``qty`` over REST) so no float ever touches a price. OHLCV
rows only exist as floats in ccxt: ``Decimal(repr(x))`` recovers the venue's decimal exactly for
every value of at most 15 significant digits, which covers Binance's prices and volumes.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import ValidationError

from shared.domain.enums import OrderSide, VenueName
from shared.domain.intervals import Interval
from shared.messages.base import from_ms
from shared.messages.market import Candle, TradeTick


class BadVenueData(ValueError):
    """A structure from the venue that cannot become a message; the reason says why."""


def _decimal(value: Any, what: str) -> Decimal:
    if isinstance(value, float):
        value = repr(value)
    try:
        return Decimal(str(value))
    except (InvalidOperation, TypeError):
        raise BadVenueData(f"expected a decimal {what}, was {value!r}") from None


def trade_to_tick(venue: VenueName, trade: dict[str, Any], received: datetime) -> TradeTick:
    """Return the ``TradeTick`` of one ccxt trade; raise ``BadVenueData`` if it is malformed."""
    info = trade.get("info") or {}
    trade_id = trade.get("id") or info.get("t") or info.get("id")
    timestamp = trade.get("timestamp")
    if trade_id is None or not isinstance(timestamp, int):
        raise BadVenueData(f"expected a trade id and integer timestamp, was {trade_id!r}, {timestamp!r}")
    price = info.get("p", info.get("price", trade.get("price")))
    quantity = info.get("q", info.get("qty", trade.get("amount")))
    side = trade.get("side")
    try:
        return TradeTick(
            message_id=TradeTick.id_for(venue, str(trade.get("symbol")), str(trade_id)),
            venue=venue,
            symbol=str(trade.get("symbol")),
            trade_id=str(trade_id),
            price=_decimal(price, "price"),
            quantity=_decimal(quantity, "quantity"),
            aggressor_side=OrderSide(side) if side in ("buy", "sell") else None,
            ts_event=from_ms(timestamp),
            ts_init=received,
        )
    except ValidationError as e:
        raise BadVenueData(f"invalid trade {trade_id}: {_first_error(e)}") from None


def ohlcv_to_candle(
    venue: VenueName, symbol: str, interval: Interval, row: list[Any], received: datetime
) -> Candle:
    """Return the closed ``Candle`` of one ccxt OHLCV row ``[ts, o, h, l, c, v]``."""
    if len(row) < 6 or not isinstance(row[0], int):
        raise BadVenueData(f"expected [ts, o, h, l, c, v], was {row!r}")
    open_ms = row[0]
    try:
        return Candle(
            message_id=Candle.id_for(venue, symbol, interval, open_ms),
            venue=venue,
            symbol=symbol,
            interval=interval,
            open_time=from_ms(open_ms),
            close_time=from_ms(open_ms + interval.milliseconds),
            open=_decimal(row[1], "open"),
            high=_decimal(row[2], "high"),
            low=_decimal(row[3], "low"),
            close=_decimal(row[4], "close"),
            volume=_decimal(row[5], "volume"),
            closed=True,
            ts_event=from_ms(open_ms + interval.milliseconds),
            ts_init=received,
        )
    except ValidationError as e:
        raise BadVenueData(f"invalid {interval} candle at {open_ms}: {_first_error(e)}") from None


def _first_error(e: ValidationError) -> str:
    error = e.errors()[0]
    where = ".".join(str(p) for p in error["loc"])
    return f"{where}: {error['msg']}" if where else str(error["msg"])
