"""Fan each user's own events out from NATS to that user's signed-in WebSocket clients.

Chat replies, risk decisions, order events and kill-switch reports carry a ``user_id``; a message
reaches only the sockets signed in as that user (checked against the subject too, so a message
published on another user's subject is dropped, not delivered). A global kill switch is every
user's business: its engagement and release reach every signed-in socket, its executor report
only admins. Messages are validated once and forwarded as the bus carries them (the ``type`` field
tells the browser what each is).

Core-NATS subscriptions, like the market hub: a socket that was offline catches up through REST,
so the gateway holds no per-user stream position.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from prometheus_client import CollectorRegistry, Counter, Gauge
from pydantic import BaseModel, TypeAdapter, ValidationError

from services.api_gateway.client_feed import ClientFeed, SignedIn
from services.api_gateway.proposal_traces import ProposalTraces
from shared.domain.enums import DecisionOutcome, KillScope
from shared.messages import subjects
from shared.messages.chat import ChatReplied
from shared.messages.order_events import OrderEvent
from shared.messages.risk import RiskDecisionMade
from shared.messages.system import KillSwitchEngaged, KillSwitchReleased, KillSwitchReport
from shared.telemetry.tracing import consuming

_log = logging.getLogger(__name__)

UserEvent = (
    ChatReplied | RiskDecisionMade | OrderEvent | KillSwitchReport | KillSwitchEngaged | KillSwitchReleased
)


AUTH_EXPIRED = '{"type": "auth_expired", "message": "the access token expired: sign in again"}'


class UserHubMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.signed_in = Gauge(
            "gateway_ws_signed_in", "WebSocket clients signed in as a user", registry=registry
        )
        self.pushed = Counter(
            "gateway_ws_user_events_total",
            "User events queued to WebSocket clients",
            ["kind"],
            registry=registry,
        )
        self.dropped = Counter(
            "gateway_ws_user_events_dropped_total",
            "User events dropped: invalid, or on a subject that does not match their user",
            ["kind", "reason"],
            registry=registry,
        )


class UserHub:
    """Routes ``chat.reply.*``, ``risk.decision.*``, ``exec.evt.*`` and ``sys.kill…`` to signed-in sockets."""

    def __init__(
        self, metrics: UserHubMetrics, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> None:
        self._metrics = metrics
        self._clock = clock
        self.proposal_traces = ProposalTraces()
        self._by_user: dict[str, dict[ClientFeed, SignedIn]] = defaultdict(dict)
        self._subscriptions: list[Subscription] = []

    async def attach(self, nc: NatsClient) -> None:
        routes: list[tuple[str, str, TypeAdapter[UserEvent]]] = [
            (subjects.chat_replies(subjects.ANY), "chat", TypeAdapter(ChatReplied)),
            (subjects.decisions(subjects.ANY), "decision", TypeAdapter(RiskDecisionMade)),
            (subjects.order_events(subjects.ANY), "order", TypeAdapter(OrderEvent)),
            (subjects.kill_reports(subjects.ANY), "kill_report", TypeAdapter(KillSwitchReport)),
            (
                subjects.KILL_SWITCH,
                "kill",
                TypeAdapter(KillSwitchEngaged | KillSwitchReleased),
            ),
        ]
        self._subscriptions = [await nc.subscribe(s, cb=self._handler(k, a)) for s, k, a in routes]

    async def detach(self) -> None:
        for subscription in self._subscriptions:
            await subscription.unsubscribe()
        self._subscriptions.clear()

    def sign_in(self, client: ClientFeed, who: SignedIn) -> None:
        """Bind ``client`` to ``who`` (replacing any earlier sign-in, e.g. after a token refresh)."""
        self.sign_out(client)
        self._by_user[who.user_id][client] = who
        client.signed_in = who
        self._metrics.signed_in.inc()

    def sign_out(self, client: ClientFeed) -> None:
        who = client.signed_in
        if who is None:
            return
        clients = self._by_user.get(who.user_id, {})
        clients.pop(client, None)
        if not clients:
            self._by_user.pop(who.user_id, None)
        client.signed_in = None
        self._metrics.signed_in.dec()

    def current(self, client: ClientFeed) -> SignedIn | None:
        """The client's sign-in if still valid; an expired one is ended and the client told."""
        who = client.signed_in
        if who is not None and who.expired(self._clock()):
            self.sign_out(client)
            client.offer(AUTH_EXPIRED)
            return None
        return who

    def _handler(self, kind: str, adapter: TypeAdapter[UserEvent]) -> Callable[[Msg], Awaitable[None]]:
        async def handle(msg: Msg) -> None:
            with consuming(msg.subject, msg.headers):  # the trace shows the event reached the app
                try:
                    event = adapter.validate_json(msg.data)
                except ValidationError as e:
                    self._drop(kind, "invalid", f"invalid {kind} on {msg.subject}: {e.errors()[0]['msg']}")
                    return
                if isinstance(event, RiskDecisionMade) and event.outcome is DecisionOutcome.PENDING:
                    self.proposal_traces.remember_current(event.intent_id)
                self._route(kind, msg.subject, event, msg.data.decode())

        return handle

    def _route(self, kind: str, subject: str, event: BaseModel, body: str) -> None:
        user_id = getattr(event, "user_id", None)
        if isinstance(event, KillSwitchEngaged | KillSwitchReleased) and event.scope is KillScope.GLOBAL:
            self._deliver(kind, body, [c for clients in self._by_user.values() for c in clients])
            return
        if isinstance(event, KillSwitchReport) and event.scope is KillScope.GLOBAL:
            admins = [c for clients in self._by_user.values() for c, who in clients.items() if who.is_admin]
            self._deliver(kind, body, admins)
            return
        if user_id is None or not _subject_names(subject, user_id):
            self._drop(kind, "subject_mismatch", f"{kind} for user {user_id!r} on {subject}: dropped")
            return
        self._deliver(kind, body, list(self._by_user.get(user_id, {})))

    def _deliver(self, kind: str, body: str, clients: list[ClientFeed]) -> None:
        for client in clients:
            if self.current(client) is None:
                continue
            client.offer(body)
            self._metrics.pushed.labels(kind).inc()

    def _drop(self, kind: str, reason: str, message: str) -> None:
        self._metrics.dropped.labels(kind, reason).inc()
        _log.warning(message)


def _subject_names(subject: str, user_id: str) -> bool:
    """``sys.kill`` carries its user in the body; every other user subject ends with the user."""
    return subject == subjects.KILL_SWITCH or subject.rsplit(".", 1)[-1] == user_id
