"""The declarative base every table derives from.

The naming convention gives every constraint and index a predictable name, so hand-written
migrations can refer to them and autogenerate compares them without spurious renames. The type
map makes ``Mapped[Decimal]`` an exact ``NUMERIC(38, 18)`` and ``Mapped[datetime]`` a
``timestamptz``: money never passes through a float, and time is never naive.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import DateTime, MetaData, Numeric
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION: dict[str, str] = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

PRICE = Numeric(38, 18)
"""Prices and quantities: 20 integer and 18 fractional digits, returned as ``Decimal``."""


class Base(DeclarativeBase):
    """Base of every model; its ``metadata`` is what Alembic compares the migrations against."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: dict[Any, Any] = {
        Decimal: PRICE,
        datetime: DateTime(timezone=True),
    }
