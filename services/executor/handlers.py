"""The command consumer: a durable JetStream pull consumer on ``exec.cmd.<venue>``, thin on purpose.

Ack policy (STYLE G10): manual, *after* the tracker committed to the database, with
``ack_sync`` so a lost ack is noticed. A handling error NAKs with a delay and the message comes
back, up to ``max_deliver`` times; then it is dead-lettered and terminated. A message that does
not validate, or names a user the database does not know, is poison at once: dead-lettered with
the reason and terminated, and the loop goes on. Commands of one order (or one user's cancel-all)
run in order; different orders run concurrently.

``KillSwitchConsumer`` is the second consumer: a durable one on ``sys.kill``, so an engagement
published while the executor was down is still delivered. A message only makes the enforcer
read PostgreSQL at once (``KillSwitchEnforcer.check``): the row, not the message, is the switch.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Annotated, Any

from asyncpg.exceptions import IntegrityConstraintViolationError
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import FetchTimeoutError
from pydantic import Field, TypeAdapter, ValidationError
from sqlalchemy.exc import IntegrityError

from services.executor.kill_switch import KillSwitchEnforcer
from services.executor.metrics import ExecutorMetrics
from services.executor.tracker import CommandRefused, OrderTracker
from shared.messages import subjects
from shared.messages.commands import CancelAllOrders, CancelOrder, OrderCommand, SubmitOrder
from shared.messages.system import KillSwitchEngaged, KillSwitchReleased
from shared.messaging.dead_letter import DeadLetterBox
from shared.messaging.pull import Poison, PullConsumer, unsubscribe
from shared.runtime.backoff import Backoff

_log = logging.getLogger(__name__)
COMMANDS: TypeAdapter[SubmitOrder | CancelOrder | CancelAllOrders] = TypeAdapter(OrderCommand)
KINDS = frozenset(str(m.model_fields["type"].default) for m in (SubmitOrder, CancelOrder, CancelAllOrders))
CANCEL_ALL = str(CancelAllOrders.model_fields["type"].default)
KILLS: TypeAdapter[KillSwitchEngaged | KillSwitchReleased] = TypeAdapter(
    Annotated[KillSwitchEngaged | KillSwitchReleased, Field(discriminator="type")]
)


async def dispatch(tracker: OrderTracker, command: SubmitOrder | CancelOrder | CancelAllOrders) -> None:
    if isinstance(command, SubmitOrder):
        await tracker.submit(command)
    elif isinstance(command, CancelOrder):
        await tracker.cancel(command)
    else:
        await tracker.cancel_all(command)


def command_consumer(
    js: JetStreamContext,
    tracker: OrderTracker,
    dead_letters: DeadLetterBox,
    metrics: ExecutorMetrics,
    *,
    venue: str,
    max_deliver: int,
    ack_wait_s: float,
    batch: int,
) -> PullConsumer:
    """The durable consumer of ``exec.cmd.<venue>``: commands of one order (or one user's
    cancel-all) in order, different orders concurrently."""
    handler = CommandHandler(tracker)
    return PullConsumer(
        js,
        dead_letters,
        stream=subjects.TRADING.name,
        subject=subjects.order_commands(venue),
        durable=f"executor-commands-{venue}",
        handler=handler,
        key=order_key,
        max_deliver=max_deliver,
        ack_wait_s=ack_wait_s,
        batch=batch,
        outcome=lambda message, outcome: metrics.commands.labels(command_kind(message), outcome).inc(),
    )


class CommandHandler:
    """Validates a command and hands it to the tracker; what can never succeed is ``Poison``."""

    def __init__(self, tracker: OrderTracker) -> None:
        self._tracker = tracker

    async def __call__(self, message: Any) -> None:
        try:
            command = COMMANDS.validate_json(message.data)
        except ValidationError as e:
            raise Poison(f"invalid order command: {e.errors()[:3]}") from None
        try:
            await dispatch(self._tracker, command)
        except (IntegrityError, IntegrityConstraintViolationError) as e:  # an unknown user, say
            raise Poison(f"refused by the database: {type(getattr(e, 'orig', e)).__name__}") from e
        except CommandRefused as e:
            raise Poison(str(e)) from e


def order_key(message: Any) -> str:
    """Which commands must run in order: those of one order, or a user's cancel-all."""
    try:
        fields = json.loads(message.data)
    except ValueError:
        return f"poison:{id(message)}"
    if not isinstance(fields, dict):
        return f"poison:{id(message)}"
    if fields.get("type") == CANCEL_ALL:
        return f"user:{fields.get('user_id')}"
    return f"order:{fields.get('client_order_id')}"


def command_kind(message: Any) -> str:
    """The command's ``type`` for metrics, or ``invalid``."""
    try:
        kind = json.loads(message.data).get("type")
    except (ValueError, AttributeError):
        return "invalid"
    return kind if kind in KINDS else "invalid"


class KillSwitchConsumer:
    """Wakes the kill-switch enforcer on every ``sys.kill`` message; acks once it has looked.

    One durable per venue: with several replicas one of them gets each message, and the others
    find the switch at their next check (every second, from PostgreSQL). A new durable starts
    at new messages: switches engaged before it existed are in PostgreSQL, which start-up reads.
    """

    def __init__(
        self, js: JetStreamContext, enforcer: KillSwitchEnforcer, dead_letters: DeadLetterBox, *, venue: str
    ) -> None:
        self._js = js
        self._enforcer = enforcer
        self._dead_letters = dead_letters
        self._durable = f"executor-kill-{venue}"
        self.stopping = False

    async def run(self) -> None:
        backoff = Backoff(initial_s=0.5, max_s=10.0)
        subscription: Any = None
        try:
            while not self.stopping:
                try:  # NATS may be down for long: the loop outlives it, the switch works without it
                    if subscription is None:
                        subscription = await self._subscribe()
                    await self._handle(await subscription.fetch(10, timeout=1.0))
                except (FetchTimeoutError, TimeoutError):
                    continue
                except asyncio.CancelledError:
                    raise
                except Exception as e:
                    _log.warning("kill switch consumer failing", extra={"error": repr(e)[:500]})
                    await asyncio.sleep(backoff.next_delay())
                    continue
                backoff.reset()
        finally:
            if subscription is not None:
                await unsubscribe(subscription)

    async def _subscribe(self) -> Any:
        return await self._js.pull_subscribe(
            subjects.KILL_SWITCH,
            durable=self._durable,
            stream=subjects.SYSTEM.name,
            config=ConsumerConfig(ack_policy=AckPolicy.EXPLICIT, deliver_policy=DeliverPolicy.NEW),
        )

    async def _handle(self, messages: list[Any]) -> None:
        valid = []
        for message in messages:
            try:
                KILLS.validate_json(message.data)
            except ValidationError as e:
                reason = f"invalid kill switch message: {e.errors()[:3]}"
                await self._dead_letters.put(message.subject, message.data, reason)
                await message.term()
                continue
            valid.append(message)
        if not valid:
            return
        try:
            await self._enforcer.check()
        except asyncio.CancelledError:
            raise
        except Exception as e:
            _log.warning("kill switch check failed; the message comes back", extra={"error": repr(e)[:500]})
            for message in valid:
                await message.nak(delay=1.0)
            return
        for message in valid:
            await message.ack()


__all__ = ["COMMANDS", "KILLS", "CommandHandler", "KillSwitchConsumer", "command_consumer", "dispatch"]
