"""The caller's trading mode: read it, or ask the risk gate to change it.

The gate owns the mode (it changes it under the user's lock, between two decisions, and audits
it), so a change is a ``TradingModeRequested`` message and the answer is 202. Autonomous mode
sends orders with nobody approving them: without ``confirm: true`` it is refused here, with the
reason, and nothing is sent.
"""

from __future__ import annotations

from fastapi import APIRouter, status

from services.api_gateway.api.deps import CurrentUser, StateDep, actor_of
from services.api_gateway.control_schemas import ModePublic, ModePut, ModeRequested
from services.api_gateway.errors import AUTH_RESPONSES, ERROR_RESPONSES, ApiError, ErrorBody
from shared.domain.enums import TradingMode
from shared.messages import subjects
from shared.messages.base import utc_now
from shared.messages.risk import TradingModeRequested
from shared.messaging.publisher import PublishFailed

router = APIRouter(prefix="/mode", tags=["mode"], responses={**ERROR_RESPONSES, **AUTH_RESPONSES})


@router.get("", response_model=ModePublic)
async def get_mode(state: StateDep, user: CurrentUser) -> ModePublic:
    """The caller's trading mode and reduce-only flag (manual for a user the gate never saw)."""
    return ModePublic.of(await state.controls.account(user.sub))


@router.put(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=ModeRequested,
    responses={
        status.HTTP_503_SERVICE_UNAVAILABLE: {
            "model": ErrorBody,
            "description": "The message bus is unavailable",
        }
    },
)
async def put_mode(state: StateDep, user: CurrentUser, body: ModePut) -> ModeRequested:
    """Ask for manual or autonomous mode (202); autonomous needs ``confirm: true`` (else 422)."""
    if body.mode is TradingMode.AUTONOMOUS and not body.confirm:
        raise ApiError(
            422,
            "confirmation_required",
            "autonomous mode places orders without your approval: send confirm=true to turn it on",
        )
    message = TradingModeRequested(
        ts_event=utc_now(), user_id=str(user.sub), mode=body.mode, confirm=body.confirm, actor=actor_of(user)
    )
    try:
        await state.publisher.publish(subjects.mode_requests(str(user.sub)), message)
    except PublishFailed:
        raise ApiError(503, "bus_unavailable", "the mode change could not be sent; try again") from None
    return ModeRequested(mode=body.mode, confirm=body.confirm, message_id=message.message_id)
