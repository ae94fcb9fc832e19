"""Serve the built web app at ``/``, falling back to ``index.html`` for client-side routes."""

from __future__ import annotations

from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.responses import HTMLResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

NOT_BUILT = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>CryptoPulse</title></head>
<body><h1>CryptoPulse</h1><p>The web app is not built yet: run <code>make web</code>
(or <code>make dev</code>), then reload. The API is live under <a href="/docs">/docs</a>.</p></body></html>"""


class SpaStaticFiles(StaticFiles):
    """Static files whose unknown paths (outside ``/api``) answer with the app's ``index.html``."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        try:
            return await super().get_response(path, scope)
        except HTTPException as e:
            if e.status_code != 404 or path.startswith("api"):
                raise
            return await super().get_response("index.html", scope)


def web_app(dist: Path) -> SpaStaticFiles | None:
    """Return the static app for ``dist``, or ``None`` when the web app was not built."""
    if not (dist / "index.html").exists():
        return None
    return SpaStaticFiles(directory=dist, html=True)


async def not_built(_: object) -> HTMLResponse:
    return HTMLResponse(NOT_BUILT, status_code=503)
