"""Orders, fills, balances, positions and reconciliation checkpoints: the executor's tables.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25

Same shape as 0001 and 0002: tables, then privileges (everything revoked, then granted), then RLS
enabled and forced. These tables are written by the executor alone (``service_role``, which
bypasses RLS); users may only read their own rows, so there is one SELECT policy per table and
no write grant to ``authenticated`` at all: a user cannot forge a fill or edit a balance.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

API_ROLES = "anon, authenticated, service_role"
TABLES = ("orders", "fills", "balances", "positions", "reconciliation_checkpoints")
STATUSES = (
    "'initialized', 'submitted', 'accepted', 'partially_filled', 'filled', 'pending_cancel', "
    "'canceled', 'rejected', 'expired'"
)


def _user_id(table: str, *, primary: bool = False) -> sa.Column:  # type: ignore[type-arg]
    if primary:
        return sa.Column("user_id", sa.Uuid(), nullable=False)
    return sa.Column("user_id", sa.Uuid(), server_default=sa.text("auth.uid()"), nullable=False)


def _user_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["user_id"], ["users.id"], name=f"fk_{table}_user_id_users", ondelete="CASCADE"
    )


def _create_tables() -> None:
    amount = sa.Numeric(38, 18)
    now = sa.func.now()
    op.create_table(
        "orders",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        _user_id("orders"),
        sa.Column("venue", sa.Text(), nullable=False),
        sa.Column("symbol", sa.Text(), nullable=False),
        sa.Column("side", sa.Text(), nullable=False),
        sa.Column("order_type", sa.Text(), nullable=False),
        sa.Column("time_in_force", sa.Text(), nullable=True),
        sa.Column("intent_id", sa.Text(), nullable=False),
        sa.Column("client_order_id", sa.Text(), nullable=False),
        sa.Column("correlation_id", sa.Text(), nullable=True),
        sa.Column("requested_qty", amount, nullable=True),
        sa.Column("requested_quote_qty", amount, nullable=True),
        sa.Column("limit_price", amount, nullable=True),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("reject_reason", sa.Text(), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("not_found_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("published_status", sa.Text(), nullable=True),
        sa.Column("venue_order_id", sa.Text(), nullable=True),
        sa.Column("venue_status", sa.Text(), nullable=True),
        sa.Column("filled_qty", amount, server_default=sa.text("0"), nullable=False),
        sa.Column("filled_quote_qty", amount, server_default=sa.text("0"), nullable=False),
        sa.Column("avg_price", amount, nullable=True),
        sa.Column("venue_updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=now, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=now, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_orders"),
        _user_fk("orders"),
        sa.UniqueConstraint("venue", "client_order_id", name="uq_orders_venue_client_order_id"),
        sa.UniqueConstraint("venue", "intent_id", name="uq_orders_venue_intent_id"),
        sa.CheckConstraint("venue IN ('paper', 'testnet', 'live')", name="ck_orders_venue_known"),
        sa.CheckConstraint("side IN ('buy', 'sell')", name="ck_orders_side_known"),
        sa.CheckConstraint("order_type IN ('market', 'limit')", name="ck_orders_order_type_known"),
        sa.CheckConstraint(f"status IN ({STATUSES})", name="ck_orders_status_known"),
        sa.CheckConstraint(
            "requested_qty IS NOT NULL OR requested_quote_qty IS NOT NULL", name="ck_orders_has_quantity"
        ),
        sa.CheckConstraint(
            "filled_qty >= 0 AND filled_quote_qty >= 0", name="ck_orders_filled_not_negative"
        ),
    )
    op.create_table(
        "fills",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        _user_id("fills"),
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("venue", sa.Text(), nullable=False),
        sa.Column("symbol", sa.Text(), nullable=False),
        sa.Column("trade_id", sa.Text(), nullable=False),
        sa.Column("side", sa.Text(), nullable=False),
        sa.Column("quantity", amount, nullable=False),
        sa.Column("price", amount, nullable=False),
        sa.Column("commission", amount, nullable=False),
        sa.Column("commission_asset", sa.Text(), nullable=False),
        sa.Column("traded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=now, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_fills"),
        _user_fk("fills"),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name="fk_fills_order_id_orders", ondelete="CASCADE"),
        sa.UniqueConstraint(
            "user_id", "venue", "symbol", "trade_id", name="uq_fills_user_id_venue_symbol_trade_id"
        ),
        sa.CheckConstraint("quantity > 0 AND price > 0 AND commission >= 0", name="ck_fills_amounts_sane"),
    )
    op.create_index("ix_fills_order_id", "fills", ["order_id"])
    for table, key, columns in (
        ("balances", "asset", [sa.Column("free", amount, nullable=False), sa.Column("locked", amount, nullable=False)]),
        ("positions", "symbol", [sa.Column("quantity", amount, nullable=False), sa.Column("quote_spent", amount, nullable=False)]),
        ("reconciliation_checkpoints", "symbol", [sa.Column("fills_until", sa.DateTime(timezone=True), nullable=False)]),
    ):
        op.create_table(
            table,
            _user_id(table, primary=True),
            sa.Column("venue", sa.Text(), nullable=False),
            sa.Column(key, sa.Text(), nullable=False),
            *columns,
            sa.Column("updated_at", sa.DateTime(timezone=True), server_default=now, nullable=False),
            sa.PrimaryKeyConstraint("user_id", "venue", key, name=f"pk_{table}"),
            _user_fk(table),
        )


GRANTS: tuple[str, ...] = (
    f"REVOKE ALL ON {', '.join(TABLES)} FROM PUBLIC, {API_ROLES}",
    f"GRANT SELECT ON {', '.join(TABLES)} TO authenticated",
    f"GRANT SELECT, INSERT, UPDATE, DELETE ON {', '.join(TABLES)} TO service_role",
)

POLICIES: tuple[str, ...] = tuple(
    statement
    for table in TABLES
    for statement in (
        f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY",
        f"""CREATE POLICY {table}_select_own ON {table} FOR SELECT TO authenticated
            USING (user_id = (SELECT auth.uid()))""",
    )
)


def upgrade() -> None:
    _create_tables()
    for statement in (*GRANTS, *POLICIES):
        op.execute(statement)


def downgrade() -> None:
    # Policies and grants go with the tables.
    for table in reversed(TABLES):
        op.drop_table(table)
