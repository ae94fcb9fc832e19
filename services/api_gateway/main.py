"""Factory of the api_gateway process: the web app at ``/``, the API under ``/api``."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute
from starlette.routing import Route

from services.api_gateway.api import ws
from services.api_gateway.api.deps import GatewayState
from services.api_gateway.api.routes import (
    audit,
    exchange_keys,
    intents,
    kill_switch,
    limits,
    market,
    mode,
    orders,
    portfolio,
    rules,
)
from services.api_gateway.body_limit import BodyLimit
from services.api_gateway.errors import install_error_handlers
from services.api_gateway.market_hub import HubMetrics, MarketHub
from services.api_gateway.static import not_built, web_app
from shared.auth.tokens import TokenVerifier
from shared.config.settings import ENV_PREFIX, GatewaySettings
from shared.db.repositories.candles import CandleRepository
from shared.db.repositories.exchange_keys import ExchangeKeyRepository
from shared.db.repositories.kill_switches import KillSwitchRepository
from shared.db.repositories.risk_limits import RiskLimitsRepository
from shared.db.repositories.user_controls import UserControlsRepository
from shared.db.repositories.user_trading import UserTradingRepository
from shared.db.repositories.users import UserRepository
from shared.runtime.service import ServiceRuntime
from shared.secrets.factory import build_cipher

SERVICE = "api_gateway"
_log = logging.getLogger(__name__)


def _operation_id(route: APIRoute) -> str:
    # Stable, readable ids for the generated web client: "market-list_candles".
    return f"{route.tags[0]}-{route.name}" if route.tags else route.name


def _verifier(settings: GatewaySettings) -> TokenVerifier | None:
    if settings.jwt_secret is None:
        _log.warning(
            "no JWT secret: routes that need a signed-in user answer 503",
            extra={"setting": f"{ENV_PREFIX}JWT_SECRET"},
        )
        return None
    return TokenVerifier(settings.jwt_secret, audience=settings.jwt_audience)


def create_app(settings: GatewaySettings | None = None) -> FastAPI:
    settings = settings or GatewaySettings()
    runtime = ServiceRuntime(SERVICE, settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with runtime.lifespan():
            hub = MarketHub(settings.gateway_venue, HubMetrics(runtime.registry))
            await hub.attach(runtime.nats)
            sessionmaker = runtime.sessionmaker()
            assert runtime.publisher is not None
            app.state.gateway = GatewayState(
                settings=settings,
                candles=CandleRepository(sessionmaker),
                hub=hub,
                exchange_keys=ExchangeKeyRepository(sessionmaker, build_cipher(settings)),
                users=UserRepository(sessionmaker),
                verifier=_verifier(settings),
                trading=UserTradingRepository(sessionmaker),
                controls=UserControlsRepository(sessionmaker),
                kill_switches=KillSwitchRepository(sessionmaker),
                risk_limits=RiskLimitsRepository(sessionmaker),
                publisher=runtime.publisher,
            )
            try:
                yield
            finally:
                await hub.detach()

    app = FastAPI(
        title="CryptoPulse API",
        version="0.1.0",
        description="REST and WebSocket API of the CryptoPulse trading copilot.",
        lifespan=lifespan,
        generate_unique_id_function=_operation_id,
    )
    install_error_handlers(app)
    app.add_middleware(BodyLimit)
    api = APIRouter(prefix="/api")
    api.include_router(market.router)
    api.include_router(exchange_keys.router)
    for trading in (intents, orders, portfolio, rules, mode, kill_switch, limits, audit):
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
