"""Factory of the agent process: connects to NATS and PostgreSQL and serves health and metrics.

Until its issue lands it consumes nothing and publishes nothing: doing nothing beats doing
something fake.
"""

from __future__ import annotations

from starlette.applications import Starlette

from shared.config.settings import AgentSettings
from shared.runtime.app import create_service_app
from shared.runtime.service import ServiceRuntime

SERVICE = "agent"


def create_app(settings: AgentSettings | None = None) -> Starlette:
    settings = settings or AgentSettings()
    return create_service_app(ServiceRuntime(SERVICE, settings))
