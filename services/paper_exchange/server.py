"""The uvicorn server for the paper exchange, configured once for ``__main__`` and the tests."""

from __future__ import annotations

import uvicorn
from fastapi import FastAPI

from services.paper_exchange.main import create_app
from shared.config.settings import PaperExchangeSettings


def build_server(settings: PaperExchangeSettings, app: FastAPI | None = None) -> uvicorn.Server:
    """A server on ``settings.host:settings.paper_port``. Per-message deflate is off: Binance does
    not compress market streams, and compressing every frame would cap the message rate."""
    config = uvicorn.Config(
        app or create_app(settings),
        host=settings.host,
        port=settings.paper_port,
        ws="websockets-sansio",
        ws_ping_interval=settings.paper_ws_ping_interval_s,
        ws_ping_timeout=3 * settings.paper_ws_ping_interval_s,  # Binance: pong within a minute
        ws_per_message_deflate=False,
        lifespan="on",
        log_level=settings.log_level.lower(),
        log_config=None,  # through the root logger: JSON lines, like every other service
        access_log=False,
    )
    return uvicorn.Server(config)
