"""What sign-in keeps secret stays secret: no password, hash or token in a response it does not
belong in, in a log record, or readable through SQL by anyone but the service role.
"""

from __future__ import annotations

import hashlib
import logging
from uuid import UUID

import httpx
import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.db.models import RefreshToken, UserCredential
from shared.db.tenancy import anonymous_session, claims_for, service_session, user_session
from shared.telemetry.logging import JsonFormatter
from tests.integration.api_gateway.auth_support import (
    AUTH,
    PASSWORD,
    bearer,
    email_for,
    refresh,
    sign_up,
)

pytestmark = [pytest.mark.nats, pytest.mark.postgres]


async def test_the_password_hash_is_never_returned_and_the_database_keeps_only_hashes(
    auth_client: httpx.AsyncClient, auth_sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    # Arrange
    email = email_for("hash")
    session = await sign_up(auth_client, email)
    user_id = UUID(session["user"]["id"])

    # Act
    responses = [
        await auth_client.post(f"{AUTH}/login", json={"email": email, "password": PASSWORD}),
        await auth_client.get(f"{AUTH}/me", headers=bearer(session)),
        await refresh(auth_client, session["refresh_token"]),
    ]
    async with service_session(auth_sessionmaker) as db:
        password_hash = await db.scalar(
            select(UserCredential.password_hash).where(UserCredential.user_id == user_id)
        )
        digests = (
            await db.scalars(select(RefreshToken.token_hash).where(RefreshToken.user_id == user_id))
        ).all()

    # Assert
    assert password_hash is not None and password_hash.startswith("$argon2id$")
    assert PASSWORD not in password_hash
    shown = "\n".join(r.text for r in responses)
    assert "argon2" not in shown and password_hash not in shown and PASSWORD not in shown
    assert hashlib.sha256(session["refresh_token"].encode()).digest() in digests
    assert all(len(d) == 32 for d in digests)


@pytest.mark.parametrize("table", ["user_credentials", "refresh_tokens", "login_failures"])
async def test_the_sign_in_tables_are_unreadable_as_authenticated_or_anon(
    auth_client: httpx.AsyncClient, auth_sessionmaker: async_sessionmaker[AsyncSession], table: str
) -> None:
    session = await sign_up(auth_client, email_for("sql"))
    await auth_client.post(
        f"{AUTH}/login", json={"email": session["user"]["email"], "password": "wrong password!"}
    )
    own_claims = claims_for(UUID(session["user"]["id"]))

    for open_session in (
        lambda: user_session(auth_sessionmaker, own_claims),
        lambda: anonymous_session(auth_sessionmaker),
    ):
        with pytest.raises(DBAPIError, match="permission denied"):
            async with open_session() as db:
                await db.execute(text(f"SELECT * FROM {table}"))
    async with service_session(auth_sessionmaker) as db:
        assert await db.scalar(text(f"SELECT count(*) FROM {table}")) > 0


async def test_no_password_hash_or_token_appears_in_a_log_record(
    auth_client: httpx.AsyncClient,
    auth_sessionmaker: async_sessionmaker[AsyncSession],
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Arrange: every record, at every level, from every logger (SQLAlchemy's statements included)
    caplog.set_level(logging.DEBUG)
    email = email_for("logs")

    # Act: the happy paths and the refusals that carry a password or a token
    session = await sign_up(auth_client, email)
    login = (await auth_client.post(f"{AUTH}/login", json={"email": email, "password": PASSWORD})).json()
    await auth_client.post(f"{AUTH}/login", json={"email": email, "password": PASSWORD + "!"})
    await auth_client.post(
        f"{AUTH}/signup", json={"email": email, "password": PASSWORD, "display_name": "Eve"}
    )
    await auth_client.post(
        f"{AUTH}/signup", json={"email": email_for("x"), "password": "short!", "display_name": "E"}
    )
    rotated = (await refresh(auth_client, login["refresh_token"])).json()
    await refresh(auth_client, login["refresh_token"])  # reuse: the family goes
    await auth_client.get(f"{AUTH}/me", headers=bearer(session))
    await auth_client.post(f"{AUTH}/logout", json={"refresh_token": session["refresh_token"]})
    async with service_session(auth_sessionmaker) as db:
        user_id = UUID(session["user"]["id"])
        password_hash = await db.scalar(
            select(UserCredential.password_hash).where(UserCredential.user_id == user_id)
        )

    # Assert
    assert any(r.getMessage() == "refresh token reused: family revoked" for r in caplog.records)
    formatter = JsonFormatter("api_gateway")
    logged = "\n".join(f"{r.__dict__!r}\n{formatter.format(r)}" for r in caplog.records)
    secrets = [PASSWORD, "short!", password_hash]
    secrets += [s[key] for s in (session, login, rotated) for key in ("access_token", "refresh_token")]
    for secret in secrets:
        assert secret is not None and secret not in logged
    assert "$argon2id$" not in logged
