"""AES-256-GCM envelope encryption under a local master key, for when no Vault is configured.

Each secret gets its own random data key (DEK); the DEK is encrypted ("wrapped") under the
master key. Why the envelope: rotating the master key only re-encrypts the 32-byte DEKs
(``rewrap``), never touches the secrets themselves, and one DEK's compromise exposes one secret.

Ciphertext layout (ASCII, so it fits a text column)::

    env:v<master version>:<master key id>:<b64url(nonce | wrapped DEK)>:<b64url(nonce | data)>

The wrapped DEK authenticates the header and the ``SecretBinding``; the data authenticates the
binding again. Moving a ciphertext to another row, user, venue or field, or editing any part of
it, makes decryption fail. The key id tells a wrong master key file apart from tampering.
"""

from __future__ import annotations

import base64
import binascii
import os
import threading
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import SecretStr

from shared.secrets.base import CipherName, DecryptionError, MasterKeyError, SecretBinding
from shared.secrets.master_key import MasterKey, MasterKeyFile, MasterKeyRing

PREFIX = "env"
NONCE_BYTES = 12
DEK_BYTES = 32
_DATA_AAD_DOMAIN = b"cryptopulse/envelope/data\x00"
_DEK_AAD_DOMAIN = b"\x00cryptopulse/envelope/dek\x00"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class EnvelopeParts:
    """A parsed envelope ciphertext; only structure is checked here, nothing is decrypted."""

    __slots__ = ("data", "key_id", "version", "wrapped")

    def __init__(self, version: int, key_id: str, wrapped: bytes, data: bytes) -> None:
        self.version = version
        self.key_id = key_id
        self.wrapped = wrapped
        self.data = data

    @property
    def header(self) -> str:
        return f"{PREFIX}:v{self.version}:{self.key_id}"

    @classmethod
    def parse(cls, ciphertext: str) -> EnvelopeParts:
        """Split ``ciphertext``; raise ``DecryptionError`` (never quoting it) when malformed."""
        fields = ciphertext.split(":")
        try:
            if len(fields) != 5 or fields[0] != PREFIX or not fields[1].startswith("v"):
                raise ValueError
            version = int(fields[1][1:])
            wrapped, data = _unb64(fields[3]), _unb64(fields[4])
        except (ValueError, binascii.Error):
            raise DecryptionError("malformed envelope ciphertext") from None
        if version < 1 or len(wrapped) != NONCE_BYTES + DEK_BYTES + 16 or len(data) < NONCE_BYTES + 16:
            raise DecryptionError("malformed envelope ciphertext")
        return cls(version, fields[2], wrapped, data)

    def render(self) -> str:
        return f"{self.header}:{_b64(self.wrapped)}:{_b64(self.data)}"


def _dek_aad(header: str, binding: SecretBinding) -> bytes:
    return header.encode() + _DEK_AAD_DOMAIN + binding.encode()


def _data_aad(binding: SecretBinding) -> bytes:
    return _DATA_AAD_DOMAIN + binding.encode()


def _seal(key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


def _open(key: bytes, sealed: bytes, aad: bytes) -> bytes:
    try:
        return AESGCM(key).decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], aad)
    except InvalidTag:
        raise DecryptionError(
            "ciphertext does not decrypt: it was altered, or belongs to another key row, user, venue or field"
        ) from None


class EnvelopeCipher:
    """``SecretCipher`` over a ``MasterKeyFile``; the ring is read on first use, not at construction.

    Thread-safe: the repository calls it from worker threads.
    """

    def __init__(self, key_file: Path | MasterKeyFile) -> None:
        self._file = key_file if isinstance(key_file, MasterKeyFile) else MasterKeyFile(key_file)
        self._ring: MasterKeyRing | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"EnvelopeCipher(key_file={str(self._file.path)!r})"

    @property
    def name(self) -> CipherName:
        return "envelope"

    def encrypt(self, plaintext: SecretStr, binding: SecretBinding) -> str:
        master = self._ring_now().current_key
        dek = AESGCM.generate_key(bit_length=256)
        data = _seal(dek, plaintext.get_secret_value().encode(), _data_aad(binding))
        return self._wrap(master, dek, data, binding)

    def decrypt(self, ciphertext: str, binding: SecretBinding) -> SecretStr:
        parts = EnvelopeParts.parse(ciphertext)
        dek = self._unwrap(parts, binding)
        plaintext = _open(dek, parts.data, _data_aad(binding))
        try:
            return SecretStr(plaintext.decode())
        except UnicodeDecodeError:
            raise DecryptionError("decrypted secret is not UTF-8 text") from None

    def rewrap(self, ciphertext: str, binding: SecretBinding) -> str:
        parts = EnvelopeParts.parse(ciphertext)
        dek = self._unwrap(parts, binding)
        _open(dek, parts.data, _data_aad(binding))  # refuse to rewrap anything that would not decrypt
        return self._wrap(self._ring_now().current_key, dek, parts.data, binding)

    def rotate(self) -> int:
        with self._lock:
            self._ring = self._file.rotate()
            return self._ring.current

    def current_version(self) -> int:
        return self._ring_now().current

    def version_of(self, ciphertext: str) -> int:
        return EnvelopeParts.parse(ciphertext).version

    def _wrap(self, master: MasterKey, dek: bytes, data: bytes, binding: SecretBinding) -> str:
        header = f"{PREFIX}:v{master.version}:{master.key_id}"
        wrapped = _seal(master.key, dek, _dek_aad(header, binding))
        return EnvelopeParts(master.version, master.key_id, wrapped, data).render()

    def _unwrap(self, parts: EnvelopeParts, binding: SecretBinding) -> bytes:
        master = self._master(parts.version)
        if master.key_id != parts.key_id:
            raise MasterKeyError(
                f"ciphertext was made with master key v{parts.version} (id {parts.key_id}), but "
                f"{self._file.path} holds v{parts.version} with id {master.key_id}: wrong master key file"
            )
        return _open(master.key, parts.wrapped, _dek_aad(parts.header, binding))

    def _ring_now(self, *, reload: bool = False) -> MasterKeyRing:
        with self._lock:
            if self._ring is None or reload:
                self._ring = self._file.load()
            return self._ring

    def _master(self, version: int) -> MasterKey:
        ring = self._ring_now()
        if version not in ring.keys:
            # Another process may have rotated since this one read the file.
            ring = self._ring_now(reload=True)
        if version not in ring.keys:
            raise MasterKeyError(f"master key v{version} is not in {self._file.path}")
        return ring.keys[version]


__all__ = ["EnvelopeCipher", "EnvelopeParts"]
