"""The paper exchange: a Binance-Spot-compatible simulated exchange served on one local port.

Market data only for now (REST ``/api/v3/...`` and WebSocket market streams); the trading side
(accounts, signed orders, user-data streams) plugs into the same app later.
"""

from services.paper_exchange.main import create_app

__all__ = ["create_app"]
