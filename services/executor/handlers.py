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
import logging
from typing import Annotated, Any

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
from shared.messaging.pull import unsubscribe
from shared.runtime.backoff import Backoff

_log = logging.getLogger(__name__)
COMMANDS: TypeAdapter[SubmitOrder | CancelOrder | CancelAllOrders] = TypeAdapter(OrderCommand)
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


class CommandConsumer:
    """Fetches batches of commands and hands each to the tracker."""

    def __init__(
        self,
        js: JetStreamContext,
        tracker: OrderTracker,
        dead_letters: DeadLetterBox,
        metrics: ExecutorMetrics,
        *,
        venue: str,
        max_deliver: int,
        ack_wait_s: float,
        batch: int,
    ) -> None:
        self._js = js
        self._tracker = tracker
        self._dead_letters = dead_letters
        self._commands = metrics.commands
        self._subject = subjects.order_commands(venue)
        self._durable = f"executor-commands-{venue}"
        self._max_deliver = max_deliver
        self._ack_wait_s = ack_wait_s
        self._batch = batch
        self.handled = 0
        self.stopping = False
        """Set before cancelling: nats-py may turn a cancelled ``fetch`` into a TimeoutError."""

    async def run(self) -> None:
        subscription = await self._js.pull_subscribe(
            self._subject,
            durable=self._durable,
            stream=subjects.TRADING.name,
            config=ConsumerConfig(
                ack_policy=AckPolicy.EXPLICIT, ack_wait=self._ack_wait_s, max_deliver=self._max_deliver
            ),
        )
        try:
            while not self.stopping:
                try:
                    messages = await subscription.fetch(self._batch, timeout=1.0)
                except (FetchTimeoutError, TimeoutError):
                    continue
                groups: dict[str, list[Any]] = {}
                for message in messages:
                    groups.setdefault(self._key(message), []).append(message)
                await asyncio.gather(*(self._in_order(group) for group in groups.values()))
        finally:
            await unsubscribe(subscription)

    def _key(self, message: Any) -> str:
        try:
            command = COMMANDS.validate_json(message.data)
        except ValidationError:
            return f"poison:{id(message)}"
        if isinstance(command, CancelAllOrders):
            return f"user:{command.user_id}"
        return f"order:{command.client_order_id}"

    async def _in_order(self, group: list[Any]) -> None:
        for message in group:
            await self._handle(message)

    async def _handle(self, message: Any) -> None:
        try:
            command = COMMANDS.validate_json(message.data)
        except ValidationError as e:
            await self._poison(message, f"invalid order command: {e.errors()[:3]}", "invalid")
            return
        kind = command.type
        try:
            await dispatch(self._tracker, command)
        except asyncio.CancelledError:
            raise
        except IntegrityError as e:
            await self._poison(message, f"refused by the database: {type(e.orig).__name__}", kind)
            return
        except CommandRefused as e:
            await self._poison(message, str(e), kind)
            return
        except Exception as e:
            delivered = message.metadata.num_delivered
            _log.warning("command failed", extra={"delivered": delivered, "error": repr(e)[:500]})
            if delivered >= self._max_deliver:
                await self._poison(message, f"failed {delivered} times; last error {e!r}"[:2000], kind)
            else:
                self._commands.labels(kind, "retried").inc()
                await message.nak(delay=min(2.0**delivered, 30.0))
            return
        await message.ack_sync()
        self._commands.labels(kind, "handled").inc()
        self.handled += 1

    async def _poison(self, message: Any, reason: str, kind: str) -> None:
        await self._dead_letters.put(message.subject, message.data, reason)
        await message.term()
        self._commands.labels(kind, "dead_lettered").inc()


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


__all__ = ["COMMANDS", "KILLS", "CommandConsumer", "KillSwitchConsumer", "dispatch"]
