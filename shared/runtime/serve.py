"""Run one service's ASGI app with uvicorn, logging through our JSON handler."""

from __future__ import annotations

from typing import Any

import uvicorn


def serve(app: Any, *, host: str, port: int) -> None:
    """Serve ``app`` until SIGINT/SIGTERM; uvicorn runs the app's lifespan."""
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_config=None,
        access_log=False,
        lifespan="on",
        ws="websockets-sansio",
        ws_ping_interval=20.0,
        ws_ping_timeout=60.0,
        timeout_graceful_shutdown=10,
    )
