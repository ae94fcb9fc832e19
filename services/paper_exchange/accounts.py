"""Accounts: API keys, secrets, and balances (free and locked) kept exactly, written through.

Every change to a balance goes through ``credit``/``lock``/``release`` so the engine can report
each touched asset in ``outboundAccountPosition`` and the store persists it in the same
transaction as the order or fill that caused it.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from services.paper_exchange.numbers import ZERO
from services.paper_exchange.store import Store

_ASSET = re.compile(r"^[A-Z0-9]{1,20}$")


class AccountError(ValueError):
    """A bad ``/admin/accounts`` request; the message says why."""


@dataclass(slots=True)
class Account:
    api_key: str
    secret: str
    can_trade: bool
    free: dict[str, Decimal] = field(default_factory=dict)
    locked: dict[str, Decimal] = field(default_factory=dict)
    touched: set[str] = field(default_factory=set)  # assets changed by the event being applied


def parse_balances(raw: object) -> dict[str, Decimal]:
    """``{"USDT": "10000", "BTC": "0.5"}`` → exact non-negative decimals."""
    if not isinstance(raw, dict):
        raise AccountError('expected "balances" to be an object of asset to amount')
    out: dict[str, Decimal] = {}
    for asset, amount in raw.items():
        if not isinstance(asset, str) or not _ASSET.match(asset):
            raise AccountError(f"asset {asset!r} is not an upper-case asset code")
        if isinstance(amount, bool) or not isinstance(amount, str | int):
            raise AccountError(f"{asset}: give the amount as a decimal string, was {amount!r}")
        try:
            value = Decimal(amount)
        except InvalidOperation:
            raise AccountError(f"{asset}: {amount!r} is not a decimal number") from None
        if not value.is_finite() or value < 0 or value != value.quantize(Decimal("1e-8")):
            raise AccountError(f"{asset}: {amount!r} must be ≥ 0 with at most 8 decimals")
        out[asset] = value
    return out


class Accounts:
    """Every account by API key."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self.by_key: dict[str, Account] = {}
        for key, secret, can_trade in store.accounts():
            self.by_key[key] = Account(key, secret, can_trade)
        for key, asset, free, locked in store.balances():
            account = self.by_key[key]
            account.free[asset], account.locked[asset] = free, locked

    def create(self, balances: dict[str, Decimal], can_trade: bool, now_ms: int) -> Account:
        account = Account("pk" + secrets.token_hex(31), secrets.token_hex(32), can_trade)
        with self._store.transaction():
            self._store.add_account(account.api_key, account.secret, can_trade, now_ms)
            for asset, amount in balances.items():
                account.free[asset], account.locked[asset] = amount, ZERO
                self._store.save_balance(account.api_key, asset, amount, ZERO)
        self.by_key[account.api_key] = account
        return account

    def free(self, account: Account, asset: str) -> Decimal:
        return account.free.get(asset, ZERO)

    def credit(self, account: Account, asset: str, amount: Decimal) -> None:
        """Add ``amount`` (negative to debit) to the free balance."""
        account.free[asset] = account.free.get(asset, ZERO) + amount
        account.locked.setdefault(asset, ZERO)
        self._touch(account, asset)

    def lock(self, account: Account, asset: str, amount: Decimal) -> None:
        account.free[asset] = account.free.get(asset, ZERO) - amount
        account.locked[asset] = account.locked.get(asset, ZERO) + amount
        self._touch(account, asset)

    def release(self, account: Account, asset: str, amount: Decimal, spent: Decimal = ZERO) -> None:
        """Take ``amount`` out of locked: ``spent`` of it leaves the account, the rest is free again."""
        account.locked[asset] = account.locked.get(asset, ZERO) - amount
        account.free[asset] = account.free.get(asset, ZERO) + amount - spent
        self._touch(account, asset)

    def _touch(self, account: Account, asset: str) -> None:
        account.touched.add(asset)
        self._store.save_balance(account.api_key, asset, account.free[asset], account.locked[asset])

    def take_touched(self, account: Account) -> list[tuple[str, Decimal, Decimal]]:
        """The assets changed since the last call, with their free and locked amounts."""
        assets = sorted(account.touched)
        account.touched.clear()
        return [(a, account.free[a], account.locked[a]) for a in assets]
