"""The paper exchange's ASGI app: ``create_app(settings)`` wires routes; the lifespan builds the
markets (reading the replay file), opens the trading store and runs the simulator, so importing
does no work."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI

from services.paper_exchange import admin, rest, streams, trading_rest, user_stream
from services.paper_exchange.auth import KeepRawReceive
from services.paper_exchange.errors import BinanceError, handle_binance_error
from services.paper_exchange.exchange import PaperExchange
from services.paper_exchange.faults import FaultRegistry
from services.paper_exchange.hub import GOING_AWAY, Hub
from services.paper_exchange.metrics import PaperMetrics
from services.paper_exchange.user_hub import UserStreams
from shared.config.settings import PaperExchangeSettings
from shared.runtime.ops import ops_routes
from shared.telemetry.http_metrics import HttpMetrics, HttpMetricsMiddleware
from shared.telemetry.metrics import create_registry

SERVICE = "paper_exchange"


def create_app(settings: PaperExchangeSettings | None = None) -> FastAPI:
    """Return the app; nothing runs until its lifespan starts."""
    settings = settings or PaperExchangeSettings()
    registry = create_registry()
    metrics = PaperMetrics(registry)
    hub = Hub()
    faults = FaultRegistry()
    faults.register_action("drop_streams", lambda: hub.close_all(GOING_AWAY, "streams dropped (fault)"))
    faults.register_action("malformed_frames", hub.send_garbage)
    users = UserStreams()
    faults.register_action("drop_user_streams", users.close_all)
    runner: dict[str, asyncio.Task[None]] = {}

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        exchange = await asyncio.to_thread(PaperExchange.build, settings, hub, faults, metrics, users)
        app.state.exchange = exchange
        runner["task"] = asyncio.create_task(exchange.run(), name="paper-exchange-simulator")
        try:
            yield
        finally:
            runner["task"].cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await runner["task"]
            users.close_all()
            exchange.engine.store.close()

    async def readiness() -> dict[str, bool]:
        task = runner.get("task")
        return {"simulator": task is not None and not task.done()}

    app = FastAPI(
        title="CryptoPulse paper exchange",
        summary="Binance-Spot-compatible simulated exchange: market data and trading.",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.faults = faults
    app.state.hub = hub
    app.add_exception_handler(BinanceError, handle_binance_error)
    app.middleware("http")(rest.market_data_middleware)
    app.add_middleware(KeepRawReceive)
    app.add_middleware(HttpMetricsMiddleware, metrics=HttpMetrics(registry))
    app.include_router(rest.router)
    app.include_router(trading_rest.router)
    app.include_router(streams.router)
    app.include_router(user_stream.router)
    app.include_router(admin.router)
    app.router.routes.extend(ops_routes(SERVICE, registry, readiness))
    return app
