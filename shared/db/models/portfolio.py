"""Balances, positions and reconciliation checkpoints. Owned by: executor. Others read-only.

Balances are the venue's word (its account snapshot); positions are ours, summed from fills in
the same transaction that stores each fill, so a fill moves a position exactly once.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from shared.db.base import Base


class Balance(Base):
    """One asset of one user's account on one venue, as the venue last reported it."""

    __tablename__ = "balances"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    venue: Mapped[str] = mapped_column(Text, primary_key=True)
    asset: Mapped[str] = mapped_column(Text, primary_key=True)
    free: Mapped[Decimal] = mapped_column()
    locked: Mapped[Decimal] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())


class Position(Base):
    """Net base quantity and net quote spent on one symbol, from our fills (commission included)."""

    __tablename__ = "positions"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    venue: Mapped[str] = mapped_column(Text, primary_key=True)
    symbol: Mapped[str] = mapped_column(Text, primary_key=True)
    quantity: Mapped[Decimal] = mapped_column()
    quote_spent: Mapped[Decimal] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())


class ReconciliationCheckpoint(Base):
    """Up to when fills of one user's symbol are known to be stored (the next sweep asks from here)."""

    __tablename__ = "reconciliation_checkpoints"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    venue: Mapped[str] = mapped_column(Text, primary_key=True)
    symbol: Mapped[str] = mapped_column(Text, primary_key=True)
    fills_until: Mapped[datetime] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())
