"""The kill switch: the caller's own, and the global one (engaged and released by admins only).

The flag is PostgreSQL's, and it is written first: the risk gate and the executor read it before
every decision and every send, and the executor polls it, so a switch pressed while NATS is down
still stops trading within seconds. The ``sys.kill`` message that follows is what makes it
immediate (the gate voids pending proposals, the executor cancels open orders at once); when it
cannot be sent, the answer says so (``notified: false``) and the switch holds anyway.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, status

from services.api_gateway.api.deps import CurrentUser, StateDep, actor_of
from services.api_gateway.control_schemas import (
    KillSwitchChanged,
    KillSwitchesPublic,
    KillSwitchPost,
    KillSwitchPublic,
)
from services.api_gateway.errors import AUTH_RESPONSES, ERROR_RESPONSES, ApiError, ErrorBody
from shared.db.repositories.kill_switches import KillState
from shared.domain.enums import KillScope
from shared.messages import subjects
from shared.messages.base import Message, utc_now
from shared.messages.system import KillSwitchEngaged, KillSwitchReleased
from shared.messaging.publisher import PublishFailed

_log = logging.getLogger(__name__)

router = APIRouter(
    prefix="/kill-switch", tags=["kill-switch"], responses={**ERROR_RESPONSES, **AUTH_RESPONSES}
)


@router.get("", response_model=KillSwitchesPublic)
async def get_kill_switches(state: StateDep, user: CurrentUser) -> KillSwitchesPublic:
    """The caller's switch and the global one; ``stopped`` when either is engaged."""
    switches = await state.controls.kill_switches(user.sub)
    mine = None if switches.user is None else KillSwitchPublic.of(switches.user)
    every = None if switches.global_ is None else KillSwitchPublic.of(switches.global_)
    stopped = any(s is not None and s.engaged for s in (mine, every))
    return KillSwitchesPublic(user=mine, global_=every, stopped=stopped)


@router.post(
    "",
    response_model=KillSwitchChanged,
    responses={
        status.HTTP_403_FORBIDDEN: {"model": ErrorBody, "description": "The global switch is for admins"}
    },
)
async def press_kill_switch(state: StateDep, user: CurrentUser, body: KillSwitchPost) -> KillSwitchChanged:
    """Engage (with a reason) or release a switch; stored before anyone is told, so it holds even
    when the message bus is down. Pressing it again is harmless."""
    if body.scope is KillScope.GLOBAL and not user.is_admin:
        raise ApiError(403, "admin_only", "only an admin may engage or release the global kill switch")
    user_id = user.sub if body.scope is KillScope.USER else None
    actor = actor_of(user)
    subject_user = None if user_id is None else str(user_id)
    message: Message
    switch: KillState
    if body.engaged:
        switch = await state.kill_switches.engage(body.scope, user_id, actor, body.reason.strip())
        message = KillSwitchEngaged(
            ts_event=utc_now(),
            scope=body.scope,
            user_id=subject_user,
            actor=actor,
            reason=body.reason.strip(),
        )
    else:
        switch = await state.kill_switches.release(body.scope, user_id, actor)
        message = KillSwitchReleased(ts_event=utc_now(), scope=body.scope, user_id=subject_user, actor=actor)
    try:
        await state.publisher.publish(subjects.KILL_SWITCH, message)
        notified = True
    except PublishFailed as e:
        _log.error(
            "kill switch stored but not announced",
            extra={
                "scope": body.scope.value,
                "user_id": subject_user,
                "engaged": body.engaged,
                "reason": str(e),
            },
        )
        notified = False
    return KillSwitchChanged(switch=KillSwitchPublic.of(switch), notified=notified)
