"""What every secret cipher promises, and the binding that ties a ciphertext to its one use.

Exchange API keys are the most valuable thing CryptoPulse stores: whoever holds them can trade a
user's money. So a stored ciphertext must be useless anywhere but in its own row, for its own
purpose. ``SecretBinding`` is that "where": it goes into the authenticated data (envelope) or the
key-derivation context (Vault), so a ciphertext copied to another row, user, venue or field fails
to decrypt instead of quietly signing with someone else's key.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable
from uuid import UUID

from pydantic import SecretStr

CipherName = Literal["vault", "envelope"]
"""How a ciphertext was made; stored beside it so a process knows whether it can decrypt it."""

SecretPurpose = Literal["api_key", "api_secret", "model_api_key"]
"""Which half of an exchange credential a ciphertext holds, or a user's own model provider key."""

BINDING_DOMAIN = "cryptopulse/exchange-key/v1"
"""Changes only with an incompatible binding format: every stored ciphertext depends on it."""


class SecretsError(Exception):
    """Base of every error this package raises. Messages never carry plaintext or key material."""


class DecryptionError(SecretsError):
    """A ciphertext does not open: tampered, bound to another row or purpose, or another key."""


class MasterKeyError(SecretsError):
    """The local master key is missing a version, is the wrong key, or its file is unsafe."""


class VaultError(SecretsError):
    """Vault refused or could not be reached; the message says which, never what was sent."""


@dataclass(frozen=True, slots=True)
class SecretBinding:
    """The one place a ciphertext belongs: this key row, this user, this venue, this field.

    ``key_id`` is the row's primary key, so even two rows of the same user and venue cannot
    swap ciphertexts.
    """

    key_id: UUID
    user_id: UUID
    venue: str
    purpose: SecretPurpose

    def encode(self) -> bytes:
        """Return the canonical bytes authenticated with (or deriving the key of) the ciphertext.

        Sorted-key compact JSON: unambiguous whatever the field contents, and stable forever.
        """
        document = {
            "domain": BINDING_DOMAIN,
            "key_id": str(self.key_id),
            "purpose": self.purpose,
            "user_id": str(self.user_id),
            "venue": self.venue,
        }
        return json.dumps(document, sort_keys=True, separators=(",", ":")).encode()


@runtime_checkable
class SecretCipher(Protocol):
    """Encrypts and decrypts exchange secrets bound to a ``SecretBinding``; rotates its own key.

    Methods are synchronous (Vault's client is); async callers run them with
    ``asyncio.to_thread``. Ciphertexts are ASCII strings that carry the key version they were
    made with, so ``rotate`` never breaks old ones and ``rewrap`` moves them to the newest.
    """

    @property
    def name(self) -> CipherName:
        """Which kind of cipher this is, as stored in ``exchange_keys.cipher``."""
        ...

    def encrypt(self, plaintext: SecretStr, binding: SecretBinding) -> str:
        """Return the ciphertext of ``plaintext`` under the current key version, bound to ``binding``."""
        ...

    def decrypt(self, ciphertext: str, binding: SecretBinding) -> SecretStr:
        """Return the plaintext; raise ``DecryptionError`` when it does not open under ``binding``."""
        ...

    def rewrap(self, ciphertext: str, binding: SecretBinding) -> str:
        """Return ``ciphertext`` re-encrypted under the current key version, plaintext never returned."""
        ...

    def rotate(self) -> int:
        """Make a new key version current and return it; old versions still decrypt."""
        ...

    def current_version(self) -> int:
        """Return the key version new ciphertexts are made with."""
        ...

    def version_of(self, ciphertext: str) -> int:
        """Return the key version ``ciphertext`` was made with, without decrypting it."""
        ...


__all__ = [
    "BINDING_DOMAIN",
    "CipherName",
    "DecryptionError",
    "MasterKeyError",
    "SecretBinding",
    "SecretCipher",
    "SecretPurpose",
    "SecretsError",
    "VaultError",
]
