"""``/admin/...``: operating the simulator from tests and scripts (faults now, accounts later)."""

from __future__ import annotations

import json

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from services.paper_exchange.faults import FaultError, FaultRegistry

router = APIRouter(prefix="/admin")


def _faults(request: Request) -> FaultRegistry:
    registry = request.app.state.faults
    assert isinstance(registry, FaultRegistry)
    return registry


@router.get("/faults")
async def get_faults(request: Request) -> Response:
    return JSONResponse(_faults(request).describe())


@router.post("/faults")
async def post_faults(request: Request) -> Response:
    try:
        body = json.loads(await request.body())
    except ValueError:
        return JSONResponse({"error": "the body is not JSON"}, status_code=400)
    try:
        return JSONResponse(_faults(request).apply(body))
    except FaultError as e:
        return JSONResponse({"error": str(e)}, status_code=400)
