"""Factory of the api_gateway process: the web app at ``/``, the API under ``/api``."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.routing import Route

from services.api_gateway.api import ws
from services.api_gateway.api.deps import GatewayState
from services.api_gateway.api.routes import (
    audit,
    auth,
    exchange_keys,
    intents,
    kill_switch,
    limits,
    market,
    mode,
    model_settings,
    orders,
    portfolio,
    rules,
)
from services.api_gateway.body_limit import BodyLimit
from services.api_gateway.errors import install_error_handlers
from services.api_gateway.market_hub import HubMetrics, MarketHub
from services.api_gateway.paper_accounts import PaperAccounts
from services.api_gateway.static import not_built, web_app
from services.api_gateway.user_hub import UserHub, UserHubMetrics
from services.api_gateway.user_reads import UserReads
from shared.auth.access import AccessTokenVerifier
from shared.auth.jwks import JwksVerifier
from shared.auth.local_accounts import LocalAccounts, TokenPolicy
from shared.auth.login_limits import LoginLimits
from shared.auth.passwords import PasswordHashing
from shared.auth.token_cache import CachedVerifier
from shared.auth.tokens import TokenVerifier
from shared.config.settings import ENV_PREFIX, GatewaySettings
from shared.db.repositories.credentials import AccountRepository
from shared.db.repositories.exchange_keys import ExchangeKeyRepository
from shared.db.repositories.kill_switches import KillSwitchRepository
from shared.db.repositories.login_failures import LoginFailureRepository
from shared.db.repositories.model_preferences import ModelPreferenceRepository
from shared.db.repositories.portfolio import PortfolioRepository
from shared.db.repositories.refresh_tokens import RefreshTokenRepository
from shared.db.repositories.risk_limits import RiskLimitsRepository
from shared.db.repositories.user_controls import UserControlsRepository
from shared.db.repositories.user_trading import UserTradingRepository
from shared.db.repositories.users import UserRepository
from shared.db.tenant_pool import create_tenant_pool
from shared.runtime.service import ServiceRuntime
from shared.secrets.factory import build_cipher
from shared.telemetry.http_metrics import HttpMetrics, HttpMetricsMiddleware
from shared.telemetry.http_tracing import fastapi_telemetry

SERVICE = "api_gateway"
READ_POOL_MIN, READ_POOL_MAX = 2, 10
"""Connections of the read routes' asyncpg pool (beside the ORM's pool for everything else)."""
_log = logging.getLogger(__name__)


def _operation_id(route: APIRoute) -> str:
    # Stable, readable ids for the generated web client: "market-list_candles".
    return f"{route.tags[0]}-{route.name}" if route.tags else route.name


def _verifier(settings: GatewaySettings) -> CachedVerifier | None:
    if settings.jwt_secret is None and settings.jwt_jwks_url is None:
        _log.warning(
            "no JWT secret and no JWKS URL: routes that need a signed-in user answer 503",
            extra={"setting": f"{ENV_PREFIX}JWT_SECRET"},
        )
        return None
    secret = (
        None
        if settings.jwt_secret is None
        else TokenVerifier(settings.jwt_secret, audience=settings.jwt_audience)
    )
    jwks = (
        None
        if settings.jwt_jwks_url is None
        else JwksVerifier(
            settings.jwt_jwks_url,
            audience=settings.jwt_audience,
            cache_ttl=timedelta(seconds=settings.jwt_jwks_cache_s),
        )
    )
    return CachedVerifier(AccessTokenVerifier(secret, jwks))


def _local_accounts(
    settings: GatewaySettings, sessionmaker: async_sessionmaker[AsyncSession], accounts: AccountRepository
) -> LocalAccounts | None:
    # Local sessions are signed with the HS256 secret; without one there is nothing to sign with.
    if settings.jwt_secret is None:
        return None
    limits = LoginLimits(
        per_email=settings.auth_login_failures_per_email,
        per_ip=settings.auth_login_failures_per_ip,
        window=timedelta(seconds=settings.auth_login_window_s),
    )
    return LocalAccounts(
        accounts=accounts,
        refresh_tokens=RefreshTokenRepository(sessionmaker),
        failures=LoginFailureRepository(sessionmaker, limits),
        hashing=PasswordHashing(
            time_cost=settings.auth_argon2_time_cost, memory_kib=settings.auth_argon2_memory_kib
        ),
        tokens=TokenPolicy(
            secret=settings.jwt_secret,
            audience=settings.jwt_audience,
            access_ttl=timedelta(seconds=settings.auth_access_ttl_s),
            refresh_ttl=timedelta(seconds=settings.auth_refresh_ttl_s),
        ),
        admin_emails=frozenset(settings.auth_admin_emails),
    )


def _paper_accounts(
    settings: GatewaySettings, sessionmaker: async_sessionmaker[AsyncSession], keys: ExchangeKeyRepository
) -> PaperAccounts | None:
    if settings.gateway_venue != "paper" or settings.gateway_paper_url is None:
        return None
    return PaperAccounts(
        settings.gateway_paper_url, settings.gateway_paper_funds, keys, PortfolioRepository(sessionmaker)
    )


def create_app(settings: GatewaySettings | None = None) -> FastAPI:
    settings = settings or GatewaySettings()
    runtime = ServiceRuntime(SERVICE, settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with runtime.lifespan():
            hub = MarketHub(
                settings.gateway_venue,
                HubMetrics(runtime.registry),
                flush_s=settings.gateway_tick_flush_ms / 1000,
            )
            await hub.attach(runtime.nats)
            users_hub = UserHub(UserHubMetrics(runtime.registry))
            await users_hub.attach(runtime.nats)
            assert runtime.publisher is not None
            sessionmaker = runtime.sessionmaker()
            accounts = AccountRepository(sessionmaker)
            cipher = build_cipher(settings)
            keys = ExchangeKeyRepository(sessionmaker, cipher)
            read_pool = await create_tenant_pool(
                settings.database_url, min_size=READ_POOL_MIN, max_size=READ_POOL_MAX
            )
            app.state.gateway = GatewayState(
                settings=settings,
                hub=hub,
                users_hub=users_hub,
                publisher=runtime.publisher,
                exchange_keys=keys,
                users=UserRepository(sessionmaker),
                verifier=_verifier(settings),
                accounts=accounts,
                local_accounts=_local_accounts(settings, sessionmaker, accounts),
                trading=UserTradingRepository(sessionmaker),
                controls=UserControlsRepository(sessionmaker, max_live_rules=settings.rules_max_per_user),
                kill_switches=KillSwitchRepository(sessionmaker),
                risk_limits=RiskLimitsRepository(sessionmaker),
                model_preferences=ModelPreferenceRepository(sessionmaker, cipher),
                reads=UserReads(read_pool),
                paper_accounts=_paper_accounts(settings, sessionmaker, keys),
            )
            try:
                yield
            finally:
                await users_hub.detach()
                await hub.detach()
                await read_pool.close()

    app = FastAPI(
        title="CryptoPulse API",
        version="0.1.0",
        description="REST and WebSocket API of the CryptoPulse trading copilot.",
        lifespan=lifespan,
        generate_unique_id_function=_operation_id,
        telemetry=fastapi_telemetry(settings),
    )
    install_error_handlers(app)
    app.add_middleware(BodyLimit)
    app.add_middleware(HttpMetricsMiddleware, metrics=HttpMetrics(runtime.registry))  # outermost: 413s too
    api = APIRouter(prefix="/api")
    api.include_router(auth.router)
    api.include_router(market.router)
    api.include_router(exchange_keys.router)
    for trading in (intents, orders, portfolio, rules, mode, kill_switch, limits, model_settings, audit):
        api.include_router(trading.router)
    api.include_router(ws.router)
    app.include_router(api)
    app.router.routes.extend(runtime.ops_routes())
    static = web_app(settings.web_dist_dir)
    if static is None:
        app.router.routes.append(Route("/", not_built))
    else:
        app.mount("/", static, name="web")
    return app
