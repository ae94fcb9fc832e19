"""Exchange keys: encrypted API key pairs per user and venue, ciphertexts hidden from users.

Revision ID: 0002
Revises: 0001
Create Date: 2025-11-25

Same shape as 0001: table, then privileges (everything revoked, then granted per column), then
RLS enabled and forced with one policy per command. What is new is the column-level SELECT
grant: ``authenticated`` may read a key's id, venue, label, hint and timestamps but never its
ciphertexts, so even a user's own session (or a compromised gateway acting as that user) cannot
pull them out. ``service_role`` (the executor) reads them.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

API_ROLES = "anon, authenticated, service_role"


def _create_table() -> None:
    op.create_table(
        "exchange_keys",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("user_id", sa.Uuid(), server_default=sa.text("auth.uid()"), nullable=False),
        sa.Column("venue", sa.Text(), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("api_key_hint", sa.Text(), nullable=False),
        sa.Column("api_key_ciphertext", sa.Text(), nullable=False),
        sa.Column("api_secret_ciphertext", sa.Text(), nullable=False),
        sa.Column("cipher", sa.Text(), nullable=False),
        sa.Column("key_version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("rotated_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_exchange_keys"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_exchange_keys_user_id_users", ondelete="CASCADE"
        ),
        sa.UniqueConstraint("user_id", "venue", "label", name="uq_exchange_keys_user_id_venue_label"),
        sa.CheckConstraint("venue IN ('paper', 'testnet', 'live')", name="ck_exchange_keys_venue_known"),
        sa.CheckConstraint("cipher IN ('vault', 'envelope')", name="ck_exchange_keys_cipher_known"),
        sa.CheckConstraint("length(label) BETWEEN 1 AND 64", name="ck_exchange_keys_label_length"),
        sa.CheckConstraint("length(api_key_hint) <= 4", name="ck_exchange_keys_hint_short"),
        sa.CheckConstraint("key_version >= 1", name="ck_exchange_keys_key_version_positive"),
    )


# One statement per string (asyncpg prepares each). Column lists are spelled out: a column added
# later stays invisible to users until a migration grants it on purpose.
GRANTS: tuple[str, ...] = (
    f"REVOKE ALL ON exchange_keys FROM PUBLIC, {API_ROLES}",
    "GRANT SELECT (id, venue, label, api_key_hint, created_at, rotated_at) ON exchange_keys TO authenticated",
    """GRANT INSERT (id, user_id, venue, label, api_key_hint, api_key_ciphertext, api_secret_ciphertext,
        cipher, key_version) ON exchange_keys TO authenticated""",
    """GRANT UPDATE (api_key_hint, api_key_ciphertext, api_secret_ciphertext, cipher, key_version,
        rotated_at) ON exchange_keys TO authenticated""",
    "GRANT DELETE ON exchange_keys TO authenticated",
    "GRANT SELECT, INSERT, UPDATE, DELETE ON exchange_keys TO service_role",
)

POLICIES: tuple[str, ...] = (
    "ALTER TABLE exchange_keys ENABLE ROW LEVEL SECURITY",
    "ALTER TABLE exchange_keys FORCE ROW LEVEL SECURITY",
    """CREATE POLICY exchange_keys_select_own ON exchange_keys FOR SELECT TO authenticated
        USING (user_id = (SELECT auth.uid()))""",
    """CREATE POLICY exchange_keys_insert_own ON exchange_keys FOR INSERT TO authenticated
        WITH CHECK (user_id = (SELECT auth.uid()))""",
    """CREATE POLICY exchange_keys_update_own ON exchange_keys FOR UPDATE TO authenticated
        USING (user_id = (SELECT auth.uid())) WITH CHECK (user_id = (SELECT auth.uid()))""",
    """CREATE POLICY exchange_keys_delete_own ON exchange_keys FOR DELETE TO authenticated
        USING (user_id = (SELECT auth.uid()))""",
)


def upgrade() -> None:
    _create_table()
    for statement in (*GRANTS, *POLICIES):
        op.execute(statement)


def downgrade() -> None:
    # Policies and grants go with the table.
    op.drop_table("exchange_keys")
