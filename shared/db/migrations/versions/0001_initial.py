"""Initial schema: Supabase roles and auth functions, users, watchlists, market candles, RLS.

Revision ID: 0001
Revises:
Create Date: 2025-11-25

Written by hand to read top to bottom:
1. the roles ``anon``, ``authenticated``, ``service_role`` and the ``auth`` schema with
   ``auth.uid()``, ``auth.role()``, ``auth.email()`` and ``auth.jwt()`` exactly as Supabase defines
   them. Each is created only when missing: on Supabase they already exist, belong to someone
   else, and must be left alone;
2. the tables;
3. privileges: everything revoked first (Supabase's default privileges grant ALL to the API roles
   on new tables), then granted per table and column;
4. RLS enabled *and forced* on every table, so even the owner goes through the policies; only
   ``service_role`` (BYPASSRLS) and superusers skip them.

Downgrade drops the tables and leaves the roles and ``auth`` functions: roles belong to the
whole cluster, and on Supabase the functions are not ours to drop.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

API_ROLES = "anon, authenticated, service_role"

CREATE_ROLES = """
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'anon') THEN
        CREATE ROLE anon NOLOGIN NOINHERIT;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'authenticated') THEN
        CREATE ROLE authenticated NOLOGIN NOINHERIT;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'service_role') THEN
        CREATE ROLE service_role NOLOGIN NOINHERIT BYPASSRLS;
    END IF;
END
$$;
"""

# SET LOCAL ROLE needs membership. Superusers (the embedded server) and Supabase's postgres
# already have it; a plain owner role gets it here.
GRANT_ROLES_TO_MIGRATOR = """
DO $$
DECLARE
    api_role text;
BEGIN
    FOREACH api_role IN ARRAY ARRAY['anon', 'authenticated', 'service_role'] LOOP
        IF NOT pg_has_role(current_user, api_role, 'MEMBER') THEN
            EXECUTE format('GRANT %I TO %I', api_role, current_user);
        END IF;
    END LOOP;
END
$$;
"""

# From supabase/auth migrations/20220224000811_update_auth_functions.up.sql and
# 20220531120530_add_auth_jwt_function.up.sql; the bodies are theirs, unchanged.
AUTH_FUNCTIONS: dict[str, str] = {
    "uid": """
        CREATE FUNCTION auth.uid() RETURNS uuid LANGUAGE sql STABLE AS $fn$
          SELECT coalesce(
            nullif(current_setting('request.jwt.claim.sub', true), ''),
            (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')
          )::uuid
        $fn$""",
    "role": """
        CREATE FUNCTION auth.role() RETURNS text LANGUAGE sql STABLE AS $fn$
          SELECT coalesce(
            nullif(current_setting('request.jwt.claim.role', true), ''),
            (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role')
          )::text
        $fn$""",
    "email": """
        CREATE FUNCTION auth.email() RETURNS text LANGUAGE sql STABLE AS $fn$
          SELECT coalesce(
            nullif(current_setting('request.jwt.claim.email', true), ''),
            (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'email')
          )::text
        $fn$""",
    "jwt": """
        CREATE FUNCTION auth.jwt() RETURNS jsonb LANGUAGE sql STABLE AS $fn$
          SELECT coalesce(
            nullif(current_setting('request.jwt.claim', true), ''),
            nullif(current_setting('request.jwt.claims', true), '')
          )::jsonb
        $fn$""",
}


def _create_auth_function_if_missing(name: str, ddl: str) -> None:
    op.execute(
        f"""
        DO $do$
        BEGIN
            IF NOT EXISTS (
                SELECT FROM pg_proc
                WHERE proname = '{name}' AND pronamespace = 'auth'::regnamespace AND pronargs = 0
            ) THEN
                EXECUTE $ddl${ddl}
                $ddl$;
            END IF;
        END
        $do$
        """
    )


def _create_tables() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("email", sa.Text(), nullable=False),
        sa.Column("display_name", sa.Text(), nullable=False),
        sa.Column("role", sa.Text(), server_default=sa.text("'user'"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("email", name="uq_users_email"),
        sa.CheckConstraint("email = lower(email)", name="ck_users_email_lowercase"),
        sa.CheckConstraint("role IN ('user', 'admin')", name="ck_users_role_known"),
    )
    op.create_table(
        "user_watchlists",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("user_id", sa.Uuid(), server_default=sa.text("auth.uid()"), nullable=False),
        sa.Column("symbol", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_user_watchlists"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_user_watchlists_user_id_users", ondelete="CASCADE"
        ),
        sa.UniqueConstraint("user_id", "symbol", name="uq_user_watchlists_user_id_symbol"),
    )
    price = sa.Numeric(38, 18)
    op.create_table(
        "market_candles",
        sa.Column("venue", sa.Text(), nullable=False),
        sa.Column("symbol", sa.Text(), nullable=False),
        sa.Column("interval", sa.Text(), nullable=False),
        sa.Column("open_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("close_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("open", price, nullable=False),
        sa.Column("high", price, nullable=False),
        sa.Column("low", price, nullable=False),
        sa.Column("close", price, nullable=False),
        sa.Column("volume", price, nullable=False),
        sa.PrimaryKeyConstraint("venue", "symbol", "interval", "open_time", name="pk_market_candles"),
        sa.CheckConstraint("close_time > open_time", name="ck_market_candles_closes_after_open"),
        sa.CheckConstraint("low <= high AND low > 0 AND volume >= 0", name="ck_market_candles_prices_sane"),
    )


# One statement per string: asyncpg prepares each statement, and a prepared statement holds one.
GRANTS: tuple[str, ...] = (
    f"GRANT USAGE ON SCHEMA public TO {API_ROLES}",
    f"GRANT USAGE ON SCHEMA auth TO {API_ROLES}",
    f"GRANT EXECUTE ON FUNCTION auth.uid(), auth.role(), auth.email(), auth.jwt() TO {API_ROLES}",
    f"REVOKE ALL ON users, user_watchlists, market_candles FROM PUBLIC, {API_ROLES}",
    "GRANT SELECT ON users TO authenticated",
    "GRANT UPDATE (display_name) ON users TO authenticated",
    "GRANT SELECT, INSERT, UPDATE, DELETE ON user_watchlists TO authenticated",
    "GRANT SELECT ON market_candles TO anon, authenticated",
    "GRANT SELECT, INSERT, UPDATE, DELETE ON users, user_watchlists, market_candles TO service_role",
)

# (SELECT auth.uid()) rather than auth.uid(): evaluated once per statement, not once per row.
POLICIES: tuple[str, ...] = (
    "ALTER TABLE users ENABLE ROW LEVEL SECURITY",
    "ALTER TABLE users FORCE ROW LEVEL SECURITY",
    """CREATE POLICY users_select_own ON users FOR SELECT TO authenticated
        USING (id = (SELECT auth.uid()))""",
    """CREATE POLICY users_update_own ON users FOR UPDATE TO authenticated
        USING (id = (SELECT auth.uid())) WITH CHECK (id = (SELECT auth.uid()))""",
    "ALTER TABLE user_watchlists ENABLE ROW LEVEL SECURITY",
    "ALTER TABLE user_watchlists FORCE ROW LEVEL SECURITY",
    """CREATE POLICY user_watchlists_select_own ON user_watchlists FOR SELECT TO authenticated
        USING (user_id = (SELECT auth.uid()))""",
    """CREATE POLICY user_watchlists_insert_own ON user_watchlists FOR INSERT TO authenticated
        WITH CHECK (user_id = (SELECT auth.uid()))""",
    """CREATE POLICY user_watchlists_update_own ON user_watchlists FOR UPDATE TO authenticated
        USING (user_id = (SELECT auth.uid())) WITH CHECK (user_id = (SELECT auth.uid()))""",
    """CREATE POLICY user_watchlists_delete_own ON user_watchlists FOR DELETE TO authenticated
        USING (user_id = (SELECT auth.uid()))""",
    "ALTER TABLE market_candles ENABLE ROW LEVEL SECURITY",
    "ALTER TABLE market_candles FORCE ROW LEVEL SECURITY",
    """CREATE POLICY market_candles_read_all ON market_candles FOR SELECT TO anon, authenticated
        USING (true)""",
)


def upgrade() -> None:
    op.execute(CREATE_ROLES)
    op.execute(GRANT_ROLES_TO_MIGRATOR)
    op.execute("CREATE SCHEMA IF NOT EXISTS auth")
    for name, ddl in AUTH_FUNCTIONS.items():
        _create_auth_function_if_missing(name, ddl)
    _create_tables()
    for statement in (*GRANTS, *POLICIES):
        op.execute(statement)


def downgrade() -> None:
    # Policies go with their tables.
    op.drop_table("market_candles")
    op.drop_table("user_watchlists")
    op.drop_table("users")
