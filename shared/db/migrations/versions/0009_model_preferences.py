"""Model preferences: each user's choice of model provider, and their own provider's key, encrypted.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05

Same shape as 0002 (exchange keys): table, then privileges (everything revoked, then granted per
column), then RLS enabled and forced. Users read their own row through a column grant that leaves
out the key's ciphertext; writes are the gateway's, as ``service_role``, in one transaction with
their audit entry (like risk limits), so users get no write grant at all.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

API_ROLES = "anon, authenticated, service_role"


def _create_table() -> None:
    op.create_table(
        "model_preferences",
        sa.Column("user_id", sa.Uuid(), server_default=sa.text("auth.uid()"), nullable=False),
        sa.Column("choice", sa.Text(), server_default=sa.text("'auto'"), nullable=False),
        sa.Column("own_preset", sa.Text(), nullable=True),
        sa.Column("own_model", sa.Text(), nullable=True),
        sa.Column("own_base_url", sa.Text(), nullable=True),
        sa.Column("own_key_id", sa.Uuid(), nullable=True),
        sa.Column("own_key_ciphertext", sa.Text(), nullable=True),
        sa.Column("own_key_cipher", sa.Text(), nullable=True),
        sa.Column("own_key_version", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name="pk_model_preferences"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_model_preferences_user_id_users", ondelete="CASCADE"
        ),
        sa.CheckConstraint("length(choice) BETWEEN 1 AND 40", name="ck_model_preferences_choice_length"),
        sa.CheckConstraint(
            "own_preset IS NULL OR own_preset IN ('openai', 'gemini', 'openrouter', 'ollama', 'custom')",
            name="ck_model_preferences_own_preset_known",
        ),
        sa.CheckConstraint(
            "(own_preset IS NULL) = (own_model IS NULL)", name="ck_model_preferences_own_preset_with_model"
        ),
        sa.CheckConstraint(
            "own_base_url IS NULL OR own_preset IS NOT NULL",
            name="ck_model_preferences_own_base_url_with_preset",
        ),
        sa.CheckConstraint(
            "(own_key_id IS NULL) = (own_key_ciphertext IS NULL) AND (own_key_id IS NULL) = "
            "(own_key_cipher IS NULL) AND (own_key_id IS NULL) = (own_key_version IS NULL)",
            name="ck_model_preferences_own_key_complete",
        ),
        sa.CheckConstraint(
            "own_key_id IS NULL OR own_preset IS NOT NULL", name="ck_model_preferences_own_key_with_preset"
        ),
        sa.CheckConstraint(
            "choice <> 'own' OR own_preset IS NOT NULL", name="ck_model_preferences_own_choice_with_preset"
        ),
        sa.CheckConstraint(
            "own_key_cipher IS NULL OR own_key_cipher IN ('vault', 'envelope')",
            name="ck_model_preferences_own_key_cipher_known",
        ),
    )


# One statement per string (asyncpg prepares each). The column list is spelled out: a column added
# later stays invisible to users until a migration grants it on purpose.
GRANTS: tuple[str, ...] = (
    f"REVOKE ALL ON model_preferences FROM PUBLIC, {API_ROLES}",
    """GRANT SELECT (user_id, choice, own_preset, own_model, own_base_url, own_key_id, updated_at)
        ON model_preferences TO authenticated""",
    "GRANT SELECT, INSERT, UPDATE, DELETE ON model_preferences TO service_role",
)

POLICIES: tuple[str, ...] = (
    "ALTER TABLE model_preferences ENABLE ROW LEVEL SECURITY",
    "ALTER TABLE model_preferences FORCE ROW LEVEL SECURITY",
    """CREATE POLICY model_preferences_select_own ON model_preferences FOR SELECT TO authenticated
        USING (user_id = (SELECT auth.uid()))""",
)


def upgrade() -> None:
    _create_table()
    for statement in (*GRANTS, *POLICIES):
        op.execute(statement)


def downgrade() -> None:
    # Policies and grants go with the table.
    op.drop_table("model_preferences")
