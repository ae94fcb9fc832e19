"""Choose the cipher from settings: Vault transit when an address is configured, else the envelope.

A function, not a module-level instance: each service builds its cipher at startup, and tests
build as many as they like.
"""

from __future__ import annotations

from shared.config.settings import SecretsSettings
from shared.secrets.base import SecretCipher, VaultError
from shared.secrets.envelope import EnvelopeCipher
from shared.secrets.vault import VaultTransitCipher


def build_cipher(settings: SecretsSettings) -> SecretCipher:
    """Return the cipher ``settings`` select; raise ``VaultError`` when Vault lacks a token.

    Nothing is contacted or created here; the first encrypt or decrypt does that.
    """
    if settings.vault_addr:
        if settings.vault_token is None:
            raise VaultError("CRYPTOPULSE_VAULT_ADDR is set but CRYPTOPULSE_VAULT_TOKEN is not")
        return VaultTransitCipher(
            settings.vault_addr,
            settings.vault_token,
            key_name=settings.vault_transit_key,
            mount=settings.vault_mount,
        )
    return EnvelopeCipher(settings.master_key_file)


__all__ = ["build_cipher"]
