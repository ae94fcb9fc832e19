"""The gateway's OpenAPI document as committed for the web app, which generates its client from it.

``web/openapi.json`` is this document; a test fails when the routes change and it was not
regenerated (``make openapi``), so the browser's types never drift from the server.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from services.api_gateway.main import create_app
from shared.config.settings import GatewaySettings

COMMITTED = Path(__file__).resolve().parents[2] / "web" / "openapi.json"


def openapi_document() -> dict[str, Any]:
    """Build the app (nothing starts: no lifespan runs) and return its OpenAPI document."""
    document: dict[str, Any] = create_app(GatewaySettings()).openapi()
    return document


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
