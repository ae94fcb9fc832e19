"""The exchange key repository with Vault transit: stored, loaded for signing, rotated, rewrapped."""

from __future__ import annotations

import logging
from uuid import uuid4

import pytest
from pydantic import SecretStr
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.db.models import ExchangeKey
from shared.db.repositories.exchange_keys import ExchangeKeyRepository
from shared.db.repositories.users import UserRecord, UserRepository
from shared.db.tenancy import service_session
from shared.secrets import DecryptionError, EnvelopeCipher, SecretsError, VaultTransitCipher

API_KEY = "vK" + "q" * 58 + "Z9y8"
API_SECRET = "vault-repo-secret-5e4d3c2b1a"


@pytest.fixture
async def user(secrets_sessionmaker: async_sessionmaker[AsyncSession]) -> UserRecord:
    return await UserRepository(secrets_sessionmaker).create(f"v-{uuid4().hex}@example.com", "vault user")


@pytest.fixture
def cipher(vault_server: object) -> VaultTransitCipher:
    addr, token, mount = vault_server.addr, vault_server.token, vault_server.mount  # type: ignore[attr-defined]
    return VaultTransitCipher(addr, token, f"cp-repo-{uuid4().hex[:10]}", mount)


async def test_keys_round_trip_through_vault_and_rewrap_after_rotation(
    secrets_sessionmaker: async_sessionmaker[AsyncSession],
    cipher: VaultTransitCipher,
    user: UserRecord,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    repository = ExchangeKeyRepository(secrets_sessionmaker, cipher)

    info = await repository.add(user.id, "testnet", "main", SecretStr(API_KEY), SecretStr(API_SECRET))
    credentials = await repository.load_for_signing(user.id, "testnet")
    assert (credentials.api_key.get_secret_value(), credentials.api_secret.get_secret_value()) == (
        API_KEY,
        API_SECRET,
    )
    async with service_session(secrets_sessionmaker) as session:
        row = await session.get_one(ExchangeKey, info.id)
        assert (row.cipher, row.key_version) == ("vault", 1)
        assert row.api_key_ciphertext.startswith("vault:v1:")

    # Rotation does not affect unrelated tenants' rows: only rows of this cipher move.
    cipher.rotate()
    report = await repository.rewrap_all()
    assert (report.key_version, report.failed) == (2, ())
    assert report.rewrapped >= 1
    async with service_session(secrets_sessionmaker) as session:
        row = await session.get_one(ExchangeKey, info.id)
        assert row.key_version == 2
        assert row.api_secret_ciphertext.startswith("vault:v2:")
    assert (
        await repository.load_for_signing(user.id, "testnet", "main")
    ).api_secret.get_secret_value() == API_SECRET

    assert API_KEY not in caplog.text and API_SECRET not in caplog.text


async def test_a_ciphertext_moved_to_another_row_fails(
    secrets_sessionmaker: async_sessionmaker[AsyncSession], cipher: VaultTransitCipher, user: UserRecord
) -> None:
    repository = ExchangeKeyRepository(secrets_sessionmaker, cipher)
    first = await repository.add(user.id, "paper", "one", SecretStr(API_KEY), SecretStr(API_SECRET))
    second = await repository.add(
        user.id, "paper", "two", SecretStr(API_KEY + "x"), SecretStr("other-secret")
    )
    async with service_session(secrets_sessionmaker) as session:
        stolen = await session.scalar(
            select(ExchangeKey.api_secret_ciphertext).where(ExchangeKey.id == first.id)
        )
        await session.execute(
            update(ExchangeKey).where(ExchangeKey.id == second.id).values(api_secret_ciphertext=stolen)
        )

    with pytest.raises(DecryptionError):
        await repository.load_for_signing(user.id, "paper", "two")


async def test_a_vault_row_is_not_read_by_an_envelope_process(
    secrets_sessionmaker: async_sessionmaker[AsyncSession],
    cipher: VaultTransitCipher,
    user: UserRecord,
    tmp_path: object,
) -> None:
    await ExchangeKeyRepository(secrets_sessionmaker, cipher).add(
        user.id, "live", "main", SecretStr(API_KEY), SecretStr(API_SECRET)
    )
    envelope = EnvelopeCipher(tmp_path / "master.key")  # type: ignore[operator]

    with pytest.raises(SecretsError, match="configured for 'envelope'"):
        await ExchangeKeyRepository(secrets_sessionmaker, envelope).load_for_signing(user.id, "live")
