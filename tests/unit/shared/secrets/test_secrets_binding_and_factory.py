"""The binding's encoding, the factory's choice, and the Vault cipher's offline behaviour."""

from __future__ import annotations

import json
from pathlib import Path
from uuid import UUID

import pytest
from pydantic import SecretStr

from shared.config.settings import SecretsSettings
from shared.secrets import (
    EnvelopeCipher,
    SecretBinding,
    SecretCipher,
    VaultError,
    VaultTransitCipher,
    build_cipher,
)
from shared.secrets.base import BINDING_DOMAIN, DecryptionError

KEY_ID = UUID("00000000-0000-4000-8000-000000000001")
USER_ID = UUID("00000000-0000-4000-8000-000000000002")


def test_binding_encoding_is_canonical_and_stable() -> None:
    encoded = SecretBinding(KEY_ID, USER_ID, "paper", "api_key").encode()

    # Every stored ciphertext depends on these exact bytes: changing them needs a new domain.
    assert encoded == (
        b'{"domain":"cryptopulse/exchange-key/v1","key_id":"00000000-0000-4000-8000-000000000001",'
        b'"purpose":"api_key","user_id":"00000000-0000-4000-8000-000000000002","venue":"paper"}'
    )
    assert json.loads(encoded)["domain"] == BINDING_DOMAIN


def test_bindings_differ_in_every_field() -> None:
    base = SecretBinding(KEY_ID, USER_ID, "paper", "api_key")
    others = [
        SecretBinding(USER_ID, USER_ID, "paper", "api_key"),
        SecretBinding(KEY_ID, KEY_ID, "paper", "api_key"),
        SecretBinding(KEY_ID, USER_ID, "live", "api_key"),
        SecretBinding(KEY_ID, USER_ID, "paper", "api_secret"),
    ]
    assert len({base.encode(), *(o.encode() for o in others)}) == 5


def test_factory_picks_the_envelope_without_vault(tmp_path: Path) -> None:
    settings = SecretsSettings(master_key_file=tmp_path / "m.key")
    cipher = build_cipher(settings)

    assert isinstance(cipher, EnvelopeCipher)
    assert isinstance(cipher, SecretCipher)
    assert cipher.name == "envelope"
    assert not (tmp_path / "m.key").exists()  # created on first use, not by the factory


def test_factory_picks_vault_when_an_address_is_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRYPTOPULSE_VAULT_ADDR", "http://127.0.0.1:1")
    monkeypatch.setenv("CRYPTOPULSE_VAULT_TOKEN", "s.topsecret-token")
    monkeypatch.setenv("CRYPTOPULSE_VAULT_TRANSIT_KEY", "my-key")
    cipher = build_cipher(SecretsSettings())

    assert isinstance(cipher, VaultTransitCipher)
    assert isinstance(cipher, SecretCipher)
    assert (cipher.name, cipher.key_name) == ("vault", "my-key")
    assert "topsecret" not in repr(cipher)


def test_factory_refuses_vault_without_a_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRYPTOPULSE_VAULT_ADDR", "http://127.0.0.1:1")
    monkeypatch.delenv("CRYPTOPULSE_VAULT_TOKEN", raising=False)

    with pytest.raises(VaultError, match="CRYPTOPULSE_VAULT_TOKEN"):
        build_cipher(SecretsSettings())


def test_settings_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("VAULT_ADDR", "VAULT_TOKEN", "VAULT_TRANSIT_KEY", "VAULT_MOUNT", "MASTER_KEY_FILE"):
        monkeypatch.delenv(f"CRYPTOPULSE_{name}", raising=False)
    settings = SecretsSettings()

    assert settings.vault_addr is None
    assert settings.vault_transit_key == "cryptopulse-exchange-keys"
    assert settings.vault_mount == "transit"
    assert settings.master_key_file.is_absolute()
    assert settings.master_key_file.parts[-2:] == (".cryptopulse", "master.key")
    assert "token" not in repr(SecretsSettings(vault_token=SecretStr("hunter2-token"))).replace(
        "vault_token", ""
    )


def test_vault_ciphertext_versions_are_parsed_offline() -> None:
    cipher = VaultTransitCipher("http://127.0.0.1:1", SecretStr("t"))

    assert cipher.version_of("vault:v7:AAAA") == 7
    for bad in ("vault:vx:AAAA", "env:v1:AAAA", "vault:v1:", "garbage"):
        with pytest.raises(DecryptionError):
            cipher.version_of(bad)


def test_unreachable_vault_is_a_clear_error_without_the_token() -> None:
    from cryptopulse.servers.ports import free_port

    cipher = VaultTransitCipher(
        f"http://127.0.0.1:{free_port()}", SecretStr("s.unreachable-token"), timeout_s=2
    )
    with pytest.raises(VaultError, match="is Vault reachable") as error:
        cipher.encrypt(SecretStr("plaintext-value"), SecretBinding(KEY_ID, USER_ID, "paper", "api_key"))
    assert "unreachable-token" not in str(error.value)
    assert "plaintext-value" not in str(error.value)
    assert error.value.__cause__ is None and error.value.__suppress_context__
