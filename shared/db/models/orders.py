"""Orders and their fills. Owned by: executor. Others read-only.

Columns we decided (``requested_qty``, ``requested_quote_qty``, ``limit_price``, ``status``) are
kept apart from what the venue reports (``venue_*``, ``filled_qty``, ``filled_quote_qty``,
``avg_price``), the way freqtrade keeps its ``ft_`` columns: reconciliation compares the two
instead of overwriting our intent with the venue's view.

``published_status`` is a tiny outbox: the last status whose event reached JetStream. A crash
between the database commit and the publish leaves it behind ``status``, and reconciliation
publishes the missing event with the same deterministic message id. ``fills.published`` does the
same for fills.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from shared.db.base import Base
from shared.domain.enums import OrderStatus
from shared.domain.order_fsm import OPEN

_STATUS_SQL = ", ".join(f"'{status}'" for status in OrderStatus)
OPEN_STATUS_SQL = ", ".join(sorted(f"'{status.value}'" for status in OPEN))
"""The statuses of an order the venue may still change, as SQL (the open-orders index's predicate)."""


class Order(Base):
    """One order of one user on one venue, keyed by our deterministic client order id."""

    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("venue", "client_order_id"),
        UniqueConstraint("venue", "intent_id"),
        CheckConstraint("venue IN ('paper', 'testnet', 'live')", name="venue_known"),
        CheckConstraint("side IN ('buy', 'sell')", name="side_known"),
        CheckConstraint("order_type IN ('market', 'limit')", name="order_type_known"),
        CheckConstraint(f"status IN ({_STATUS_SQL})", name="status_known"),
        CheckConstraint("requested_qty IS NOT NULL OR requested_quote_qty IS NOT NULL", name="has_quantity"),
        CheckConstraint("filled_qty >= 0 AND filled_quote_qty >= 0", name="filled_not_negative"),
        # The risk gate reads a user's open orders in every decision: a few rows of a large table.
        Index(
            "ix_orders_open_by_user",
            "user_id",
            "venue",
            postgresql_where=text(f"status IN ({OPEN_STATUS_SQL})"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, server_default=text("gen_random_uuid()"))
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), server_default=text("auth.uid()")
    )
    venue: Mapped[str] = mapped_column(Text)
    symbol: Mapped[str] = mapped_column(Text)
    side: Mapped[str] = mapped_column(Text)
    order_type: Mapped[str] = mapped_column(Text)
    time_in_force: Mapped[str | None] = mapped_column(Text)
    intent_id: Mapped[str] = mapped_column(Text)
    client_order_id: Mapped[str] = mapped_column(Text)
    correlation_id: Mapped[str | None] = mapped_column(Text)
    # -- decided by us
    requested_qty: Mapped[Decimal | None] = mapped_column()
    requested_quote_qty: Mapped[Decimal | None] = mapped_column()
    limit_price: Mapped[Decimal | None] = mapped_column()
    status: Mapped[str] = mapped_column(Text)
    reject_reason: Mapped[str | None] = mapped_column(Text)
    submitted_at: Mapped[datetime | None] = mapped_column()
    not_found_count: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    published_status: Mapped[str | None] = mapped_column(Text)
    # -- reported by the venue
    venue_order_id: Mapped[str | None] = mapped_column(Text)
    venue_status: Mapped[str | None] = mapped_column(Text)
    filled_qty: Mapped[Decimal] = mapped_column(server_default=text("0"))
    filled_quote_qty: Mapped[Decimal] = mapped_column(server_default=text("0"))
    avg_price: Mapped[Decimal | None] = mapped_column()
    venue_updated_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())


class Fill(Base):
    """One trade of one order, exactly once.

    Unique on ``(user_id, venue, symbol, trade_id)`` rather than ``(venue, trade_id)``: Binance
    numbers trades per symbol, and two of our users can be the two sides of one trade.
    """

    __tablename__ = "fills"
    __table_args__ = (
        UniqueConstraint("user_id", "venue", "symbol", "trade_id"),
        CheckConstraint("quantity > 0 AND price > 0 AND commission >= 0", name="amounts_sane"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, server_default=text("gen_random_uuid()"))
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), server_default=text("auth.uid()")
    )
    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    venue: Mapped[str] = mapped_column(Text)
    symbol: Mapped[str] = mapped_column(Text)
    trade_id: Mapped[str] = mapped_column(Text)
    side: Mapped[str] = mapped_column(Text)
    quantity: Mapped[Decimal] = mapped_column()
    price: Mapped[Decimal] = mapped_column()
    commission: Mapped[Decimal] = mapped_column()
    commission_asset: Mapped[str] = mapped_column(Text)
    traded_at: Mapped[datetime] = mapped_column()
    published: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
