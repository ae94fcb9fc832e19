"""Closed OHLCV candles. Owned by: market_feed (writes as ``service_role``). Others read-only.

Public market data: RLS is on with a read policy for everyone; only ``service_role`` writes.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Text
from sqlalchemy.orm import Mapped, mapped_column

from shared.db.base import Base


class MarketCandle(Base):
    """One closed candle; the primary key is what ``upsert`` conflicts on."""

    __tablename__ = "market_candles"
    __table_args__ = (
        CheckConstraint("close_time > open_time", name="closes_after_open"),
        CheckConstraint("low <= high AND low > 0 AND volume >= 0", name="prices_sane"),
    )

    venue: Mapped[str] = mapped_column(Text, primary_key=True)
    symbol: Mapped[str] = mapped_column(Text, primary_key=True)
    interval: Mapped[str] = mapped_column(Text, primary_key=True)
    open_time: Mapped[datetime] = mapped_column(primary_key=True)
    close_time: Mapped[datetime]
    open: Mapped[Decimal]
    high: Mapped[Decimal]
    low: Mapped[Decimal]
    close: Mapped[Decimal]
    volume: Mapped[Decimal]
