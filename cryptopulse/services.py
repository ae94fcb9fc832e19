"""The processes `cryptopulse up` runs, in start order, with the port each serves."""

from __future__ import annotations

from dataclasses import dataclass

from shared.config.settings import (
    AgentSettings,
    ExecutorSettings,
    GatewaySettings,
    MarketFeedSettings,
    PaperExchangeSettings,
    RiskGateSettings,
)


@dataclass(frozen=True, slots=True)
class ServiceSpec:
    """One service process: ``python -m <module>`` serving ``/readyz`` on ``port``."""

    name: str
    module: str
    port: int
    url_label: str = ""


def stack_services(*, with_paper: bool) -> list[ServiceSpec]:
    """Every service, configured from the environment; the paper exchange first when it is the venue."""
    specs = []
    if with_paper:
        specs.append(
            ServiceSpec(
                "paper_exchange",
                "services.paper_exchange",
                PaperExchangeSettings().paper_port,
                "paper exchange (Binance API)",
            )
        )
    specs += [
        ServiceSpec("market_feed", "services.market_feed", MarketFeedSettings().feed_port),
        ServiceSpec("agent", "services.agent", AgentSettings().agent_port),
        ServiceSpec("risk_gate", "services.risk_gate", RiskGateSettings().risk_gate_port),
        ServiceSpec("executor", "services.executor", ExecutorSettings().executor_port),
        ServiceSpec("api_gateway", "services.api_gateway", GatewaySettings().gateway_port, "web app"),
    ]
    return specs
