"""Engine URL handling and claim helpers: no database needed."""

from __future__ import annotations

from pathlib import Path
from uuid import uuid4

import pytest
from pydantic import SecretStr

from shared.db.engine import async_url, create_engine
from shared.db.migrate import MIGRATIONS_DIR, head_revision
from shared.db.tenancy import claims_for, subject_of, user_session


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://postgres@127.0.0.1:5432/cryptopulse",
        "postgresql+asyncpg://postgres@127.0.0.1:5432/cryptopulse",
        "postgresql+psycopg://postgres@127.0.0.1:5432/cryptopulse",
        SecretStr("postgresql://postgres@127.0.0.1:5432/cryptopulse"),
    ],
)
def test_async_url_always_uses_asyncpg(url: str | SecretStr) -> None:
    assert async_url(url).render_as_string() == "postgresql+asyncpg://postgres@127.0.0.1:5432/cryptopulse"


def test_async_url_refuses_other_databases() -> None:
    with pytest.raises(ValueError, match="PostgreSQL"):
        async_url("sqlite+aiosqlite:///x.db")


async def test_creating_an_engine_does_not_connect() -> None:
    # Nothing listens on port 1: creation must still succeed, since it happens at startup.
    engine = create_engine(SecretStr("postgresql://nobody:secret@127.0.0.1:1/none"))
    try:
        assert engine.url.password == "secret"
        assert engine.dialect.driver == "asyncpg"
    finally:
        await engine.dispose()


def test_claims_for_has_supabase_shape() -> None:
    user_id = uuid4()

    assert claims_for(user_id, email="a@example.com", aal="aal2") == {
        "sub": str(user_id),
        "role": "authenticated",
        "aud": "authenticated",
        "email": "a@example.com",
        "aal": "aal2",
    }
    assert subject_of(claims_for(user_id)) == user_id


@pytest.mark.parametrize("claims", [{}, {"sub": None}, {"sub": 7}, {"sub": "not-a-uuid"}])
def test_a_session_needs_a_uuid_subject(claims: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="sub"):
        subject_of(claims)
    with pytest.raises(ValueError, match="sub"):
        user_session(None, claims)  # type: ignore[arg-type]  # refused before the database is touched


def test_migrations_are_found_from_any_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)

    assert head_revision() == "0009"
    assert (MIGRATIONS_DIR / "env.py").is_file()
