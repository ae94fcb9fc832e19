"""Dependencies of the routes: the gateway's state, reached through the request."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from services.api_gateway.market_hub import MarketHub
from shared.config.settings import GatewaySettings
from shared.db.repositories.candles import CandleRepository


@dataclass
class GatewayState:
    """What the lifespan builds and every route shares."""

    settings: GatewaySettings
    candles: CandleRepository
    hub: MarketHub


def get_state(request: Request) -> GatewayState:
    state: GatewayState = request.app.state.gateway
    return state


StateDep = Annotated[GatewayState, Depends(get_state)]
