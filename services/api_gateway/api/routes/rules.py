"""The caller's standing rules: create, list, pause, resume, delete.

A new rule's definition is checked exactly as the rules engine checks it on load (its
``check``), and its markets must be ones the API trades, so a rule the engine would refuse or
never see a price for is a 422 with the reason, never stored. A user holds at most
``rules_max_per_user`` live rules: one more is a 409.

Changes run as the caller, so row-level security (and the column grants, which let users touch
only a rule's status and definition) limit them to the caller's rules: another user's rule id is
a 404, exactly like an unknown one. A move its status does not allow (resuming a fired rule) is a
409 naming the status. Delete is soft: the row and its firings stay for the audit.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Response, status

from services.agent.rules.conditions import RuleDefinitionError
from services.agent.rules.definition import check, check_markets
from services.api_gateway.api.deps import CurrentUser, StateDep
from services.api_gateway.control_schemas import RuleCreate, RulePublic
from services.api_gateway.errors import AUTH_RESPONSES, ERROR_RESPONSES, ApiError, ErrorBody
from services.api_gateway.pagination import DEFAULT_LIMIT, Limit, Offset, Page, page_of
from shared.db.repositories.rules import RuleRecord, RuleStatus, TooManyRules

router = APIRouter(prefix="/rules", tags=["rules"], responses={**ERROR_RESPONSES, **AUTH_RESPONSES})

RuleIdPath = Annotated[uuid.UUID, Path(description="The rule's id.")]
CREATE_RESPONSES: dict[int | str, dict[str, object]] = {
    status.HTTP_201_CREATED: {"model": RulePublic, "description": "Created, active"},
    status.HTTP_409_CONFLICT: {
        "model": ErrorBody,
        "description": "The caller holds the most live rules allowed",
    },
}
MOVE_RESPONSES: dict[int | str, dict[str, object]] = {
    status.HTTP_409_CONFLICT: {"model": ErrorBody, "description": "The rule's status does not allow this"},
}


@router.get("", response_model=Page[RulePublic])
async def list_rules(
    state: StateDep, user: CurrentUser, limit: Limit = DEFAULT_LIMIT, offset: Offset = 0
) -> Page[RulePublic]:
    """The caller's rules that are not deleted, newest first."""
    rows = await state.controls.rules(user.sub, limit=limit + 1, offset=offset)
    return page_of(rows, limit, offset, RulePublic.of)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=RulePublic,
    responses=CREATE_RESPONSES,
)
async def create_rule(state: StateDep, user: CurrentUser, body: RuleCreate) -> RulePublic:
    """Store an active rule for the caller (201), or say why its definition is not one (422) or
    why the caller may not add one (409)."""
    try:
        command = check(body.definition)
        check_markets(command, state.settings.gateway_symbols)
    except RuleDefinitionError as e:
        raise ApiError(422, "invalid_rule", str(e)) from None
    try:
        rule = await state.controls.create_rule(
            user.sub,
            venue=body.venue,
            symbol=command.symbol,
            definition=command.model_dump(mode="json"),
            fire_once=body.fire_once,
        )
    except TooManyRules as e:
        raise ApiError(409, "too_many_rules", str(e)) from None
    return RulePublic.of(rule)


@router.get("/{rule_id}", response_model=RulePublic)
async def get_rule(state: StateDep, user: CurrentUser, rule_id: RuleIdPath) -> RulePublic:
    """One of the caller's rules; a deleted rule is gone (404), as for every other route."""
    rule = await state.controls.rule(user.sub, rule_id)
    if rule is None or rule.status is RuleStatus.DELETED:
        raise ApiError(404, "rule_not_found", f"no rule {rule_id}")
    return RulePublic.of(rule)


@router.post("/{rule_id}/pause", response_model=RulePublic, responses=MOVE_RESPONSES)
async def pause_rule(state: StateDep, user: CurrentUser, rule_id: RuleIdPath) -> RulePublic:
    """Active → paused: the rule stops watching the market until resumed."""
    return RulePublic.of(await _move(state, user, rule_id, RuleStatus.PAUSED))


@router.post("/{rule_id}/resume", response_model=RulePublic, responses=MOVE_RESPONSES)
async def resume_rule(state: StateDep, user: CurrentUser, rule_id: RuleIdPath) -> RulePublic:
    """Paused → active: a condition that holds at once fires at once."""
    return RulePublic.of(await _move(state, user, rule_id, RuleStatus.ACTIVE))


@router.delete(
    "/{rule_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses={status.HTTP_204_NO_CONTENT: {"description": "Deleted"}, **MOVE_RESPONSES},
)
async def delete_rule(state: StateDep, user: CurrentUser, rule_id: RuleIdPath) -> Response:
    """Delete the rule (204); it never fires again."""
    await _move(state, user, rule_id, RuleStatus.DELETED)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


async def _move(state: StateDep, user: CurrentUser, rule_id: uuid.UUID, to: RuleStatus) -> RuleRecord:
    moved, rule = await state.controls.move_rule(user.sub, rule_id, to)
    if rule is None or (rule.status is RuleStatus.DELETED and not moved):
        raise ApiError(404, "rule_not_found", f"no rule {rule_id}")
    if not moved:
        raise ApiError(409, "rule_not_movable", f"the rule is {rule.status.value}; it cannot be {to.value}")
    return rule
