"""The Vault transit cipher against a real Vault-API server (OpenBao ``bao server -dev``)."""

from __future__ import annotations

import logging
from typing import Protocol
from uuid import uuid4

import hvac
import pytest
from pydantic import SecretStr

from shared.config.settings import SecretsSettings
from shared.secrets import (
    DecryptionError,
    SecretBinding,
    SecretCipher,
    VaultError,
    VaultTransitCipher,
    build_cipher,
)

PLAINTEXT = "sEcReT-vault-0a1b2c3d4e5f6789"


class VaultDev(Protocol):
    """What the ``vault_server`` fixture yields (conftest modules are not imported by name)."""

    addr: str
    token: SecretStr
    mount: str

    def client(self) -> hvac.Client: ...


def _cipher(vault: VaultDev, key_name: str | None = None) -> VaultTransitCipher:
    return VaultTransitCipher(vault.addr, vault.token, key_name or f"cp-test-{uuid4().hex[:10]}", vault.mount)


@pytest.fixture
def binding() -> SecretBinding:
    return SecretBinding(uuid4(), uuid4(), "testnet", "api_key")


def test_round_trip_creates_a_derived_key_when_missing(
    vault_server: VaultDev, binding: SecretBinding
) -> None:
    cipher = _cipher(vault_server)
    ciphertext = cipher.encrypt(SecretStr(PLAINTEXT), binding)

    assert ciphertext.startswith("vault:v1:")
    assert cipher.decrypt(ciphertext, binding).get_secret_value() == PLAINTEXT
    key = vault_server.client().secrets.transit.read_key(cipher.key_name, mount_point=vault_server.mount)
    assert key["data"]["derived"] is True
    assert key["data"]["type"] == "aes256-gcm96"


def test_an_existing_derived_key_is_reused(vault_server: VaultDev, binding: SecretBinding) -> None:
    first = _cipher(vault_server)
    ciphertext = first.encrypt(SecretStr(PLAINTEXT), binding)

    assert _cipher(vault_server, first.key_name).decrypt(ciphertext, binding).get_secret_value() == PLAINTEXT


def test_an_existing_key_without_derivation_is_refused(
    vault_server: VaultDev, binding: SecretBinding
) -> None:
    name = f"cp-plain-{uuid4().hex[:10]}"
    vault_server.client().secrets.transit.create_key(name, mount_point=vault_server.mount)

    with pytest.raises(VaultError, match="without key derivation"):
        _cipher(vault_server, name).encrypt(SecretStr(PLAINTEXT), binding)


@pytest.mark.parametrize(
    "change",
    [{"key_id": uuid4()}, {"user_id": uuid4()}, {"venue": "live"}, {"purpose": "api_secret"}],
    ids=["another-row", "another-user", "another-venue", "another-field"],
)
def test_a_ciphertext_does_not_open_under_another_binding(
    vault_server: VaultDev, binding: SecretBinding, change: dict[str, object]
) -> None:
    cipher = _cipher(vault_server)
    ciphertext = cipher.encrypt(SecretStr(PLAINTEXT), binding)
    fields: dict[str, object] = {
        "key_id": binding.key_id,
        "user_id": binding.user_id,
        "venue": binding.venue,
        "purpose": binding.purpose,
    }
    other = SecretBinding(**{**fields, **change})  # type: ignore[arg-type]

    with pytest.raises(DecryptionError):
        cipher.decrypt(ciphertext, other)
    with pytest.raises(DecryptionError):
        cipher.rewrap(ciphertext, other)


def test_tampered_ciphertext_fails(vault_server: VaultDev, binding: SecretBinding) -> None:
    cipher = _cipher(vault_server)
    ciphertext = cipher.encrypt(SecretStr(PLAINTEXT), binding)
    prefix, body = ciphertext.rsplit(":", 1)
    flipped = body[:10] + ("A" if body[10] != "A" else "B") + body[11:]

    with pytest.raises(DecryptionError):
        cipher.decrypt(f"{prefix}:{flipped}", binding)
    with pytest.raises(DecryptionError):
        cipher.decrypt("vault:v1:bm90IGEgY2lwaGVydGV4dA==", binding)
    with pytest.raises(DecryptionError):
        cipher.decrypt("not-a-vault-ciphertext", binding)


def test_rotation_keeps_old_ciphertexts_readable_and_rewrap_moves_them(
    vault_server: VaultDev, binding: SecretBinding
) -> None:
    cipher = _cipher(vault_server)
    old = cipher.encrypt(SecretStr(PLAINTEXT), binding)

    assert cipher.rotate() == 2 == cipher.current_version()
    assert cipher.decrypt(old, binding).get_secret_value() == PLAINTEXT
    rewrapped = cipher.rewrap(old, binding)
    assert cipher.version_of(rewrapped) == 2
    assert cipher.decrypt(rewrapped, binding).get_secret_value() == PLAINTEXT
    assert cipher.version_of(cipher.encrypt(SecretStr(PLAINTEXT), binding)) == 2


def test_factory_builds_a_working_vault_cipher(
    vault_server: VaultDev, binding: SecretBinding, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CRYPTOPULSE_VAULT_ADDR", vault_server.addr)
    monkeypatch.setenv("CRYPTOPULSE_VAULT_TOKEN", vault_server.token.get_secret_value())
    monkeypatch.setenv("CRYPTOPULSE_VAULT_TRANSIT_KEY", f"cp-factory-{uuid4().hex[:8]}")
    cipher: SecretCipher = build_cipher(SecretsSettings())

    assert cipher.name == "vault"
    assert (
        cipher.decrypt(cipher.encrypt(SecretStr(PLAINTEXT), binding), binding).get_secret_value() == PLAINTEXT
    )


def test_a_bad_token_is_a_vault_error_that_does_not_repeat_it(
    vault_server: VaultDev, binding: SecretBinding
) -> None:
    cipher = VaultTransitCipher(
        vault_server.addr, SecretStr("s.wrong-token-value"), "whatever", vault_server.mount
    )

    with pytest.raises(VaultError) as error:
        cipher.encrypt(SecretStr(PLAINTEXT), binding)
    assert "wrong-token-value" not in str(error.value)
    assert PLAINTEXT not in str(error.value)


def test_nothing_secret_in_repr_or_logs(
    vault_server: VaultDev, binding: SecretBinding, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    cipher = _cipher(vault_server)
    ciphertext = cipher.encrypt(SecretStr(PLAINTEXT), binding)
    decrypted = cipher.decrypt(ciphertext, binding)
    cipher.rotate()
    cipher.rewrap(ciphertext, binding)
    with pytest.raises(DecryptionError) as error:
        cipher.decrypt(ciphertext, SecretBinding(uuid4(), binding.user_id, binding.venue, binding.purpose))

    shown = " ".join(
        [repr(cipher), str(cipher), repr(decrypted), str(decrypted), str(error.value), caplog.text]
    )
    token = vault_server.token.get_secret_value()
    assert PLAINTEXT not in shown
    assert token not in shown
