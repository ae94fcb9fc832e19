"""The caller's intents and the approval queue; approve or reject a proposal by its digest.

Reads run as the caller (row-level security): another user's intent id is a 404, exactly like an
unknown one. An answer is checked here against the stored proposal (pending, same digest, not
expired) so a stale screen hears 409 at once; the risk gate checks all of it again under the
user's lock before anything trades, so this check is for the trader, not for safety.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status

from services.api_gateway.api.deps import CurrentUser, StateDep, actor_of
from services.api_gateway.errors import AUTH_RESPONSES, ERROR_RESPONSES, ApiError, ErrorBody
from services.api_gateway.pagination import DEFAULT_LIMIT, Limit, Offset, Page
from services.api_gateway.read_json import json_response, page_json
from services.api_gateway.trading_schemas import ApprovalBody, ApprovalRequested, IntentPublic
from shared.domain.enums import DecisionOutcome
from shared.messages import subjects
from shared.messages.base import derived_id, utc_now
from shared.messages.risk import ApprovalGiven
from shared.messaging.publisher import PublishFailed
from shared.telemetry.tracing import CORRELATION_ID, continuing

router = APIRouter(prefix="/intents", tags=["intents"], responses={**ERROR_RESPONSES, **AUTH_RESPONSES})

IntentIdPath = Annotated[str, Path(min_length=1, max_length=64, description="The intent's id.")]
ANSWER_RESPONSES: dict[int | str, dict[str, object]] = {
    status.HTTP_409_CONFLICT: {
        "model": ErrorBody,
        "description": "Not pending any more, expired, or the digest is not the proposal's",
    },
    status.HTTP_503_SERVICE_UNAVAILABLE: {
        "model": ErrorBody,
        "description": "The message bus is unavailable",
    },
}


@router.get("", response_model=Page[IntentPublic])
async def list_intents(
    state: StateDep,
    user: CurrentUser,
    status: Annotated[
        DecisionOutcome | None,
        Query(description="Only intents with this status; pending is the approval queue."),
    ] = None,
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> Response:
    """The caller's intents, newest first."""
    rows = await state.reads.intents(
        user.sub, status=None if status is None else status.value, limit=limit + 1, offset=offset
    )
    return json_response(page_json(rows, limit, offset))


@router.get("/{intent_id}", response_model=IntentPublic)
async def get_intent(state: StateDep, user: CurrentUser, intent_id: IntentIdPath) -> IntentPublic:
    intent = await state.trading.intent(user.sub, intent_id)
    if intent is None:
        raise ApiError(404, "intent_not_found", f"no intent {intent_id!r}")
    return IntentPublic.of(intent)


@router.post(
    "/{intent_id}/approve",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=ApprovalRequested,
    responses=ANSWER_RESPONSES,
)
async def approve_intent(
    state: StateDep, user: CurrentUser, intent_id: IntentIdPath, body: ApprovalBody
) -> ApprovalRequested:
    """Approve the proposal with this digest; the risk gate re-checks it and decides (202)."""
    return await _answer(state, user, intent_id, body, approve=True)


@router.post(
    "/{intent_id}/reject",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=ApprovalRequested,
    responses=ANSWER_RESPONSES,
)
async def reject_intent(
    state: StateDep, user: CurrentUser, intent_id: IntentIdPath, body: ApprovalBody
) -> ApprovalRequested:
    """Reject the proposal with this digest (202); the risk gate records the rejection."""
    return await _answer(state, user, intent_id, body, approve=False)


async def _answer(
    state: StateDep, user: CurrentUser, intent_id: str, body: ApprovalBody, *, approve: bool
) -> ApprovalRequested:
    intent = await state.trading.intent(user.sub, intent_id)
    if intent is None:
        raise ApiError(404, "intent_not_found", f"no intent {intent_id!r}")
    if intent.status is not DecisionOutcome.PENDING:
        raise ApiError(409, "not_pending", f"the proposal is already {intent.status.value}")
    if intent.digest != body.digest:
        raise ApiError(
            409, "digest_mismatch", "the proposal's parameters are not those shown; reload and answer again"
        )
    if intent.expires_at is not None and intent.expires_at <= datetime.now(UTC):
        raise ApiError(409, "expired", "the proposal expired; ask for a new one")
    message = ApprovalGiven(
        # The same answer twice is one message: JetStream drops the copy by this id.
        message_id=derived_id("approval", intent_id, body.digest, approve),
        correlation_id=intent.correlation_id,
        ts_event=utc_now(),
        intent_id=intent_id,
        user_id=str(user.sub),
        digest=body.digest,
        approve=approve,
        actor=actor_of(user),
        reason=body.reason,
    )
    proposal = state.users_hub.proposal_traces.context_of(intent_id)
    attributes = {CORRELATION_ID: intent.correlation_id, "cryptopulse.approve": str(approve).lower()}
    try:
        with continuing(proposal, "answer proposal", attributes):
            await state.publisher.publish(subjects.approvals(str(user.sub)), message)
    except PublishFailed:
        raise ApiError(503, "bus_unavailable", "the answer could not be sent; try again") from None
    return ApprovalRequested(intent_id=intent_id, approve=approve, message_id=message.message_id)
