"""The risk gate's state: limits, trading mode and lock, kill switches, intents, audit log.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26

Same shape as 0001-0003: tables, then privileges (everything revoked, then granted), then RLS
enabled and forced. Only services write (``service_role``); users read their own rows (and the
global kill switch), so a user can neither loosen a limit nor forge a decision through the Data API.

``risk_audit`` is append-only for everyone: ``service_role`` gets SELECT and INSERT only, and a
trigger refuses UPDATE, DELETE and TRUNCATE even from the owner or a superuser. Its ``user_id``
has no foreign key on purpose: the trail must outlive the user it is about.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

API_ROLES = "anon, authenticated, service_role"
WRITABLE = ("risk_limits", "risk_accounts", "kill_switches", "intents", "disabled_rules")
TABLES = (*WRITABLE, "risk_audit")
STATUSES = "'pending', 'approved', 'denied', 'rejected', 'expired', 'killed'"
NO_USER = "'00000000-0000-0000-0000-000000000000'::uuid"


def _user_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["user_id"], ["users.id"], name=f"fk_{table}_user_id_users", ondelete="CASCADE"
    )


def _create_tables() -> None:
    amount = sa.Numeric(38, 18)
    now = sa.func.now()
    when = sa.DateTime(timezone=True)
    op.create_table(
        "kill_switches",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("engaged", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("engaged_by", sa.Text(), nullable=True),
        sa.Column("engaged_at", when, nullable=True),
        sa.Column("released_by", sa.Text(), nullable=True),
        sa.Column("released_at", when, nullable=True),
        sa.Column("updated_at", when, server_default=now, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_kill_switches"),
        _user_fk("kill_switches"),
        sa.CheckConstraint("scope IN ('global', 'user')", name="ck_kill_switches_scope_known"),
        sa.CheckConstraint(
            "(scope = 'global') = (user_id IS NULL)", name="ck_kill_switches_user_iff_user_scope"
        ),
    )
    op.create_index(
        "uq_kill_switches_scope_user",
        "kill_switches",
        ["scope", sa.text(f"coalesce(user_id, {NO_USER})")],
        unique=True,
    )
    limits: tuple[sa.Column, ...] = (  # type: ignore[type-arg]
        sa.Column("allowed_symbols", sa.ARRAY(sa.Text()), nullable=True),
        sa.Column("max_order_notional", amount, nullable=False),
        sa.Column("max_order_quantity", amount, nullable=True),
        sa.Column("max_position_notional", amount, nullable=False),
        sa.Column("max_total_exposure", amount, nullable=False),
        sa.Column("max_open_orders", sa.Integer(), nullable=False),
        sa.Column("max_intents_per_minute", sa.Integer(), nullable=False),
        sa.Column("max_orders_per_minute", sa.Integer(), nullable=False),
        sa.Column("price_collar_pct", amount, nullable=False),
        sa.Column("cumulative_collar_pct", amount, nullable=False),
        sa.Column("collar_window_s", sa.Integer(), nullable=False),
        sa.Column("reference_max_age_s", sa.Integer(), nullable=False),
        sa.Column("rule_max_executions", sa.Integer(), nullable=False),
        sa.Column("rule_window_s", sa.Integer(), nullable=False),
        sa.Column("daily_loss_limit", amount, nullable=False),
        sa.Column("duplicate_window_s", sa.Integer(), nullable=False),
        sa.Column("approval_ttl_s", sa.Integer(), nullable=False),
        sa.Column("approval_max_move_pct", amount, nullable=False),
    )
    op.create_table(
        "risk_limits",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        *limits,
        sa.Column("updated_at", when, server_default=now, nullable=False),
        sa.PrimaryKeyConstraint("user_id", name="pk_risk_limits"),
        _user_fk("risk_limits"),
        sa.CheckConstraint(
            "max_order_notional > 0 AND coalesce(max_order_quantity, 1) > 0"
            " AND max_position_notional > 0 AND max_total_exposure > 0 AND daily_loss_limit > 0"
            " AND max_open_orders > 0 AND max_intents_per_minute > 0 AND max_orders_per_minute > 0"
            " AND collar_window_s > 0 AND reference_max_age_s > 0 AND rule_max_executions > 0"
            " AND rule_window_s > 0 AND duplicate_window_s > 0 AND approval_ttl_s > 0",
            name="ck_risk_limits_positive",
        ),
        sa.CheckConstraint(
            "price_collar_pct > 0 AND price_collar_pct <= 100"
            " AND cumulative_collar_pct > 0 AND cumulative_collar_pct <= 100"
            " AND approval_max_move_pct > 0 AND approval_max_move_pct <= 100",
            name="ck_risk_limits_percentages",
        ),
    )
    op.create_table(
        "risk_accounts",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("mode", sa.Text(), server_default=sa.text("'manual'"), nullable=False),
        sa.Column("reduce_only", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("reduce_only_since", when, nullable=True),
        sa.Column("day", sa.Date(), nullable=True),
        sa.Column("day_high_water", amount, nullable=True),
        sa.Column("updated_at", when, server_default=now, nullable=False),
        sa.PrimaryKeyConstraint("user_id", name="pk_risk_accounts"),
        _user_fk("risk_accounts"),
        sa.CheckConstraint("mode IN ('manual', 'autonomous')", name="ck_risk_accounts_mode_known"),
    )
    op.create_table(
        "intents",
        sa.Column("intent_id", sa.Text(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("correlation_id", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("rule_id", sa.Text(), nullable=True),
        sa.Column("venue", sa.Text(), nullable=False),
        sa.Column("symbol", sa.Text(), nullable=False),
        sa.Column("side", sa.Text(), nullable=False),
        sa.Column("order_type", sa.Text(), nullable=False),
        sa.Column("quantity", amount, nullable=True),
        sa.Column("quote_quantity", amount, nullable=True),
        sa.Column("limit_price", amount, nullable=True),
        sa.Column("digest", sa.CHAR(64), nullable=False),
        sa.Column("reference_price", amount, nullable=True),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("check_name", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("decided_by", sa.Text(), nullable=True),
        sa.Column("created_at", when, server_default=now, nullable=False),
        sa.Column("decided_at", when, nullable=True),
        sa.Column("expires_at", when, nullable=True),
        sa.Column("client_order_id", sa.Text(), nullable=True),
        sa.Column("settled", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("published", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("intent_id", name="pk_intents"),
        _user_fk("intents"),
        sa.CheckConstraint(f"status IN ({STATUSES})", name="ck_intents_status_known"),
        sa.CheckConstraint("venue IN ('paper', 'testnet', 'live')", name="ck_intents_venue_known"),
        sa.CheckConstraint("side IN ('buy', 'sell')", name="ck_intents_side_known"),
        sa.CheckConstraint("order_type IN ('market', 'limit')", name="ck_intents_order_type_known"),
        sa.CheckConstraint("source IN ('parser', 'model', 'rule')", name="ck_intents_source_known"),
        sa.CheckConstraint(
            "quantity IS NOT NULL OR quote_quantity IS NOT NULL", name="ck_intents_has_quantity"
        ),
    )
    op.create_index(
        "ix_intents_pending_expires_at",
        "intents",
        ["expires_at"],
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index("ix_intents_user_id_created_at", "intents", ["user_id", "created_at"])
    op.create_index(
        "ix_intents_rule_id_decided_at",
        "intents",
        ["rule_id", "decided_at"],
        postgresql_where=sa.text("rule_id IS NOT NULL"),
    )
    op.create_index(
        "ix_intents_approved_user_id_decided_at",
        "intents",
        ["user_id", "decided_at"],
        postgresql_where=sa.text("status = 'approved'"),
    )
    op.create_index(
        "ix_intents_in_flight",
        "intents",
        ["user_id", "venue"],
        postgresql_where=sa.text("status = 'approved' AND NOT settled"),
    )
    op.create_index(
        "ix_intents_outbox",
        "intents",
        ["created_at"],
        postgresql_where=sa.text("published IS DISTINCT FROM status"),
    )
    op.create_table(
        "disabled_rules",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("rule_id", sa.Text(), nullable=False),
        sa.Column("disabled_at", when, server_default=now, nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("re_enabled_at", when, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_disabled_rules"),
        _user_fk("disabled_rules"),
    )
    op.create_index(
        "uq_disabled_rules_user_id_rule_id_current",
        "disabled_rules",
        ["user_id", "rule_id"],
        unique=True,
        postgresql_where=sa.text("re_enabled_at IS NULL"),
    )
    op.create_table(
        "risk_audit",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("details", postgresql.JSONB(), server_default=sa.text("'{}'"), nullable=False),
        sa.Column("created_at", when, server_default=now, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_risk_audit"),
    )
    op.create_index("ix_risk_audit_user_id_id", "risk_audit", ["user_id", "id"])


# Fires for every role, superusers included; only DROP TABLE (the downgrade) gets past it.
APPEND_ONLY: tuple[str, ...] = (
    """CREATE FUNCTION risk_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $fn$
        BEGIN
            RAISE EXCEPTION 'risk_audit is append-only: % refused', TG_OP
                USING ERRCODE = 'insufficient_privilege';
        END
        $fn$""",
    """CREATE TRIGGER risk_audit_no_update_or_delete BEFORE UPDATE OR DELETE ON risk_audit
        FOR EACH ROW EXECUTE FUNCTION risk_audit_append_only()""",
    """CREATE TRIGGER risk_audit_no_truncate BEFORE TRUNCATE ON risk_audit
        FOR EACH STATEMENT EXECUTE FUNCTION risk_audit_append_only()""",
)

GRANTS: tuple[str, ...] = (
    f"REVOKE ALL ON {', '.join(TABLES)} FROM PUBLIC, {API_ROLES}",
    f"GRANT SELECT ON {', '.join(TABLES)} TO authenticated",
    f"GRANT SELECT, INSERT, UPDATE, DELETE ON {', '.join(WRITABLE)} TO service_role",
    "GRANT SELECT, INSERT ON risk_audit TO service_role",
    "REVOKE ALL ON FUNCTION risk_audit_append_only() FROM PUBLIC",
)

OWN_ROWS = "user_id = (SELECT auth.uid())"
POLICIES: tuple[str, ...] = (
    *(
        statement
        for table in TABLES
        for statement in (
            f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
            f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY",
        )
    ),
    *(
        f"CREATE POLICY {table}_select_own ON {table} FOR SELECT TO authenticated USING ({OWN_ROWS})"
        for table in TABLES
        if table != "kill_switches"
    ),
    # Everyone must be able to see that trading is stopped for everyone.
    f"""CREATE POLICY kill_switches_select_own_or_global ON kill_switches FOR SELECT
        TO authenticated USING (scope = 'global' OR {OWN_ROWS})""",
)


def upgrade() -> None:
    _create_tables()
    for statement in (*APPEND_ONLY, *GRANTS, *POLICIES):
        op.execute(statement)


def downgrade() -> None:
    # Policies, grants and triggers go with the tables.
    for table in reversed(TABLES):
        op.drop_table(table)
    op.execute("DROP FUNCTION risk_audit_append_only()")
