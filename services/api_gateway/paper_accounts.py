"""Give each local account its own funded account on the paper exchange, so it can trade at once.

On the paper venue nobody owns an exchange account to take keys from: the simulator opens one on
request (``POST /admin/accounts``). The gateway does it, because it is where accounts are made:
at sign-up, and again at login for an account whose earlier attempt failed (the paper exchange
was down), so a failure costs a delay, never a user who can never trade. Users of an identity
provider (Supabase) never sign up or log in here: ``/api/auth/me`` and the socket's sign-in,
which every client calls first, open theirs. The key pair goes
through the exchange-key repository like a key the user typed in (encrypted, write-only, labelled
``paper``), and the starting balances the exchange confirmed are stored as the venue's report, so
the risk gate sees the funds before the executor's first reconciliation of the user.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from decimal import Decimal

import httpx
from pydantic import SecretStr
from sqlalchemy.exc import SQLAlchemyError

from shared.db.repositories.exchange_keys import (
    ExchangeKeyError,
    ExchangeKeyExistsError,
    ExchangeKeyRepository,
)
from shared.db.repositories.portfolio import PortfolioRepository
from shared.secrets.base import SecretsError

_log = logging.getLogger(__name__)
VENUE = "paper"
LABEL = "paper"
TIMEOUT_S = 5.0


class PaperAccountError(RuntimeError):
    """The paper exchange did not open an account; the message says why."""


class PaperAccounts:
    """``ensure(user_id)``: the user has a paper key, opening a funded account if not."""

    def __init__(
        self,
        paper_url: str,
        funds: dict[str, Decimal],
        keys: ExchangeKeyRepository,
        portfolio: PortfolioRepository,
    ) -> None:
        self._url = paper_url.rstrip("/") + "/admin/accounts"
        self._funds = funds
        self._keys = keys
        self._portfolio = portfolio
        self._lock = asyncio.Lock()  # one sign-up racing a login of the same user opens one account

    async def ensure(self, user_id: uuid.UUID) -> bool:
        """Open the account unless the user has a paper key; ``True`` when one was opened now."""
        if await self._has_key(user_id):  # every login asks; only a user without a key waits for the lock
            return False
        async with self._lock:
            if await self._has_key(user_id):
                return False
            api_key, secret, balances = await self._open()
            # Balances first: if storing the key fails, the next login opens a new account and
            # stores the same funds again; the other way round, a key could trade with no funds seen.
            await self._portfolio.save_balances(
                user_id, VENUE, {asset: (amount, Decimal(0)) for asset, amount in balances.items()}
            )
            try:
                await self._keys.add(user_id, VENUE, LABEL, SecretStr(api_key), SecretStr(secret))
            except ExchangeKeyExistsError:  # added meanwhile by another gateway replica
                return False
        _log.info("paper account opened", extra={"user_id": str(user_id)})
        return True

    async def try_ensure(self, user_id: uuid.UUID) -> None:
        """``ensure``, logging instead of raising: signing in must not fail for want of paper money."""
        try:
            await self.ensure(user_id)
        except (PaperAccountError, httpx.HTTPError, ExchangeKeyError, SecretsError, SQLAlchemyError) as e:
            _log.warning(
                "could not open a paper account; the next login retries",
                extra={"user_id": str(user_id), "error": str(e)},
            )

    async def _has_key(self, user_id: uuid.UUID) -> bool:
        return any(key.venue == VENUE for key in await self._keys.list(user_id))

    async def _open(self) -> tuple[str, str, dict[str, Decimal]]:
        body = {"balances": {asset: str(amount) for asset, amount in self._funds.items()}}
        async with httpx.AsyncClient(timeout=TIMEOUT_S) as client:
            response = await client.post(self._url, json=body)
        if response.status_code != 201:
            raise PaperAccountError(f"the paper exchange answered {response.status_code}: {response.text}")
        created = response.json()
        balances = {asset: Decimal(amount) for asset, amount in created["balances"].items()}
        return str(created["api_key"]), str(created["secret"]), balances


__all__ = ["PaperAccountError", "PaperAccounts"]
