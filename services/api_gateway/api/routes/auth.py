"""Local accounts: sign-up, login, refresh, logout, and who the caller is.

Sign-up and login answer with a session: a 15-minute access token (HS256, shaped like
Supabase's, so every route checks it like any other) and a refresh token used once. Login
failures all read "invalid email or password" and are throttled per address and per client IP
(429 with ``Retry-After``). With ``CRYPTOPULSE_AUTH_LOCAL_SIGNUP`` off, sign-up answers 403 and
the identity provider (Supabase) owns accounts; ``/me`` works for its tokens as well.
"""

from __future__ import annotations

import math
import re
from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from services.api_gateway.api.deps import CurrentUser, StateDep
from services.api_gateway.errors import AUTH_RESPONSES, ApiError, ErrorBody
from shared.auth.local_accounts import (
    InvalidCredentialsError,
    LocalAccounts,
    RefreshRefusedError,
    SignedIn,
    TooManyFailuresError,
)
from shared.auth.passwords import MAX_PASSWORD_BYTES, PasswordPolicyError, check_password
from shared.auth.refresh_tokens import MAX_TOKEN_CHARS
from shared.config.settings import ENV_PREFIX
from shared.db.models.users import UserRole
from shared.db.repositories.credentials import AccountExistsError
from shared.db.repositories.users import UserRecord
from shared.db.tenancy import claims_for

router = APIRouter(prefix="/auth", tags=["auth"])

MAX_EMAIL_CHARS = 254
"""RFC 5321's limit on a forward path, the longest address that can receive mail."""
MAX_DISPLAY_NAME_CHARS = 100
_ADDRESS_PART = r"[^@\s\x00-\x1f\x7f]+"
EMAIL_REGEX = rf"^{_ADDRESS_PART}@{_ADDRESS_PART}\.{_ADDRESS_PART}$"
"""Deliberately loose (one ``@``, a dot in the domain, no spaces or control characters): the
address is proven by mail, not by a regular expression."""
SIGNUP_OFF = "sign-up is turned off on this server; sign up with the identity provider"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

# -- BODIES ----------------------------------------------------------------------------------------

EmailField = Annotated[
    str,
    Field(
        min_length=3,
        max_length=MAX_EMAIL_CHARS,
        pattern=EMAIL_REGEX,
        description="E-mail address; compared and stored in lower case.",
    ),
]


class SignUpBody(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"email": "alice@example.com", "password": "correct horse battery", "display_name": "Alice"}
            ]
        },
    )

    email: EmailField
    password: str = Field(
        description=f"At least 10 characters, at most {MAX_PASSWORD_BYTES} bytes (UTF-8), "
        "not the e-mail address.",
        json_schema_extra={"writeOnly": True},
    )
    display_name: str = Field(
        min_length=1,
        max_length=MAX_DISPLAY_NAME_CHARS,
        description="Shown in the app; stored exactly as sent (no control characters).",
    )

    @field_validator("password")
    @classmethod
    def _policy(cls, value: str, info: ValidationInfo) -> str:
        try:
            return check_password(value, info.data.get("email"))
        except PasswordPolicyError as e:
            raise ValueError(str(e)) from None

    @field_validator("display_name")
    @classmethod
    def _printable(cls, value: str) -> str:
        if _CONTROL.search(value):
            raise ValueError("expected a display name without control characters")
        if not value.strip():
            raise ValueError("expected a display name that is not blank")
        return value


class LoginBody(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"email": "alice@example.com", "password": "correct horse battery"}]},
    )

    email: str = Field(min_length=1, max_length=MAX_EMAIL_CHARS)
    password: str = Field(min_length=1, json_schema_extra={"writeOnly": True})

    @field_validator("email")
    @classmethod
    def _no_control_characters(cls, value: str) -> str:
        # No stored address has one, and PostgreSQL text cannot even hold NUL.
        if _CONTROL.search(value):
            raise ValueError("expected an e-mail address without control characters")
        return value

    @field_validator("password")
    @classmethod
    def _bounded(cls, value: str) -> str:
        # Bounds the hashing work; a longer password cannot have been set.
        size = len(value.encode())
        if size > MAX_PASSWORD_BYTES:
            raise ValueError(f"expected a password of at most {MAX_PASSWORD_BYTES} bytes, was {size}")
        return value


class RefreshBody(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"refresh_token": "qB0l7s3YHj3cXcS6q0n3qfH1m5b2m4T0nQ8wq2uWc1E"}]},
    )

    refresh_token: str = Field(
        min_length=1, max_length=MAX_TOKEN_CHARS, json_schema_extra={"writeOnly": True}
    )


# -- RESPONSES -------------------------------------------------------------------------------------


class UserPublic(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "id": "6f1c2a4e-3b0d-4c5e-9a8f-2d7b1e0c9f31",
                "email": "alice@example.com",
                "display_name": "Alice",
                "role": "user",
                "created_at": "2026-11-28T10:00:00Z",
            }
        }
    )

    id: UUID
    email: str
    display_name: str
    role: UserRole = Field(description="`admin` only for addresses the operator lists.")
    created_at: datetime

    @classmethod
    def of(cls, user: UserRecord) -> UserPublic:
        return cls(
            id=user.id,
            email=user.email,
            display_name=user.display_name,
            role=user.role,
            created_at=user.created_at,
        )


class SessionPublic(BaseModel):
    """A session, shaped like Supabase's token response."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "access_token": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiI2ZjFj...",
                "token_type": "bearer",
                "expires_in": 900,
                "refresh_token": "qB0l7s3YHj3cXcS6q0n3qfH1m5b2m4T0nQ8wq2uWc1E",
                "user": UserPublic.model_config["json_schema_extra"]["example"],  # type: ignore[index]
            }
        }
    )

    access_token: str = Field(description="Send as `Authorization: Bearer <access_token>`.")
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="Seconds until the access token expires.")
    refresh_token: str = Field(
        description="Use once at `/api/auth/refresh`; the answer carries the next one."
    )
    user: UserPublic

    @classmethod
    def of(cls, session: SignedIn) -> SessionPublic:
        return cls(
            access_token=session.access_token,
            expires_in=session.expires_in,
            refresh_token=session.refresh_token,
            user=UserPublic.of(session.user),
        )


def _error(description: str, code: str, message: str) -> dict[str, object]:
    return {
        "model": ErrorBody,
        "description": description,
        "content": {"application/json": {"example": {"error": {"code": code, "message": message}}}},
    }


_INVALID = _error(
    "Invalid body (the reason names the field)", "invalid_request", "password: Value error, ..."
)
_UNREADABLE = _error("A body that is not JSON at all", "http_error", "There was an error parsing the body")
_TOO_LARGE = _error("Body too large", "body_too_large", "expected a request body of at most 16384 bytes")
_NOT_CONFIGURED = _error(
    "Local sign-in is not configured", "auth_not_configured", f"set {ENV_PREFIX}JWT_SECRET"
)

# -- ROUTES ----------------------------------------------------------------------------------------


def _local(state: StateDep) -> LocalAccounts:
    if state.local_accounts is None:
        raise ApiError(
            503,
            "auth_not_configured",
            f"local sign-in is not configured on this server: set {ENV_PREFIX}JWT_SECRET",
        )
    return state.local_accounts


@router.post(
    "/signup",
    status_code=status.HTTP_201_CREATED,
    response_model=SessionPublic,
    responses={
        403: _error(
            "Sign-up is turned off (accounts come from the identity provider)", "signup_disabled", SIGNUP_OFF
        ),
        409: _error("The address has an account", "email_taken", "an account with this address exists"),
        400: _UNREADABLE,
        413: _TOO_LARGE,
        422: _INVALID,
        503: _NOT_CONFIGURED,
    },
)
async def sign_up(state: StateDep, body: SignUpBody) -> SessionPublic:
    """Create a local account (role `user`, or `admin` for addresses the operator lists) and sign it in."""
    accounts = _local(state)
    if not state.settings.auth_local_signup:
        raise ApiError(403, "signup_disabled", SIGNUP_OFF)
    try:
        session = await accounts.sign_up(body.email, body.password, body.display_name)
    except AccountExistsError:
        raise ApiError(409, "email_taken", "an account with this address exists") from None
    except PasswordPolicyError as e:  # the schema checks it too; this keeps one rule
        raise ApiError(422, "invalid_request", f"password: {e}") from None
    await _paper_account(state, session)
    return SessionPublic.of(session)


async def _paper_account(state: StateDep, session: SignedIn) -> None:
    """On the paper venue, a new account trades at once: it gets a funded paper account."""
    if state.paper_accounts is not None:
        await state.paper_accounts.try_ensure(session.user.id)


@router.post(
    "/login",
    response_model=SessionPublic,
    responses={
        401: _error(
            "Wrong password or unknown address (not saying which)",
            "invalid_credentials",
            "invalid email or password",
        ),
        400: _UNREADABLE,
        413: _TOO_LARGE,
        422: _INVALID,
        429: {
            **_error(
                "Too many failed logins for this address or IP",
                "too_many_attempts",
                "too many failed logins; try again in 840 s",
            ),
            "headers": {"Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}},
        },
        503: _NOT_CONFIGURED,
    },
)
async def log_in(state: StateDep, body: LoginBody, request: Request) -> SessionPublic:
    """Sign in with e-mail and password: a new session (access token and refresh token)."""
    accounts = _local(state)
    client_ip = request.client.host if request.client else "unknown"
    try:
        session = await accounts.log_in(body.email, body.password, client_ip)
    except TooManyFailuresError as e:
        seconds = max(1, math.ceil(e.retry_after.total_seconds()))
        raise ApiError(
            429,
            "too_many_attempts",
            f"too many failed logins; try again in {seconds} s",
            headers={"Retry-After": str(seconds)},
        ) from None
    except InvalidCredentialsError:
        raise ApiError(401, "invalid_credentials", "invalid email or password") from None
    await _paper_account(state, session)  # a retry, if opening it at sign-up failed
    return SessionPublic.of(session)


@router.post(
    "/refresh",
    response_model=SessionPublic,
    responses={
        401: _error(
            "Unknown, expired or already used refresh token (reuse revokes the whole sign-in)",
            "invalid_refresh_token",
            "refresh token refused: refresh token already used; every session of this sign-in is revoked",
        ),
        400: _UNREADABLE,
        413: _TOO_LARGE,
        422: _INVALID,
        503: _NOT_CONFIGURED,
    },
)
async def refresh(state: StateDep, body: RefreshBody) -> SessionPublic:
    """Swap a refresh token for a new session; the token sent is spent, the answer holds the next one."""
    accounts = _local(state)
    try:
        return SessionPublic.of(await accounts.refresh(body.refresh_token))
    except RefreshRefusedError as e:
        raise ApiError(401, "invalid_refresh_token", f"refresh token refused: {e.reason}") from None


@router.post(
    "/logout",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses={
        204: {
            "description": "Signed out: this sign-in's refresh tokens are revoked (also for an unknown token)"
        },
        400: _UNREADABLE,
        413: _TOO_LARGE,
        422: _INVALID,
        503: _NOT_CONFIGURED,
    },
)
async def log_out(state: StateDep, body: RefreshBody) -> Response:
    """Revoke the refresh token's sign-in on every device; access tokens lapse within their lifetime."""
    await _local(state).log_out(body.refresh_token)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/me",
    response_model=UserPublic,
    responses={
        **AUTH_RESPONSES,
        403: _error(
            "The token's user has no CryptoPulse account",
            "unknown_user",
            "no CryptoPulse user 6f1c2a4e-3b0d-4c5e-9a8f-2d7b1e0c9f31; sign up first",
        ),
    },
)
async def me(state: StateDep, user: CurrentUser) -> UserPublic:
    """The signed-in user's own account, read under their claims (row-level security).

    A user whose account the identity provider made (Supabase) never signs up or logs in here, so
    this first call of every client is where their paper account is opened, if they have none."""
    record = await state.accounts.profile(claims_for(user.sub))
    if record is None:
        raise ApiError(403, "unknown_user", f"no CryptoPulse user {user.sub}; sign up first")
    if state.paper_accounts is not None:
        await state.paper_accounts.try_ensure(user.sub)
    return UserPublic.of(record)
