"""The paper exchange: a Binance-Spot-compatible simulated exchange served on one local port.

Market data (REST ``/api/v3/...``, WebSocket market streams), trading (accounts, signed orders,
matching, the ``/ws-api/v3`` user-data stream) and the ``/admin`` controls (accounts, faults,
injected trades) share one app and one port.
"""

from services.paper_exchange.main import create_app

__all__ = ["create_app"]
