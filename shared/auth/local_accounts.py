"""Local sign-in: sign-up, login, refresh and logout, issuing Supabase-shaped access tokens.

What a session is: a short-lived access token (HS256, the same shape Supabase issues, so every
route checks both alike) and a refresh token used once. Each refresh revokes the token shown and
issues the next one in the same family; a revoked token shown again means two parties hold it,
and the whole family is revoked (OAuth 2.0 Security BCP, refresh token rotation).

Who is an admin is the operator's decision: the addresses listed in the settings. The stored role
follows that list at sign-up, login and refresh, and the token carries the stored role.

A login that fails says only "invalid email or password", takes about as long whether or not the
address has an account (an unknown address is checked against a dummy hash), and counts against
both the address and the client's IP.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pydantic import SecretStr

from shared.auth.passwords import PasswordHashing, check_password
from shared.auth.refresh_tokens import MAX_TOKEN_CHARS, digest_of, new_refresh_token
from shared.auth.tokens import issue_token
from shared.db.models.users import UserRole
from shared.db.repositories.credentials import AccountRepository
from shared.db.repositories.login_failures import LoginFailureRepository
from shared.db.repositories.refresh_tokens import RefreshTokenRepository
from shared.db.repositories.users import UserRecord, normalize_email

_log = logging.getLogger(__name__)


class InvalidCredentialsError(Exception):
    """Wrong password or unknown address: deliberately not saying which."""

    def __init__(self) -> None:
        super().__init__("invalid email or password")


class TooManyFailuresError(Exception):
    """Too many failed logins for this address or IP; ``retry_after`` says for how long."""

    def __init__(self, retry_after: timedelta) -> None:
        super().__init__(f"too many failed logins; try again in {retry_after}")
        self.retry_after = retry_after


class RefreshRefusedError(Exception):
    """A refresh token that is unknown, expired or revoked; ``reason`` is safe to show."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class SignedIn:
    """A new session: what the client keeps (both tokens) and who it is."""

    user: UserRecord
    access_token: str
    expires_in: int
    """Seconds the access token lives."""
    refresh_token: str


@dataclass(frozen=True, slots=True)
class TokenPolicy:
    """How access tokens are signed and how long tokens live."""

    secret: SecretStr
    audience: str
    access_ttl: timedelta
    refresh_ttl: timedelta


class LocalAccounts:
    """The local identity provider; build one per app (the hasher prepares a dummy hash)."""

    def __init__(
        self,
        *,
        accounts: AccountRepository,
        refresh_tokens: RefreshTokenRepository,
        failures: LoginFailureRepository,
        hashing: PasswordHashing,
        tokens: TokenPolicy,
        admin_emails: frozenset[str] = frozenset(),
    ) -> None:
        self._accounts = accounts
        self._refresh_tokens = refresh_tokens
        self._failures = failures
        self._hashing = hashing
        self._tokens = tokens
        self._admin_emails = admin_emails

    def __repr__(self) -> str:
        return f"LocalAccounts(hashing={self._hashing!r}, admins={len(self._admin_emails)})"

    # -- SIGN-UP AND LOGIN -------------------------------------------------------------------------

    async def sign_up(self, email: str, password: str, display_name: str) -> SignedIn:
        """Create an account and sign it in; raise ``PasswordPolicyError`` or ``AccountExistsError``."""
        email = normalize_email(email)
        check_password(password, email)
        password_hash = await self._hashing.hash_async(password)
        user = await self._accounts.create(email, display_name, password_hash, role=self._role_for(email))
        _log.info("account created", extra={"user_id": str(user.id), "role": user.role})
        return await self._start(user)

    async def log_in(self, email: str, password: str, client_ip: str) -> SignedIn:
        """Check the password and sign in; raise ``TooManyFailuresError`` or ``InvalidCredentialsError``."""
        email = email.strip().lower()
        wait = await self._failures.wait(email, client_ip)
        if wait > timedelta(0):
            _log.warning(
                "login throttled", extra={"client_ip": client_ip, "retry_after_s": wait.total_seconds()}
            )
            raise TooManyFailuresError(wait)
        found = await self._accounts.for_login(email) if "@" in email else None
        stored_hash = None if found is None else found[1]
        if found is None or not await self._hashing.verify_async(stored_hash, password):
            await self._failures.record(email, client_ip)
            _log.info("login refused", extra={"client_ip": client_ip, "known": found is not None})
            raise InvalidCredentialsError()
        user, stored_hash = found
        await self._failures.clear(email)
        if self._hashing.needs_rehash(stored_hash):
            await self._accounts.replace_password_hash(user.id, await self._hashing.hash_async(password))
            _log.info("password rehashed", extra={"user_id": str(user.id)})
        return await self._start(await self._with_operator_role(user))

    # -- REFRESH AND LOGOUT ------------------------------------------------------------------------

    async def refresh(self, refresh_token: str) -> SignedIn:
        """Swap a refresh token for a new session in its family; raise ``RefreshRefusedError``."""
        if len(refresh_token) > MAX_TOKEN_CHARS:
            raise RefreshRefusedError("unknown refresh token")
        token, digest = new_refresh_token()
        rotation = await self._refresh_tokens.rotate(digest_of(refresh_token), digest, self._refresh_expiry())
        if rotation.outcome == "reused":
            _log.warning("refresh token reused: family revoked", extra={"user_id": str(rotation.user_id)})
            raise RefreshRefusedError("refresh token already used; every session of this sign-in is revoked")
        if rotation.outcome != "rotated" or rotation.user_id is None:
            raise RefreshRefusedError(f"{rotation.outcome} refresh token")
        user = await self._accounts.get(rotation.user_id)
        if user is None:  # deleted between the two statements; its tokens went with it
            raise RefreshRefusedError("unknown refresh token")
        user = await self._with_operator_role(user)
        return SignedIn(user, self._access_token(user), self._expires_in(), token)

    async def log_out(self, refresh_token: str) -> None:
        """Revoke the refresh token's whole family (this sign-in on every device it was copied to)."""
        if len(refresh_token) <= MAX_TOKEN_CHARS:
            revoked = await self._refresh_tokens.revoke_family_of(digest_of(refresh_token))
            _log.info("logged out", extra={"revoked": revoked})

    # -- TOKENS ------------------------------------------------------------------------------------

    async def _start(self, user: UserRecord) -> SignedIn:
        token, digest = new_refresh_token()
        await self._refresh_tokens.issue(user.id, digest, self._refresh_expiry())
        return SignedIn(user, self._access_token(user), self._expires_in(), token)

    def _access_token(self, user: UserRecord) -> str:
        policy = self._tokens
        return issue_token(
            policy.secret,
            user.id,
            app_role=user.role,
            audience=policy.audience,
            email=user.email,
            ttl=policy.access_ttl,
        )

    def _expires_in(self) -> int:
        return int(self._tokens.access_ttl.total_seconds())

    def _refresh_expiry(self) -> datetime:
        return datetime.now(UTC) + self._tokens.refresh_ttl

    # -- ROLES -------------------------------------------------------------------------------------

    def _role_for(self, email: str) -> UserRole:
        return "admin" if email in self._admin_emails else "user"

    async def _with_operator_role(self, user: UserRecord) -> UserRecord:
        role = self._role_for(user.email)
        if role == user.role:
            return user
        await self._accounts.set_role(user.id, role)
        _log.info("role changed by the operator's list", extra={"user_id": str(user.id), "role": role})
        return UserRecord(user.id, user.email, user.display_name, role, user.created_at)


__all__ = [
    "InvalidCredentialsError",
    "LocalAccounts",
    "RefreshRefusedError",
    "SignedIn",
    "TokenPolicy",
    "TooManyFailuresError",
]
