"""Exchange keys in PostgreSQL: the repository, RLS between users, and ciphertexts hidden by column grants."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from pydantic import SecretStr
from sqlalchemy import select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.db.engine import create_engine
from shared.db.migrate import current_revision, downgrade_async, upgrade_async
from shared.db.models import ExchangeKey
from shared.db.repositories.exchange_keys import (
    ExchangeKeyError,
    ExchangeKeyExistsError,
    ExchangeKeyNotFoundError,
    ExchangeKeyRepository,
    ExchangeKeyStorageError,
)
from shared.db.repositories.users import UserRecord
from shared.db.tenancy import anonymous_session, claims_for, service_session, user_session
from shared.secrets import DecryptionError, EnvelopeCipher
from tests.support.users import new_user

pytestmark = pytest.mark.postgres

SecretPair = tuple[SecretStr, SecretStr]


def pair(tag: str) -> SecretPair:
    """A realistic-length key pair whose parts are easy to search for in logs and errors."""
    return SecretStr(f"KEY{tag}" + "k" * 50 + "H1NT"), SecretStr(f"SECRET{tag}" + "s" * 50)


@pytest.fixture
def cipher(tmp_path: Path) -> EnvelopeCipher:
    return EnvelopeCipher(tmp_path / "secrets" / "master.key")


@pytest.fixture
def repository(
    sessionmaker: async_sessionmaker[AsyncSession], cipher: EnvelopeCipher
) -> ExchangeKeyRepository:
    return ExchangeKeyRepository(sessionmaker, cipher)


@pytest.fixture
async def alice(sessionmaker: async_sessionmaker[AsyncSession]) -> UserRecord:
    return await new_user(sessionmaker, "alice")


@pytest.fixture
async def bob(sessionmaker: async_sessionmaker[AsyncSession]) -> UserRecord:
    return await new_user(sessionmaker, "bob")


async def _row(sessionmaker: async_sessionmaker[AsyncSession], key_id: UUID) -> ExchangeKey:
    async with service_session(sessionmaker) as session:
        return await session.get_one(ExchangeKey, key_id)


async def test_add_list_and_load_for_signing(
    repository: ExchangeKeyRepository, sessionmaker: async_sessionmaker[AsyncSession], alice: UserRecord
) -> None:
    api_key, api_secret = pair("a1")
    info = await repository.add(alice.id, "paper", "main", api_key, api_secret)

    assert (info.venue, info.label, info.api_key_hint, info.rotated_at) == ("paper", "main", "H1NT", None)
    assert await repository.list(alice.id) == [info]
    row = await _row(sessionmaker, info.id)
    assert (row.user_id, row.cipher, row.key_version) == (alice.id, "envelope", 1)
    assert api_key.get_secret_value() not in row.api_key_ciphertext
    assert api_secret.get_secret_value() not in row.api_secret_ciphertext

    credentials = await repository.load_for_signing(alice.id, "paper")
    assert credentials.key_id == info.id
    assert credentials.api_key.get_secret_value() == api_key.get_secret_value()
    assert credentials.api_secret.get_secret_value() == api_secret.get_secret_value()


async def test_a_duplicate_label_is_refused_but_other_venues_and_labels_are_fine(
    repository: ExchangeKeyRepository, alice: UserRecord
) -> None:
    await repository.add(alice.id, "paper", "main", *pair("d1"))
    with pytest.raises(ExchangeKeyExistsError) as error:
        await repository.add(alice.id, "paper", "main", *pair("d2"))
    assert "SECRETd2" not in str(error.value) and "KEYd2" not in str(error.value)

    await repository.add(alice.id, "testnet", "main", *pair("d3"))
    await repository.add(alice.id, "paper", "bot", *pair("d4"))
    listed = [(k.venue, k.label) for k in await repository.list(alice.id)]
    assert listed == [("paper", "bot"), ("paper", "main"), ("testnet", "main")]
    with pytest.raises(ExchangeKeyError, match="several paper keys"):
        await repository.load_for_signing(alice.id, "paper")
    assert (await repository.load_for_signing(alice.id, "paper", "bot")).label == "bot"


async def test_adding_for_an_unknown_user_is_a_clean_error(repository: ExchangeKeyRepository) -> None:
    with pytest.raises(ExchangeKeyStorageError) as error:
        await repository.add(uuid4(), "paper", "main", *pair("u1"))
    assert "SECRETu1" not in str(error.value)
    assert error.value.__cause__ is None


async def test_rotate_replaces_the_pair_and_stamps_rotated_at(
    repository: ExchangeKeyRepository, sessionmaker: async_sessionmaker[AsyncSession], alice: UserRecord
) -> None:
    first = await repository.add(alice.id, "live", "main", *pair("r1"))
    before = await _row(sessionmaker, first.id)
    new_key, new_secret = SecretStr("ROTATED" + "x" * 50 + "N3W!"), SecretStr("rotated-secret-value")

    rotated = await repository.rotate(alice.id, "live", "main", new_key, new_secret)

    assert rotated.id == first.id
    assert rotated.api_key_hint == "N3W!"
    assert rotated.rotated_at is not None and rotated.rotated_at >= first.created_at
    after = await _row(sessionmaker, first.id)
    assert after.api_secret_ciphertext != before.api_secret_ciphertext
    credentials = await repository.load_for_signing(alice.id, "live")
    assert credentials.api_key.get_secret_value() == new_key.get_secret_value()
    assert credentials.api_secret.get_secret_value() == new_secret.get_secret_value()
    with pytest.raises(ExchangeKeyNotFoundError):
        await repository.rotate(alice.id, "live", "missing", new_key, new_secret)


async def test_delete(repository: ExchangeKeyRepository, alice: UserRecord) -> None:
    await repository.add(alice.id, "paper", "main", *pair("x1"))

    assert await repository.delete(alice.id, "paper", "main") is True
    assert await repository.delete(alice.id, "paper", "main") is False
    assert await repository.list(alice.id) == []
    with pytest.raises(ExchangeKeyNotFoundError):
        await repository.load_for_signing(alice.id, "paper")


async def test_users_cannot_see_rotate_or_delete_each_others_keys(
    repository: ExchangeKeyRepository,
    sessionmaker: async_sessionmaker[AsyncSession],
    alice: UserRecord,
    bob: UserRecord,
) -> None:
    alices = await repository.add(alice.id, "paper", "main", *pair("ra"))
    bobs = await repository.add(bob.id, "paper", "main", *pair("rb"))

    assert [k.id for k in await repository.list(alice.id)] == [alices.id]
    assert [k.id for k in await repository.list(bob.id)] == [bobs.id]
    # A query that forgets its WHERE clause still sees only the caller's rows.
    async with user_session(sessionmaker, claims_for(alice.id)) as session:
        visible = (await session.scalars(select(ExchangeKey.id))).all()
        hidden = await session.scalar(select(ExchangeKey.label).where(ExchangeKey.id == bobs.id))
        updated = await session.execute(
            update(ExchangeKey)
            .where(ExchangeKey.id == bobs.id)
            .values(api_key_hint="0wnd")
            .returning(ExchangeKey.id)
        )
        assert updated.all() == []
        deleted = await session.execute(
            text("DELETE FROM exchange_keys WHERE id = :id RETURNING id"), {"id": bobs.id}
        )
        assert deleted.all() == []
    assert (visible, hidden) == ([alices.id], None)
    assert (await _row(sessionmaker, bobs.id)).api_key_hint == "H1NT"
    # Alice's rotate/delete by label touch her own row only, even though Bob's has the same label.
    await repository.rotate(alice.id, "paper", "main", *pair("ra2"))
    assert await repository.delete(alice.id, "paper", "main") is True
    assert [k.id for k in await repository.list(bob.id)] == [bobs.id]
    assert (await repository.load_for_signing(bob.id, "paper")).api_secret.get_secret_value() == (
        pair("rb")[1].get_secret_value()
    )


async def test_a_user_cannot_insert_a_row_for_someone_else(
    sessionmaker: async_sessionmaker[AsyncSession], alice: UserRecord, bob: UserRecord
) -> None:
    with pytest.raises(DBAPIError, match="row-level security"):
        async with user_session(sessionmaker, claims_for(alice.id)) as session:
            await session.execute(
                text(
                    "INSERT INTO exchange_keys (user_id, venue, label, api_key_hint, api_key_ciphertext,"
                    " api_secret_ciphertext, cipher, key_version)"
                    " VALUES (:user_id, 'paper', 'planted', '', 'x', 'y', 'envelope', 1)"
                ),
                {"user_id": bob.id},
            )


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT api_key_ciphertext FROM exchange_keys",
        "SELECT api_secret_ciphertext FROM exchange_keys",
        "SELECT * FROM exchange_keys",
        "SELECT id FROM exchange_keys WHERE api_secret_ciphertext IS NOT NULL",
        "SELECT cipher, key_version FROM exchange_keys",
    ],
)
async def test_the_authenticated_role_cannot_select_ciphertexts_even_of_its_own_rows(
    repository: ExchangeKeyRepository,
    sessionmaker: async_sessionmaker[AsyncSession],
    alice: UserRecord,
    sql: str,
) -> None:
    await repository.add(alice.id, "paper", "main", *pair("c1"))

    with pytest.raises(DBAPIError, match="permission denied"):
        async with user_session(sessionmaker, claims_for(alice.id)) as session:
            await session.execute(text(sql))


async def test_the_orm_entity_is_not_loadable_by_users(
    repository: ExchangeKeyRepository, sessionmaker: async_sessionmaker[AsyncSession], alice: UserRecord
) -> None:
    await repository.add(alice.id, "paper", "main", *pair("o1"))

    with pytest.raises(DBAPIError, match="permission denied"):
        async with user_session(sessionmaker, claims_for(alice.id)) as session:
            await session.scalars(select(ExchangeKey))


async def test_anon_sees_nothing(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    with pytest.raises(DBAPIError, match="permission denied"):
        async with anonymous_session(sessionmaker) as session:
            await session.execute(text("SELECT id FROM exchange_keys"))


async def test_column_grants_are_exactly_the_public_columns(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    async with sessionmaker() as session:
        rows = (
            await session.execute(
                text(
                    "SELECT privilege_type, array_agg(column_name::text ORDER BY column_name)"
                    " FROM information_schema.column_privileges"
                    " WHERE table_name = 'exchange_keys' AND grantee = 'authenticated'"
                    " GROUP BY privilege_type ORDER BY privilege_type"
                )
            )
        ).all()
    grants = {privilege: list(columns) for privilege, columns in rows}

    assert grants["SELECT"] == sorted(["id", "venue", "label", "api_key_hint", "created_at", "rotated_at"])
    assert "user_id" not in grants["UPDATE"] and "id" not in grants["UPDATE"]


async def test_a_ciphertext_copied_to_another_row_does_not_decrypt(
    repository: ExchangeKeyRepository,
    sessionmaker: async_sessionmaker[AsyncSession],
    alice: UserRecord,
    bob: UserRecord,
) -> None:
    alices = await repository.add(alice.id, "paper", "main", *pair("m1"))
    bobs = await repository.add(bob.id, "paper", "main", *pair("m2"))
    async with service_session(sessionmaker) as session:
        source = await session.get_one(ExchangeKey, alices.id)
        await session.execute(
            update(ExchangeKey)
            .where(ExchangeKey.id == bobs.id)
            .values(
                api_key_ciphertext=source.api_key_ciphertext,
                api_secret_ciphertext=source.api_secret_ciphertext,
            )
        )

    with pytest.raises(DecryptionError):
        await repository.load_for_signing(bob.id, "paper")
    # Swapping one user's own fields fails too.
    async with service_session(sessionmaker) as session:
        await session.execute(
            update(ExchangeKey)
            .where(ExchangeKey.id == alices.id)
            .values(api_secret_ciphertext=source.api_key_ciphertext)
        )
    with pytest.raises(DecryptionError):
        await repository.load_for_signing(alice.id, "paper")


async def test_master_key_rotation_then_rewrap_all(
    repository: ExchangeKeyRepository,
    cipher: EnvelopeCipher,
    sessionmaker: async_sessionmaker[AsyncSession],
    alice: UserRecord,
) -> None:
    info = await repository.add(alice.id, "testnet", "main", *pair("w1"))
    assert cipher.rotate() == 2
    # Still readable before the rewrap: the old version stays in the ring.
    assert (await repository.load_for_signing(alice.id, "testnet")).label == "main"

    # Other tests' rows, made under their own master key files, share this database: they are
    # reported as failures, and must not stop this user's row from moving.
    report = await repository.rewrap_all()
    assert report.key_version == 2
    assert report.rewrapped >= 1
    assert info.id not in report.failed
    row = await _row(sessionmaker, info.id)
    assert row.key_version == 2
    assert row.api_key_ciphertext.startswith("env:v2:") and row.api_secret_ciphertext.startswith("env:v2:")
    credentials = await repository.load_for_signing(alice.id, "testnet")
    assert credentials.api_secret.get_secret_value() == pair("w1")[1].get_secret_value()
    assert (await repository.rewrap_all()).rewrapped == 0


async def test_secrets_never_reach_logs_reprs_or_errors(
    repository: ExchangeKeyRepository,
    cipher: EnvelopeCipher,
    alice: UserRecord,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    api_key, api_secret = pair("L0g")
    info = await repository.add(alice.id, "paper", "main", api_key, api_secret)
    listed = await repository.list(alice.id)
    credentials = await repository.load_for_signing(alice.id, "paper")
    await repository.rotate(alice.id, "paper", "main", api_key, api_secret)
    cipher.rotate()
    await repository.rewrap_all()
    errors: list[str] = []
    for attempt in (
        repository.add(alice.id, "paper", "main", api_key, api_secret),
        repository.add(alice.id, "paper", "bad label", api_key, api_secret),
        repository.add(alice.id, "paper", "main2", api_key, SecretStr(api_secret.get_secret_value() + " x")),
    ):
        with pytest.raises((ExchangeKeyError, ValueError)) as error:
            await attempt
        errors.append(str(error.value))
    await repository.delete(alice.id, "paper", "main")

    shown = " ".join(
        [
            caplog.text,
            repr(info),
            repr(listed),
            repr(credentials),
            str(credentials),
            repr(repository),
            *errors,
        ]
    )
    assert "exchange key added" in caplog.text
    for secret in (api_key, api_secret):
        assert secret.get_secret_value() not in shown
    assert "SECRETL0g" not in shown


async def test_migration_0002_downgrades_to_0001_and_reapplies(create_database: Any) -> None:
    url: str = await create_database()
    await upgrade_async(url)
    await downgrade_async(url, "0001")
    assert await current_revision(url) == "0001"
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            assert await connection.scalar(text("SELECT to_regclass('public.exchange_keys')")) is None
    finally:
        await engine.dispose()

    await upgrade_async(url, "0002")
    assert await current_revision(url) == "0002"
