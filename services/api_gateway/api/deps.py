"""Dependencies of the routes: the gateway's state and the caller, reached through the request."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from services.api_gateway.errors import ApiError
from services.api_gateway.market_hub import MarketHub
from services.api_gateway.paper_accounts import PaperAccounts
from services.api_gateway.user_hub import UserHub
from services.api_gateway.user_reads import UserReads
from shared.auth.jwks import SigningKeysUnavailable
from shared.auth.local_accounts import LocalAccounts
from shared.auth.token_cache import Verifier
from shared.auth.tokens import Claims, TokenError
from shared.config.settings import ENV_PREFIX, GatewaySettings
from shared.db.repositories.credentials import AccountRepository
from shared.db.repositories.exchange_keys import ExchangeKeyRepository
from shared.db.repositories.kill_switches import KillSwitchRepository
from shared.db.repositories.model_preferences import ModelPreferenceRepository
from shared.db.repositories.risk_limits import RiskLimitsRepository
from shared.db.repositories.user_controls import UserControlsRepository
from shared.db.repositories.user_trading import UserTradingRepository
from shared.db.repositories.users import UserRepository
from shared.messaging.publisher import JetStreamPublisher


@dataclass
class GatewayState:
    """What the lifespan builds and every route shares."""

    settings: GatewaySettings
    hub: MarketHub
    users_hub: UserHub
    publisher: JetStreamPublisher
    """Acknowledged JetStream publishes: chat requests, approvals, mode requests and kill switches."""
    exchange_keys: ExchangeKeyRepository
    users: UserRepository
    verifier: Verifier | None
    """``None`` when neither a JWT secret nor a JWKS URL is configured: routes that need a user
    then answer 503. The app's is a ``CachedVerifier``: a token verified once is remembered until
    its ``exp``."""
    accounts: AccountRepository
    local_accounts: LocalAccounts | None
    """``None`` without a JWT secret (nothing to sign local sessions with): the auth routes answer 503."""
    trading: UserTradingRepository
    controls: UserControlsRepository
    kill_switches: KillSwitchRepository
    risk_limits: RiskLimitsRepository
    model_preferences: ModelPreferenceRepository
    reads: UserReads
    """The hot read routes (orders, intents, positions, P&L, candles) over plain asyncpg."""
    paper_accounts: PaperAccounts | None = None
    """Opens a funded paper account for each local account; ``None`` unless a paper URL is set."""


async def get_state(request: Request) -> GatewayState:
    # async: FastAPI runs a plain ``def`` dependency in its thread pool, a thread hop per request.
    state: GatewayState = request.app.state.gateway
    return state


StateDep = Annotated[GatewayState, Depends(get_state)]

# Declares the scheme in OpenAPI; auto_error off so every refusal gets our error body and header.
bearer_scheme = HTTPBearer(
    bearerFormat="JWT",
    description="A Supabase-shaped access token (HS256): `Authorization: Bearer <token>`.",
    auto_error=False,
)


def _unauthorized(code: str, message: str, error: str | None = None) -> ApiError:
    # RFC 6750 §3: no error attribute when the request carried no token at all.
    challenge = "Bearer" if error is None else f'Bearer error="{error}"'
    return ApiError(401, code, message, headers={"WWW-Authenticate": challenge})


async def current_user(
    state: StateDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> Claims:
    """Return the verified claims of the caller's bearer token, or refuse the request."""
    if state.verifier is None:
        raise ApiError(
            503,
            "auth_not_configured",
            f"sign-in is not configured on this server: set {ENV_PREFIX}JWT_SECRET",
        )
    if credentials is None:
        raise _unauthorized("not_authenticated", "expected an 'Authorization: Bearer <token>' header")
    try:
        return await state.verifier.verify(credentials.credentials)
    except SigningKeysUnavailable:
        raise ApiError(
            503, "auth_unavailable", "the identity provider's signing keys are unavailable"
        ) from None
    except TokenError as e:
        raise _unauthorized("invalid_token", f"token refused: {e.reason}", "invalid_token") from None


CurrentUser = Annotated[Claims, Depends(current_user)]


def actor_of(user: Claims) -> str:
    """How the caller is named in messages and the audit trail."""
    return f"{user.app_role}:{user.sub}"
