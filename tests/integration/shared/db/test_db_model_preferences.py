"""Model preferences in PostgreSQL (0009): the repository, every change audited, keys stored only
encrypted and bound to their endpoint, RLS between users, and ciphertexts hidden by column grants."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from pydantic import SecretStr
from sqlalchemy import select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.db.migrate import current_revision, downgrade_async, upgrade_async
from shared.db.models import ModelPreference, RiskAuditEntry
from shared.db.repositories.model_preferences import (
    DEFAULT,
    OWN_REMOVED_ACTION,
    SET_ACTION,
    ModelPreferenceRepository,
    OwnProviderChange,
)
from shared.db.repositories.users import UserRecord
from shared.db.tenancy import anonymous_session, claims_for, service_session, user_session
from shared.domain.model_choice import InvalidModelChoice, OwnProvider
from shared.secrets import DecryptionError, EnvelopeCipher
from tests.support.users import new_user

pytestmark = pytest.mark.postgres

SERVER = frozenset({"primary", "backup"})
KEY = SecretStr("sk-own-" + "k" * 40 + "SECRETTAIL")


@pytest.fixture
def cipher(tmp_path: Path) -> EnvelopeCipher:
    return EnvelopeCipher(tmp_path / "secrets" / "master.key")


@pytest.fixture
def repository(
    sessionmaker: async_sessionmaker[AsyncSession], cipher: EnvelopeCipher
) -> ModelPreferenceRepository:
    return ModelPreferenceRepository(sessionmaker, cipher)


@pytest.fixture
async def alice(sessionmaker: async_sessionmaker[AsyncSession]) -> UserRecord:
    return await new_user(sessionmaker, "alice")


@pytest.fixture
async def bob(sessionmaker: async_sessionmaker[AsyncSession]) -> UserRecord:
    return await new_user(sessionmaker, "bob")


async def _audit(sessionmaker: async_sessionmaker[AsyncSession], user: UserRecord) -> list[RiskAuditEntry]:
    async with service_session(sessionmaker) as session:
        query = select(RiskAuditEntry).where(RiskAuditEntry.user_id == user.id).order_by(RiskAuditEntry.id)
        return list((await session.scalars(query)).all())


async def _row(sessionmaker: async_sessionmaker[AsyncSession], user: UserRecord) -> ModelPreference | None:
    async with service_session(sessionmaker) as session:
        return await session.get(ModelPreference, user.id)


async def test_a_user_without_a_row_has_the_server_order(
    repository: ModelPreferenceRepository, alice: UserRecord
) -> None:
    assert await repository.get(alice.id) == DEFAULT
    assert DEFAULT.choice == "auto" and not DEFAULT.has_key


async def test_choosing_a_server_provider_is_stored_and_audited_old_to_new(
    repository: ModelPreferenceRepository, sessionmaker: async_sessionmaker[AsyncSession], alice: UserRecord
) -> None:
    stored = await repository.set(
        alice.id, choice="backup", own=None, server_providers=SERVER, actor=f"user:{alice.id}"
    )

    assert stored.choice == "backup" and stored.updated_at is not None
    assert await repository.get(alice.id) == stored
    [entry] = await _audit(sessionmaker, alice)
    assert (entry.action, entry.actor) == (SET_ACTION, f"user:{alice.id}")
    assert entry.details == {"changes": {"choice": {"old": "auto", "new": "backup"}}}


async def test_saving_the_same_choice_again_changes_and_audits_nothing(
    repository: ModelPreferenceRepository, sessionmaker: async_sessionmaker[AsyncSession], alice: UserRecord
) -> None:
    first = await repository.set(alice.id, choice="offline", own=None, server_providers=SERVER, actor="a")
    again = await repository.set(alice.id, choice="offline", own=None, server_providers=SERVER, actor="a")

    assert again == first
    assert len(await _audit(sessionmaker, alice)) == 1


@pytest.mark.parametrize(
    ("choice", "own", "field"),
    [
        ("gpt-unknown", None, "choice"),
        ("own", None, "choice"),
        ("auto", OwnProviderChange("openai", "gpt-4o-mini"), "own.api_key"),
        ("auto", OwnProviderChange("openai", "bad model name!", api_key=KEY), "own.model"),
        ("auto", OwnProviderChange("custom", "m", api_key=KEY), "own.base_url"),
        ("auto", OwnProviderChange("custom", "m", "ftp://models.example/v1"), "own.base_url"),
        ("auto", OwnProviderChange("custom", "m", "https://me:pw@models.example/v1"), "own.base_url"),
        ("auto", OwnProviderChange("openai", "m", "https://elsewhere.example/v1", KEY), "own.base_url"),
        ("auto", OwnProviderChange("ollama", "llama3", api_key=SecretStr("has space")), "own.api_key"),
        ("auto", OwnProviderChange("azure", "m", api_key=KEY), "own.preset"),
    ],
)
async def test_bad_input_names_its_field_and_stores_nothing(
    repository: ModelPreferenceRepository,
    sessionmaker: async_sessionmaker[AsyncSession],
    alice: UserRecord,
    choice: str,
    own: OwnProviderChange | None,
    field: str,
) -> None:
    with pytest.raises(InvalidModelChoice) as refused:
        await repository.set(alice.id, choice=choice, own=own, server_providers=SERVER, actor="a")

    assert refused.value.field == field
    assert await _row(sessionmaker, alice) is None  # not even the default row
    assert await _audit(sessionmaker, alice) == []


async def test_an_own_key_is_stored_encrypted_and_opens_for_the_agent(
    repository: ModelPreferenceRepository, sessionmaker: async_sessionmaker[AsyncSession], alice: UserRecord
) -> None:
    stored = await repository.set(
        alice.id,
        choice="own",
        own=OwnProviderChange("openrouter", "openai/gpt-4o", api_key=KEY),
        server_providers=SERVER,
        actor="a",
    )

    assert stored.own == OwnProvider("openrouter", "openai/gpt-4o", None) and stored.has_key
    row = await _row(sessionmaker, alice)
    assert row is not None and row.own_key_ciphertext is not None
    assert KEY.get_secret_value() not in row.own_key_ciphertext
    assert stored.own_key_id is not None
    opened = await repository.load_own_key(alice.id, stored.own_key_id)
    assert opened is not None and opened.get_secret_value() == KEY.get_secret_value()
    assert await repository.load_own_key(alice.id, uuid4()) is None  # a replaced key's id
    [entry] = await _audit(sessionmaker, alice)
    assert entry.details["key"] == "stored"
    assert KEY.get_secret_value() not in str(entry.details)


async def test_the_stored_key_follows_a_model_change_but_not_a_change_of_endpoint(
    repository: ModelPreferenceRepository, alice: UserRecord
) -> None:
    first = await repository.set(
        alice.id,
        choice="own",
        own=OwnProviderChange("custom", "m1", "https://models.example/v1", KEY),
        server_providers=SERVER,
        actor="a",
    )
    renamed = await repository.set(
        alice.id,
        choice=None,
        own=OwnProviderChange("custom", "m2", "https://models.example/v1/"),
        server_providers=SERVER,
        actor="a",
    )
    assert renamed.own_key_id == first.own_key_id and renamed.own is not None
    assert renamed.own.model == "m2" and renamed.own.base_url == "https://models.example/v1"

    with pytest.raises(InvalidModelChoice, match="enter the key again") as refused:
        await repository.set(
            alice.id,
            choice=None,
            own=OwnProviderChange("custom", "m2", "https://attacker.example/v1"),
            server_providers=SERVER,
            actor="a",
        )
    assert refused.value.field == "own.api_key"
    assert await repository.get(alice.id) == renamed


async def test_a_key_steered_to_another_endpoint_in_the_database_does_not_open(
    repository: ModelPreferenceRepository, sessionmaker: async_sessionmaker[AsyncSession], alice: UserRecord
) -> None:
    stored = await repository.set(
        alice.id,
        choice="own",
        own=OwnProviderChange("custom", "m", "https://models.example/v1", KEY),
        server_providers=SERVER,
        actor="a",
    )
    async with service_session(sessionmaker) as session:
        await session.execute(
            update(ModelPreference)
            .where(ModelPreference.user_id == alice.id)
            .values(own_base_url="https://attacker.example/v1")
        )

    assert stored.own_key_id is not None
    with pytest.raises(DecryptionError):
        await repository.load_own_key(alice.id, stored.own_key_id)


async def test_removing_the_own_provider_forgets_the_key_and_falls_back_to_auto(
    repository: ModelPreferenceRepository, sessionmaker: async_sessionmaker[AsyncSession], alice: UserRecord
) -> None:
    stored = await repository.set(
        alice.id,
        choice="own",
        own=OwnProviderChange("gemini", "gemini-2.0-flash", api_key=KEY),
        server_providers=SERVER,
        actor="a",
    )

    after = await repository.remove_own(alice.id, "a")

    assert after is not None and (after.choice, after.own, after.has_key) == ("auto", None, False)
    row = await _row(sessionmaker, alice)
    assert row is not None and row.own_key_ciphertext is None
    assert stored.own_key_id is not None
    assert await repository.load_own_key(alice.id, stored.own_key_id) is None
    assert (await _audit(sessionmaker, alice))[-1].action == OWN_REMOVED_ACTION
    assert await repository.remove_own(alice.id, "a") is None  # nothing left to remove


async def test_a_user_reads_only_their_own_preference_and_cannot_write_any(
    repository: ModelPreferenceRepository,
    sessionmaker: async_sessionmaker[AsyncSession],
    alice: UserRecord,
    bob: UserRecord,
) -> None:
    await repository.set(alice.id, choice="backup", own=None, server_providers=SERVER, actor="a")
    await repository.set(bob.id, choice="offline", own=None, server_providers=SERVER, actor="b")

    async with user_session(sessionmaker, claims_for(alice.id)) as session:
        # A query that forgets its WHERE clause still sees the caller's row only.
        seen = (await session.execute(select(ModelPreference.user_id, ModelPreference.choice))).all()
    assert seen == [(alice.id, "backup")]

    for statement in (
        "UPDATE model_preferences SET choice = 'auto' WHERE user_id = :bob",
        "UPDATE model_preferences SET choice = 'auto'",
        "DELETE FROM model_preferences WHERE user_id = :bob",
        "INSERT INTO model_preferences (user_id, choice) VALUES (:bob, 'auto')",
    ):
        with pytest.raises(DBAPIError, match="permission denied"):
            async with user_session(sessionmaker, claims_for(alice.id)) as session:
                await session.execute(text(statement), {"bob": bob.id})
    assert (await repository.get(bob.id)).choice == "offline"


async def test_users_cannot_select_the_key_ciphertext_even_of_their_own_row(
    repository: ModelPreferenceRepository, sessionmaker: async_sessionmaker[AsyncSession], alice: UserRecord
) -> None:
    own = OwnProviderChange("openai", "gpt-4o-mini", api_key=KEY)
    await repository.set(alice.id, choice="own", own=own, server_providers=SERVER, actor="a")

    with pytest.raises(DBAPIError, match="permission denied"):
        async with user_session(sessionmaker, claims_for(alice.id)) as session:
            await session.execute(text("SELECT own_key_ciphertext FROM model_preferences"))
    async with anonymous_session(sessionmaker) as session:
        with pytest.raises(DBAPIError, match="permission denied"):
            await session.execute(text("SELECT choice FROM model_preferences"))


async def test_column_grants_are_exactly_the_public_columns(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    async with sessionmaker() as session:
        rows = (
            await session.execute(
                text(
                    "SELECT privilege_type, array_agg(column_name::text ORDER BY column_name)"
                    " FROM information_schema.column_privileges"
                    " WHERE table_name = 'model_preferences' AND grantee = 'authenticated'"
                    " GROUP BY privilege_type ORDER BY privilege_type"
                )
            )
        ).all()

    assert {privilege: list(columns) for privilege, columns in rows} == {
        "SELECT": sorted(
            ["user_id", "choice", "own_preset", "own_model", "own_base_url", "own_key_id", "updated_at"]
        )
    }


async def test_the_key_never_reaches_logs_reprs_or_errors(
    repository: ModelPreferenceRepository, alice: UserRecord, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    own = OwnProviderChange("openai", "gpt-4o-mini", api_key=KEY)
    stored = await repository.set(alice.id, choice="own", own=own, server_providers=SERVER, actor="a")
    with pytest.raises(InvalidModelChoice) as refused:
        await repository.set(
            alice.id,
            choice="nope",
            own=OwnProviderChange("openai", "gpt-4o", api_key=KEY),
            server_providers=SERVER,
            actor="a",
        )

    shown = " ".join([caplog.text, repr(stored), repr(own), repr(repository), str(refused.value)])
    assert "model preference changed" in caplog.text
    assert KEY.get_secret_value() not in shown and "SECRETTAIL" not in shown


async def test_migration_0009_downgrades_to_0008_and_reapplies(create_database: Any) -> None:
    url = await create_database()
    await upgrade_async(url)

    await downgrade_async(url, "0008")
    assert await current_revision(url) == "0008"
    await upgrade_async(url)
    assert await current_revision(url) == "0009"


async def test_a_master_key_rotation_then_rewrap_all_moves_the_own_key_and_it_still_opens(
    repository: ModelPreferenceRepository,
    cipher: EnvelopeCipher,
    sessionmaker: async_sessionmaker[AsyncSession],
    alice: UserRecord,
) -> None:
    own = OwnProviderChange("openai", "gpt-4o-mini", api_key=KEY)
    stored = await repository.set(alice.id, choice="own", own=own, server_providers=SERVER, actor="a")
    assert cipher.rotate() == 2

    # Other tests' keys, made under their own master key files, share this database: they are
    # reported as failures and must not stop this user's key from moving.
    report = await repository.rewrap_all()

    assert report.key_version == 2 and report.rewrapped >= 1 and alice.id not in report.failed
    row = await _row(sessionmaker, alice)
    assert row is not None and row.own_key_version == 2
    assert stored.own_key_id is not None
    opened = await repository.load_own_key(alice.id, stored.own_key_id)
    assert opened is not None and opened.get_secret_value() == KEY.get_secret_value()
