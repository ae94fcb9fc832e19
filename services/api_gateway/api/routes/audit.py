"""The caller's audit trail: every change of their limits, mode, switch and rules the risk side
recorded, and every refused approval; read as the caller (row-level security)."""

from __future__ import annotations

from fastapi import APIRouter

from services.api_gateway.api.deps import CurrentUser, StateDep
from services.api_gateway.control_schemas import AuditEntryPublic
from services.api_gateway.errors import AUTH_RESPONSES, ERROR_RESPONSES
from services.api_gateway.pagination import DEFAULT_LIMIT, Limit, Offset, Page, page_of

router = APIRouter(prefix="/audit", tags=["audit"], responses={**ERROR_RESPONSES, **AUTH_RESPONSES})


@router.get("", response_model=Page[AuditEntryPublic])
async def list_audit(
    state: StateDep, user: CurrentUser, limit: Limit = DEFAULT_LIMIT, offset: Offset = 0
) -> Page[AuditEntryPublic]:
    """The caller's audit entries, newest first."""
    rows = await state.controls.audit(user.sub, limit=limit + 1, offset=offset)
    return page_of(rows, limit, offset, AuditEntryPublic.of)
