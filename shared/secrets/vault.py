"""Vault (or OpenBao) transit encryption through hvac: the key never leaves Vault.

Why transit: the application never holds the key, Vault audits every use, and a token can be
limited to encrypt (the API that stores keys) or decrypt (the executor that signs). The transit
key is created with key derivation (``derived=True``) and the ``SecretBinding`` is the derivation
context, so each row/field is encrypted under its own derived key: a ciphertext copied elsewhere
does not decrypt, and ``rewrap`` (unlike associated data) still works on it.
"""

from __future__ import annotations

import base64
import threading
from typing import Any

import hvac
import requests
from hvac import exceptions as hvac_errors
from pydantic import SecretStr

from shared.secrets.base import CipherName, DecryptionError, SecretBinding, VaultError

KEY_TYPE = "aes256-gcm96"
PREFIX = "vault:v"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _context(binding: SecretBinding) -> str:
    return _b64(binding.encode())


def _vault_error(operation: str, error: Exception) -> VaultError:
    # Vault's own error strings ("permission denied", "Vault is sealed") help operators and never
    # quote the request body; the request itself (plaintext, token) is never included.
    if isinstance(error, hvac_errors.VaultError):
        reasons = ", ".join(str(e) for e in (error.errors or []))[:300] or type(error).__name__
        return VaultError(f"Vault transit {operation} failed: {reasons}")
    return VaultError(f"Vault transit {operation} failed: {type(error).__name__} (is Vault reachable?)")


class VaultTransitCipher:
    """``SecretCipher`` over a Vault transit key; creates the key on first use when it is missing.

    No network traffic happens at construction; the first call connects and checks the key.
    """

    def __init__(
        self,
        addr: str,
        token: SecretStr,
        key_name: str = "cryptopulse-exchange-keys",
        mount: str = "transit",
        *,
        timeout_s: float = 10.0,
    ) -> None:
        self._addr = addr
        self._token = token
        self._key_name = key_name
        self._mount = mount
        self._timeout_s = timeout_s
        self._client: Any = None
        self._ready = False
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"VaultTransitCipher(addr={self._addr!r}, key={self._key_name!r}, mount={self._mount!r})"

    @property
    def name(self) -> CipherName:
        return "vault"

    @property
    def key_name(self) -> str:
        return self._key_name

    def encrypt(self, plaintext: SecretStr, binding: SecretBinding) -> str:
        response = self._call(
            "encrypt",
            lambda transit: transit.encrypt_data(
                self._key_name,
                plaintext=_b64(plaintext.get_secret_value().encode()),
                context=_context(binding),
                mount_point=self._mount,
            ),
        )
        return str(response["data"]["ciphertext"])

    def decrypt(self, ciphertext: str, binding: SecretBinding) -> SecretStr:
        self.version_of(ciphertext)
        response = self._call(
            "decrypt",
            lambda transit: transit.decrypt_data(
                self._key_name, ciphertext=ciphertext, context=_context(binding), mount_point=self._mount
            ),
            refused=DecryptionError(
                "ciphertext does not decrypt: it was altered, or belongs to another key row, user, "
                "venue or field"
            ),
        )
        try:
            return SecretStr(base64.b64decode(response["data"]["plaintext"]).decode())
        except (ValueError, UnicodeDecodeError):
            raise DecryptionError("decrypted secret is not UTF-8 text") from None

    def rewrap(self, ciphertext: str, binding: SecretBinding) -> str:
        self.version_of(ciphertext)
        response = self._call(
            "rewrap",
            lambda transit: transit.rewrap_data(
                self._key_name, ciphertext=ciphertext, context=_context(binding), mount_point=self._mount
            ),
            refused=DecryptionError("ciphertext cannot be rewrapped: altered, or bound elsewhere"),
        )
        return str(response["data"]["ciphertext"])

    def rotate(self) -> int:
        self._call("rotate", lambda transit: transit.rotate_key(self._key_name, mount_point=self._mount))
        return self.current_version()

    def current_version(self) -> int:
        response = self._call(
            "read key", lambda transit: transit.read_key(self._key_name, mount_point=self._mount)
        )
        return int(response["data"]["latest_version"])

    def version_of(self, ciphertext: str) -> int:
        head, _, rest = ciphertext.partition(":")
        version_text, _, body = rest.partition(":")
        if head != "vault" or not version_text.startswith("v") or not version_text[1:].isdigit() or not body:
            raise DecryptionError("malformed Vault transit ciphertext")
        return int(version_text[1:])

    def _transit(self) -> Any:
        """Return hvac's transit API, creating the client and checking the key once."""
        with self._lock:
            if self._client is None:
                self._client = hvac.Client(
                    url=self._addr, token=self._token.get_secret_value(), timeout=self._timeout_s
                )
            if not self._ready:
                self._ensure_key(self._client.secrets.transit)
                self._ready = True
            return self._client.secrets.transit

    def _ensure_key(self, transit: Any) -> None:
        try:
            key = transit.read_key(self._key_name, mount_point=self._mount)
        except hvac_errors.InvalidPath:
            key = None
        except (hvac_errors.VaultError, requests.RequestException) as error:
            raise _vault_error("read key", error) from None
        if key is None:
            try:
                transit.create_key(self._key_name, key_type=KEY_TYPE, derived=True, mount_point=self._mount)
            except (hvac_errors.VaultError, requests.RequestException) as error:
                raise _vault_error("create key", error) from None
            return
        if not key["data"].get("derived"):
            raise VaultError(
                f"transit key {self._key_name!r} exists without key derivation; CryptoPulse binds each "
                "ciphertext to its row through the derivation context, so it needs a key created with "
                "derived=true (choose another CRYPTOPULSE_VAULT_TRANSIT_KEY)"
            )

    def _call(self, operation: str, request: Any, refused: Exception | None = None) -> Any:
        transit = self._transit()
        try:
            return request(transit)
        except hvac_errors.InvalidRequest as error:
            if refused is not None:
                raise refused from None
            raise _vault_error(operation, error) from None
        except (hvac_errors.VaultError, requests.RequestException) as error:
            raise _vault_error(operation, error) from None


__all__ = ["KEY_TYPE", "VaultTransitCipher"]
