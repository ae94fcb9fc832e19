"""The caller's risk limits: read them, or change some of them.

A change is validated twice: by the body's types and ranges (a 422 naming the field, before
anything is read), then by the limits' own rules (``apply_changes``: percentages, symbols); it is
stored with the full row and an audit entry (old → new) in one transaction, or not at all.
"""

from __future__ import annotations

from fastapi import APIRouter

from services.api_gateway.api.deps import CurrentUser, StateDep, actor_of
from services.api_gateway.control_schemas import LimitsPatch, LimitsPublic
from services.api_gateway.errors import AUTH_RESPONSES, ERROR_RESPONSES, ApiError
from shared.domain.risk_limits import InvalidLimit

router = APIRouter(prefix="/limits", tags=["limits"], responses={**ERROR_RESPONSES, **AUTH_RESPONSES})


@router.get("", response_model=LimitsPublic)
async def get_limits(state: StateDep, user: CurrentUser) -> LimitsPublic:
    """The caller's limits (the defaults until they change one)."""
    return LimitsPublic.of(await state.controls.limits(user.sub))


@router.put("", response_model=LimitsPublic)
async def put_limits(state: StateDep, user: CurrentUser, body: LimitsPatch) -> LimitsPublic:
    """Change the limits the body names (the others keep their values); answer all of them."""
    changes = body.changes()
    if not changes:
        raise ApiError(422, "invalid_request", "expected at least one limit to change")
    try:
        limits = await state.risk_limits.set(user.sub, changes, actor_of(user))
    except InvalidLimit as e:
        raise ApiError(422, "invalid_limit", str(e)) from None
    return LimitsPublic.of(limits)
