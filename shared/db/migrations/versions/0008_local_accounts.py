"""Local accounts: password hashes, refresh tokens and failed logins, all for services only.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28

Three tables the gateway's sign-in works on and nobody else sees. Unlike every earlier table
they are not user-owned data: a user's session may not read its own password hash, refresh
tokens or failed logins. So everything is revoked from the API roles and granted to
``service_role`` alone, and RLS is enabled and forced with no policy at all: even a grant
added by mistake later would show ``authenticated`` and ``anon`` no rows.

Refresh tokens are stored only as their SHA-256 (a 256-bit random token needs no slow hash:
nothing can be guessed), grouped in families: one sign-in, and every rotation after it.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

API_ROLES = "anon, authenticated, service_role"
TABLES = ("user_credentials", "refresh_tokens", "login_failures")


def _create_tables() -> None:
    when = sa.DateTime(timezone=True)
    now = sa.func.now()
    op.create_table(
        "user_credentials",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("updated_at", when, server_default=now, nullable=False),
        sa.PrimaryKeyConstraint("user_id", name="pk_user_credentials"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_user_credentials_user_id_users", ondelete="CASCADE"
        ),
        sa.CheckConstraint("password_hash LIKE '$argon2id$%'", name="ck_user_credentials_argon2id"),
    )
    op.create_table(
        "refresh_tokens",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("family_id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", when, server_default=now, nullable=False),
        sa.Column("expires_at", when, nullable=False),
        sa.Column("revoked_at", when, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_refresh_tokens"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_refresh_tokens_user_id_users", ondelete="CASCADE"
        ),
        sa.UniqueConstraint("token_hash", name="uq_refresh_tokens_token_hash"),
        sa.CheckConstraint("octet_length(token_hash) = 32", name="ck_refresh_tokens_token_hash_sha256"),
        sa.CheckConstraint("expires_at > created_at", name="ck_refresh_tokens_expires_after_creation"),
    )
    op.create_index("ix_refresh_tokens_family_id", "refresh_tokens", ["family_id"])
    op.create_index("ix_refresh_tokens_user_id", "refresh_tokens", ["user_id"])
    op.create_table(
        "login_failures",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("email", sa.Text(), nullable=False),
        sa.Column("client_ip", sa.Text(), nullable=False),
        sa.Column("failed_at", when, server_default=now, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_login_failures"),
    )
    op.create_index("ix_login_failures_email_failed_at", "login_failures", ["email", "failed_at"])
    op.create_index("ix_login_failures_client_ip_failed_at", "login_failures", ["client_ip", "failed_at"])


GRANTS: tuple[str, ...] = (
    f"REVOKE ALL ON {', '.join(TABLES)} FROM PUBLIC, {API_ROLES}",
    f"GRANT SELECT, INSERT, UPDATE, DELETE ON {', '.join(TABLES)} TO service_role",
)

# Enabled and forced, and no policy: no row for anyone who does not bypass RLS.
POLICIES: tuple[str, ...] = tuple(
    statement
    for table in TABLES
    for statement in (
        f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY",
    )
)


def upgrade() -> None:
    _create_tables()
    for statement in (*GRANTS, *POLICIES):
        op.execute(statement)


def downgrade() -> None:
    # Grants go with the tables.
    for table in reversed(TABLES):
        op.drop_table(table)
