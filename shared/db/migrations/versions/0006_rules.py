"""Standing rules and their firings (the rules engine's state and outbox).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02

``rules`` is user-managed, like ``exchange_keys``: through the Data API a user may read, create,
change and delete their own rules, column by column; the counters the engine keeps (``fires``,
``last_fired_at``, ``last_intent_id``) are granted to nobody but ``service_role``. A trigger stamps
``updated_at`` on every change, which is what the engine's incremental reload reads, so a change
made by any writer is seen.

``rule_firings`` is the engine's outbox and the history of firings: one row per firing, written in
the transaction that marks the rule fired, holding the exact intent message to publish. Users read
their own firings; only services write.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

API_ROLES = "anon, authenticated, service_role"
TABLES = ("rules", "rule_firings")
OWN_ROWS = "user_id = (SELECT auth.uid())"


def _create_tables() -> None:
    when = sa.DateTime(timezone=True)
    now = sa.func.now()
    op.create_table(
        "rules",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("user_id", sa.Uuid(), server_default=sa.text("auth.uid()"), nullable=False),
        sa.Column("venue", sa.Text(), server_default=sa.text("'paper'"), nullable=False),
        sa.Column("symbol", sa.Text(), nullable=False),
        sa.Column("definition", postgresql.JSONB(), nullable=False),
        sa.Column("status", sa.Text(), server_default=sa.text("'active'"), nullable=False),
        sa.Column("fire_once", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("fires", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("last_fired_at", when, nullable=True),
        sa.Column("last_intent_id", sa.Text(), nullable=True),
        sa.Column("created_at", when, server_default=now, nullable=False),
        sa.Column("updated_at", when, server_default=now, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_rules"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_rules_user_id_users", ondelete="CASCADE"),
        sa.CheckConstraint(
            "status IN ('active', 'paused', 'fired', 'deleted')", name="ck_rules_status_known"
        ),
        sa.CheckConstraint("venue IN ('paper', 'testnet', 'live')", name="ck_rules_venue_known"),
        sa.CheckConstraint("fires >= 0", name="ck_rules_fires_non_negative"),
    )
    op.create_index(
        "ix_rules_active_venue_symbol",
        "rules",
        ["venue", "symbol"],
        postgresql_where=sa.text("status = 'active'"),
    )
    op.create_index("ix_rules_venue_updated_at", "rules", ["venue", "updated_at"])
    op.create_index("ix_rules_user_id_created_at", "rules", ["user_id", "created_at"])
    op.create_table(
        "rule_firings",
        sa.Column("intent_id", sa.Text(), nullable=False),
        sa.Column("rule_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("created_at", when, server_default=now, nullable=False),
        sa.Column("published_at", when, nullable=True),
        sa.PrimaryKeyConstraint("intent_id", name="pk_rule_firings"),
        sa.ForeignKeyConstraint(
            ["rule_id"], ["rules.id"], name="fk_rule_firings_rule_id_rules", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_rule_firings_user_id_users", ondelete="CASCADE"
        ),
        sa.UniqueConstraint("rule_id", "seq", name="uq_rule_firings_rule_id_seq"),
        sa.CheckConstraint("seq >= 1", name="ck_rule_firings_seq_positive"),
    )
    op.create_index(
        "ix_rule_firings_outbox",
        "rule_firings",
        ["created_at"],
        postgresql_where=sa.text("published_at IS NULL"),
    )


TOUCH: tuple[str, ...] = (
    """CREATE FUNCTION rules_touch() RETURNS trigger LANGUAGE plpgsql AS $fn$
        BEGIN
            NEW.updated_at := now();
            RETURN NEW;
        END
        $fn$""",
    "CREATE TRIGGER rules_touch BEFORE UPDATE ON rules FOR EACH ROW EXECUTE FUNCTION rules_touch()",
    "REVOKE ALL ON FUNCTION rules_touch() FROM PUBLIC",
)

# Column lists spelled out, as in 0002: a column added later stays invisible until granted.
GRANTS: tuple[str, ...] = (
    f"REVOKE ALL ON {', '.join(TABLES)} FROM PUBLIC, {API_ROLES}",
    "GRANT SELECT ON rules, rule_firings TO authenticated",
    "GRANT INSERT (id, user_id, venue, symbol, definition, status, fire_once) ON rules TO authenticated",
    "GRANT UPDATE (symbol, definition, status, fire_once) ON rules TO authenticated",
    "GRANT DELETE ON rules TO authenticated",
    "GRANT SELECT, INSERT, UPDATE, DELETE ON rules, rule_firings TO service_role",
)

POLICIES: tuple[str, ...] = (
    *(
        statement
        for table in TABLES
        for statement in (
            f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
            f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY",
            f"CREATE POLICY {table}_select_own ON {table} FOR SELECT TO authenticated USING ({OWN_ROWS})",
        )
    ),
    f"CREATE POLICY rules_insert_own ON rules FOR INSERT TO authenticated WITH CHECK ({OWN_ROWS})",
    f"""CREATE POLICY rules_update_own ON rules FOR UPDATE TO authenticated
        USING ({OWN_ROWS}) WITH CHECK ({OWN_ROWS})""",
    f"CREATE POLICY rules_delete_own ON rules FOR DELETE TO authenticated USING ({OWN_ROWS})",
)


def upgrade() -> None:
    _create_tables()
    for statement in (*TOUCH, *GRANTS, *POLICIES):
        op.execute(statement)


def downgrade() -> None:
    # Policies, grants and the trigger go with the tables.
    for table in reversed(TABLES):
        op.drop_table(table)
    op.execute("DROP FUNCTION rules_touch()")
