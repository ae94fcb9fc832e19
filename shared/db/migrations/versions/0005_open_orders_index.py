"""An index on each user's open orders, read by the risk gate in every decision.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28

Partial (open statuses only): finished orders pile up forever, open ones stay few.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op
from sqlalchemy import text

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN_STATUSES = "'accepted', 'initialized', 'partially_filled', 'pending_cancel', 'submitted'"
"""Written out, not imported: a migration must not change when the code's statuses do."""


def upgrade() -> None:
    op.create_index(
        "ix_orders_open_by_user",
        "orders",
        ["user_id", "venue"],
        postgresql_where=text(f"status IN ({OPEN_STATUSES})"),
    )


def downgrade() -> None:
    op.drop_index("ix_orders_open_by_user", table_name="orders")
