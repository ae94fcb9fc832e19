"""The copilot's memory: conversation checkpoints in a private schema, and daily token usage.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03

``agent_memory`` holds LangGraph's Postgres checkpointer tables (``langgraph-checkpoint-postgres``
3.2: its ``MIGRATIONS`` 0 to 9, schema-qualified, with ``CREATE INDEX`` run plainly because a
migration is a transaction and the tables are new). Conversations are private text: the schema
is usable by ``service_role`` (the agent) and its owner only; ``anon`` and ``authenticated`` get
no ``USAGE``, so they cannot even name its tables. The versions are recorded in the saver's own
``checkpoint_migrations``, so its ``setup()`` finds nothing to do, and the agent checks at start
that the library expects no newer version (a library upgrade that adds one needs a migration).

The tables are created here rather than by ``setup()`` at service start so that the agent needs
no DDL rights, concurrent replicas cannot race on ``checkpoint_migrations`` (migrations queue on
an advisory lock), and ``downgrade`` removes every trace.

``agent_token_usage`` is the per-user daily token budget, shared by every agent replica: a user
reads their own usage, only services write it.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

API_ROLES = "anon, authenticated, service_role"
SCHEMA = "agent_memory"
SAVER_VERSION = 9
"""The last of the library's ``MIGRATIONS`` these tables are at (they count from 0)."""

CHECKPOINT_TABLES: tuple[str, ...] = (
    f"""CREATE TABLE {SCHEMA}.checkpoint_migrations (
        v INTEGER PRIMARY KEY
    )""",
    f"""CREATE TABLE {SCHEMA}.checkpoints (
        thread_id TEXT NOT NULL,
        checkpoint_ns TEXT NOT NULL DEFAULT '',
        checkpoint_id TEXT NOT NULL,
        parent_checkpoint_id TEXT,
        type TEXT,
        checkpoint JSONB NOT NULL,
        metadata JSONB NOT NULL DEFAULT '{{}}',
        PRIMARY KEY (thread_id, checkpoint_ns, checkpoint_id)
    )""",
    f"""CREATE TABLE {SCHEMA}.checkpoint_blobs (
        thread_id TEXT NOT NULL,
        checkpoint_ns TEXT NOT NULL DEFAULT '',
        channel TEXT NOT NULL,
        version TEXT NOT NULL,
        type TEXT NOT NULL,
        blob BYTEA,
        PRIMARY KEY (thread_id, checkpoint_ns, channel, version)
    )""",
    f"""CREATE TABLE {SCHEMA}.checkpoint_writes (
        thread_id TEXT NOT NULL,
        checkpoint_ns TEXT NOT NULL DEFAULT '',
        checkpoint_id TEXT NOT NULL,
        task_id TEXT NOT NULL,
        idx INTEGER NOT NULL,
        channel TEXT NOT NULL,
        type TEXT,
        blob BYTEA NOT NULL,
        task_path TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (thread_id, checkpoint_ns, checkpoint_id, task_id, idx)
    )""",
    f"CREATE INDEX checkpoints_thread_id_idx ON {SCHEMA}.checkpoints (thread_id)",
    f"CREATE INDEX checkpoint_blobs_thread_id_idx ON {SCHEMA}.checkpoint_blobs (thread_id)",
    f"CREATE INDEX checkpoint_writes_thread_id_idx ON {SCHEMA}.checkpoint_writes (thread_id)",
    f"INSERT INTO {SCHEMA}.checkpoint_migrations (v) SELECT generate_series(0, {SAVER_VERSION})",
)

SAVER_DATA = f"{SCHEMA}.checkpoints, {SCHEMA}.checkpoint_blobs, {SCHEMA}.checkpoint_writes"

MEMORY_GRANTS: tuple[str, ...] = (
    f"REVOKE ALL ON SCHEMA {SCHEMA} FROM PUBLIC, anon, authenticated",
    f"GRANT USAGE ON SCHEMA {SCHEMA} TO service_role",
    f"REVOKE ALL ON ALL TABLES IN SCHEMA {SCHEMA} FROM PUBLIC, {API_ROLES}",
    f"GRANT SELECT ON {SCHEMA}.checkpoint_migrations TO service_role",
    f"GRANT SELECT, INSERT, UPDATE, DELETE ON {SAVER_DATA} TO service_role",
)


def _create_token_usage() -> None:
    op.create_table(
        "agent_token_usage",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("tokens", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("user_id", "day", name="pk_agent_token_usage"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_agent_token_usage_user_id_users", ondelete="CASCADE"
        ),
        sa.CheckConstraint("tokens >= 0", name="ck_agent_token_usage_tokens_non_negative"),
    )


USAGE_GRANTS: tuple[str, ...] = (
    f"REVOKE ALL ON agent_token_usage FROM PUBLIC, {API_ROLES}",
    "GRANT SELECT ON agent_token_usage TO authenticated",
    "GRANT SELECT, INSERT, UPDATE, DELETE ON agent_token_usage TO service_role",
    "ALTER TABLE agent_token_usage ENABLE ROW LEVEL SECURITY",
    "ALTER TABLE agent_token_usage FORCE ROW LEVEL SECURITY",
    """CREATE POLICY agent_token_usage_select_own ON agent_token_usage FOR SELECT TO authenticated
        USING (user_id = (SELECT auth.uid()))""",
)


def upgrade() -> None:
    op.execute(f"CREATE SCHEMA {SCHEMA}")
    for statement in (*CHECKPOINT_TABLES, *MEMORY_GRANTS):
        op.execute(statement)
    _create_token_usage()
    for statement in USAGE_GRANTS:
        op.execute(statement)


def downgrade() -> None:
    # CASCADE: whatever a later saver added to the schema goes with it; the policy goes with its table.
    op.drop_table("agent_token_usage")
    op.execute(f"DROP SCHEMA {SCHEMA} CASCADE")
