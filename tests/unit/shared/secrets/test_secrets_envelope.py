"""Envelope encryption: round trips, bindings, tampering, the master key file, rotation, no leaks."""

from __future__ import annotations

import json
import logging
import os
import stat
from pathlib import Path
from uuid import uuid4

import pytest
from pydantic import SecretStr

from shared.secrets import DecryptionError, EnvelopeCipher, MasterKeyError, MasterKeyFile, SecretBinding
from shared.secrets.envelope import EnvelopeParts

PLAINTEXT = "sEcReT-envelope-7f3a9c1d2b4e6f80"


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    return tmp_path / "keys" / "master.key"


@pytest.fixture
def cipher(key_file: Path) -> EnvelopeCipher:
    return EnvelopeCipher(key_file)


@pytest.fixture
def binding() -> SecretBinding:
    return SecretBinding(uuid4(), uuid4(), "paper", "api_secret")


def test_round_trip(cipher: EnvelopeCipher, binding: SecretBinding) -> None:
    ciphertext = cipher.encrypt(SecretStr(PLAINTEXT), binding)

    assert ciphertext.startswith("env:v1:")
    assert PLAINTEXT not in ciphertext
    assert cipher.decrypt(ciphertext, binding).get_secret_value() == PLAINTEXT
    assert cipher.version_of(ciphertext) == 1 == cipher.current_version()


def test_each_encryption_uses_fresh_randomness(cipher: EnvelopeCipher, binding: SecretBinding) -> None:
    assert cipher.encrypt(SecretStr(PLAINTEXT), binding) != cipher.encrypt(SecretStr(PLAINTEXT), binding)


def test_unicode_round_trip(cipher: EnvelopeCipher, binding: SecretBinding) -> None:
    ciphertext = cipher.encrypt(SecretStr("ключ-🔑"), binding)
    assert cipher.decrypt(ciphertext, binding).get_secret_value() == "ключ-🔑"


@pytest.mark.parametrize(
    "change",
    [
        {"key_id": uuid4()},
        {"user_id": uuid4()},
        {"venue": "live"},
        {"purpose": "api_key"},
    ],
    ids=["another-row", "another-user", "another-venue", "another-field"],
)
def test_a_ciphertext_does_not_open_under_another_binding(
    cipher: EnvelopeCipher, binding: SecretBinding, change: dict[str, object]
) -> None:
    ciphertext = cipher.encrypt(SecretStr(PLAINTEXT), binding)
    other = SecretBinding(**{**_fields(binding), **change})  # type: ignore[arg-type]

    with pytest.raises(DecryptionError) as error:
        cipher.decrypt(ciphertext, other)
    assert PLAINTEXT not in str(error.value)
    with pytest.raises(DecryptionError):
        cipher.rewrap(ciphertext, other)


def _fields(binding: SecretBinding) -> dict[str, object]:
    return {
        "key_id": binding.key_id,
        "user_id": binding.user_id,
        "venue": binding.venue,
        "purpose": binding.purpose,
    }


@pytest.mark.parametrize("part", [3, 4])
def test_tampered_ciphertext_fails(cipher: EnvelopeCipher, binding: SecretBinding, part: int) -> None:
    fields = cipher.encrypt(SecretStr(PLAINTEXT), binding).split(":")
    body = bytearray(fields[part].encode())
    body[len(body) // 2] = ord("A") if body[len(body) // 2] != ord("A") else ord("B")
    fields[part] = body.decode()

    with pytest.raises(DecryptionError):
        cipher.decrypt(":".join(fields), binding)


def test_data_part_swapped_between_ciphertexts_fails(cipher: EnvelopeCipher, binding: SecretBinding) -> None:
    first = cipher.encrypt(SecretStr(PLAINTEXT), binding).split(":")
    second = cipher.encrypt(SecretStr("other-secret"), binding).split(":")

    with pytest.raises(DecryptionError):
        cipher.decrypt(":".join([*first[:4], second[4]]), binding)


@pytest.mark.parametrize(
    "garbage", ["", "env", "env:v1:x:y", "vault:v1:abc", "env:vX:k:AAAA:AAAA", "env:v1:k:!!:!!"]
)
def test_malformed_ciphertext_fails_without_quoting_it(
    cipher: EnvelopeCipher, binding: SecretBinding, garbage: str
) -> None:
    with pytest.raises(DecryptionError) as error:
        cipher.decrypt(garbage, binding)
    assert str(error.value) == "malformed envelope ciphertext"


def test_master_key_file_is_created_0600_on_first_use(key_file: Path, binding: SecretBinding) -> None:
    cipher = EnvelopeCipher(key_file)
    assert not key_file.exists()  # nothing happens at construction

    cipher.encrypt(SecretStr(PLAINTEXT), binding)

    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(key_file.parent.stat().st_mode) == 0o700
    document = json.loads(key_file.read_text())
    assert document["current"] == 1
    assert [entry["version"] for entry in document["keys"]] == [1]


def test_master_key_file_is_0600_even_with_a_permissive_umask(key_file: Path, binding: SecretBinding) -> None:
    previous = os.umask(0)
    try:
        EnvelopeCipher(key_file).encrypt(SecretStr(PLAINTEXT), binding)
        EnvelopeCipher(key_file).rotate()
    finally:
        os.umask(previous)
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_a_second_process_reads_the_same_key(key_file: Path, binding: SecretBinding) -> None:
    ciphertext = EnvelopeCipher(key_file).encrypt(SecretStr(PLAINTEXT), binding)
    assert EnvelopeCipher(key_file).decrypt(ciphertext, binding).get_secret_value() == PLAINTEXT


def test_a_wrong_master_key_fails_clearly(tmp_path: Path, key_file: Path, binding: SecretBinding) -> None:
    ciphertext = EnvelopeCipher(key_file).encrypt(SecretStr(PLAINTEXT), binding)
    other_file = tmp_path / "other" / "master.key"
    EnvelopeCipher(other_file).current_version()  # creates an unrelated ring, also at v1

    with pytest.raises(MasterKeyError, match="wrong master key file") as error:
        EnvelopeCipher(other_file).decrypt(ciphertext, binding)
    assert PLAINTEXT not in str(error.value)


def test_a_missing_master_key_version_fails_clearly(
    tmp_path: Path, key_file: Path, binding: SecretBinding
) -> None:
    cipher = EnvelopeCipher(key_file)
    cipher.current_version()
    assert cipher.rotate() == 2
    ciphertext = cipher.encrypt(SecretStr(PLAINTEXT), binding)

    with pytest.raises(MasterKeyError, match="master key v2 is not in"):
        EnvelopeCipher(tmp_path / "fresh.key").decrypt(ciphertext, binding)


def test_a_group_readable_master_key_file_is_refused(key_file: Path, binding: SecretBinding) -> None:
    EnvelopeCipher(key_file).current_version()
    key_file.chmod(0o640)

    with pytest.raises(MasterKeyError, match="chmod 600"):
        EnvelopeCipher(key_file).encrypt(SecretStr(PLAINTEXT), binding)


def test_a_corrupt_master_key_file_is_refused_without_quoting_it(key_file: Path) -> None:
    key_file.parent.mkdir(parents=True)
    key_file.write_text(
        '{"format": "cryptopulse-master-keyring/v1", "current": 1,'
        ' "keys": [{"version": 1, "key": "c2hvcnQ="}]}'
    )
    key_file.chmod(0o600)

    with pytest.raises(MasterKeyError) as error:
        MasterKeyFile(key_file).load()
    assert "c2hvcnQ" not in str(error.value)


def test_rotation_keeps_old_ciphertexts_readable_and_rewrap_moves_them(
    cipher: EnvelopeCipher, key_file: Path, binding: SecretBinding
) -> None:
    old = cipher.encrypt(SecretStr(PLAINTEXT), binding)

    assert cipher.rotate() == 2
    assert cipher.current_version() == 2
    assert cipher.decrypt(old, binding).get_secret_value() == PLAINTEXT

    rewrapped = cipher.rewrap(old, binding)
    assert cipher.version_of(rewrapped) == 2
    assert cipher.decrypt(rewrapped, binding).get_secret_value() == PLAINTEXT
    # Only the data key was re-encrypted; the secret's own ciphertext is untouched.
    assert EnvelopeParts.parse(rewrapped).data == EnvelopeParts.parse(old).data
    assert cipher.encrypt(SecretStr(PLAINTEXT), binding).startswith("env:v2:")
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert [e["version"] for e in json.loads(key_file.read_text())["keys"]] == [1, 2]


def test_a_rotation_by_another_process_is_picked_up(key_file: Path, binding: SecretBinding) -> None:
    reader = EnvelopeCipher(key_file)
    reader.current_version()  # caches the v1 ring
    writer = EnvelopeCipher(key_file)
    writer.rotate()

    assert (
        reader.decrypt(writer.encrypt(SecretStr(PLAINTEXT), binding), binding).get_secret_value() == PLAINTEXT
    )


def test_nothing_secret_in_repr_str_or_logs(
    cipher: EnvelopeCipher, key_file: Path, binding: SecretBinding, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    secret = SecretStr(PLAINTEXT)
    ciphertext = cipher.encrypt(secret, binding)
    decrypted = cipher.decrypt(ciphertext, binding)
    cipher.rotate()
    cipher.rewrap(ciphertext, binding)
    ring = MasterKeyFile(key_file).load()
    raw_keys = [key.key.hex() for key in ring.keys.values()]

    shown = " ".join(
        [
            repr(cipher),
            str(cipher),
            repr(decrypted),
            str(decrypted),
            repr(ring),
            repr(ring.current_key),
            caplog.text,
        ]
    )
    assert PLAINTEXT not in shown
    for raw in raw_keys:
        assert raw not in shown
