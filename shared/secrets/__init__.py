"""Encryption of exchange secrets at rest: Vault transit, or AES-GCM envelopes under a local key.

Importing this package does nothing but define names; ``build_cipher`` makes a cipher on demand.
"""

from shared.secrets.base import (
    CipherName,
    DecryptionError,
    MasterKeyError,
    SecretBinding,
    SecretCipher,
    SecretPurpose,
    SecretsError,
    VaultError,
)
from shared.secrets.envelope import EnvelopeCipher
from shared.secrets.factory import build_cipher
from shared.secrets.master_key import MasterKeyFile
from shared.secrets.vault import VaultTransitCipher

__all__ = [
    "CipherName",
    "DecryptionError",
    "EnvelopeCipher",
    "MasterKeyError",
    "MasterKeyFile",
    "SecretBinding",
    "SecretCipher",
    "SecretPurpose",
    "SecretsError",
    "VaultError",
    "VaultTransitCipher",
    "build_cipher",
]
