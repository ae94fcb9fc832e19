"""A real paper exchange (uvicorn on a free port, in a background thread) for tests."""

from __future__ import annotations

import threading
import time
from decimal import Decimal
from typing import Any

import httpx

from cryptopulse.servers.ports import free_port
from services.paper_exchange.server import build_server
from shared.config.settings import PaperExchangeSettings

FAST = {"paper_speed": 600.0, "paper_tick_ms": 20, "paper_history_candles": 120, "log_level": "WARNING"}
"""Ten simulated minutes per wall-clock second: a candle closes every 0.1 s."""


class PaperServer:
    """The server, its URLs, and a clean stop."""

    def __init__(self, **overrides: Any) -> None:
        self.settings = PaperExchangeSettings(paper_port=free_port(), **{**FAST, **overrides})
        self.server = build_server(self.settings)
        self.thread = threading.Thread(target=self.server.run, name="paper-exchange", daemon=True)
        self.http = f"http://{self.settings.host}:{self.settings.paper_port}"
        self.ws = f"ws://{self.settings.host}:{self.settings.paper_port}"

    def start(self) -> PaperServer:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the paper exchange did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)

    def create_account(self, balances: dict[str, str], *, can_trade: bool = True) -> tuple[str, str]:
        """A new account through ``POST /admin/accounts``; returns ``(api_key, secret)``."""
        body = {"balances": balances, "can_trade": can_trade}
        response = httpx.post(f"{self.http}/admin/accounts", json=body, timeout=10)
        response.raise_for_status()
        created = response.json()
        return created["api_key"], created["secret"]

    def inject_trade(self, symbol: str, price: Decimal | str, quantity: Decimal | str) -> dict[str, Any]:
        """One market trade printed now through ``POST /admin/trades``; returns the printed trade.

        Resting orders it crosses have filled (by ``paper_fill_share``) when this returns.
        """
        body = {"symbol": symbol, "price": str(price), "quantity": str(quantity)}
        response = httpx.post(f"{self.http}/admin/trades", json=body, timeout=10)
        assert response.status_code == 201, response.text
        trade: dict[str, Any] = response.json()
        return trade
