"""One order's story as the stream told it: intent → decisions → command → events → fills.

A timeline is keyed by its intent id. Order events name only the client order id, which the gate
derives from the intent (``services.risk_gate.outgoing.client_order_id``), so the command (or
that derivation) ties them to their intent. Events of an order whose intent lies before the
replayed window start a *partial* timeline keyed by the client order id.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from cryptopulse.replay.decode import Recorded
from shared.domain.enums import DecisionOutcome, OrderStatus
from shared.messages.base import plain_decimal

DECIDED_FOR_GOOD = frozenset(
    {DecisionOutcome.DENIED, DecisionOutcome.REJECTED, DecisionOutcome.EXPIRED, DecisionOutcome.KILLED}
)
"""Decisions after which no order can follow."""


def _amount(value: Decimal | None) -> str:
    return "" if value is None else plain_decimal(value)


def _intent(f: Mapping[str, Any]) -> str:
    amount = _amount(f.get("quantity")) or _amount(f.get("quote_quantity"))
    price = "" if f.get("limit_price") is None else f" @ {_amount(f['limit_price'])}"
    return f"{f['source']}: {f['side']} {amount} {f['symbol']} {f['order_type']}{price}"


def _decision(f: Mapping[str, Any]) -> str:
    check = f" [{f['check']}]" if f.get("check") else ""
    reason = f": {f['reason']}" if f.get("reason") else ""
    return f"{f['outcome']}{check}{reason}"


def _fill(f: Mapping[str, Any]) -> str:
    return (
        f"trade {f['trade_id']}: {_amount(f['last_quantity'])} @ {_amount(f['last_price'])}"
        f" (cumulative {_amount(f['cumulative_quantity'])})"
    )


_DESCRIBE: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "intent.created": _intent,
    "risk.decision": _decision,
    "risk.approval": lambda f: f"{'approved' if f.get('approve') else 'rejected'} by {f['actor']}",
    "exec.submit_order": lambda f: f"submit {f['client_order_id']} on {f['venue']}",
    "exec.cancel_order": lambda f: f"cancel {f['client_order_id']}",
    "order.submitted": lambda f: "submitted",
    "order.accepted": lambda f: f"accepted as {f['venue_order_id']}",
    "order.rejected": lambda f: f"rejected: {f.get('reason') or 'no reason given'}",
    "order.filled": _fill,
    "order.canceled": lambda f: "canceled",
    "order.expired": lambda f: "expired",
}


Step = Recorded
"""A step of a timeline is the decoded message itself: nothing is copied per message."""


def detail(step: Step) -> str:
    """What a step says, for an auditor: only worked out when a report shows it."""
    return _DESCRIBE[step.type](step.fields)


@dataclass(slots=True)
class FillSeen:
    trade_id: str
    quantity: Decimal
    price: Decimal
    commission: Decimal
    commission_asset: str


@dataclass(slots=True)
class Timeline:
    """Everything the stream said about one intent and its order."""

    key: str
    user_id: str
    intent_id: str | None = None
    client_order_id: str | None = None
    venue: str | None = None
    symbol: str | None = None
    side: str | None = None
    order_type: str | None = None
    quantity: Decimal | None = None
    quote_quantity: Decimal | None = None
    limit_price: Decimal | None = None
    intent: dict[str, Any] | None = None
    """The intent's own fields, when the intent is in the window (for re-checking)."""
    outcome: DecisionOutcome | None = None
    decision_check: str | None = None
    commanded: bool = False
    status: OrderStatus | None = None
    """The order's status as its events tell it; None while no order exists."""
    fills: dict[str, FillSeen] = field(default_factory=dict)
    steps: list[Step] = field(default_factory=list)
    """Every message, in order, when a report is written (see ``Rebuilder``); else empty."""
    partial: bool = False
    """Began before the window: its earlier messages were not replayed."""
    closed: bool = False
    last_at: datetime | None = None

    @property
    def order_id(self) -> str | None:
        """The client order id, once an order exists (a denied intent's derived id names none)."""
        return self.client_order_id if self.commanded or self.status is not None else None

    @property
    def filled(self) -> Decimal:
        return sum((f.quantity for f in self.fills.values()), Decimal(0))

    @property
    def filled_quote(self) -> Decimal:
        return sum((f.quantity * f.price for f in self.fills.values()), Decimal(0))

    @property
    def final(self) -> str:
        """The state an auditor reads first: the order's status, else the decision, else 'open'."""
        if self.status is not None:
            return self.status.value
        if self.outcome is not None:
            return self.outcome.value
        return "intent"

    def to_json(self) -> dict[str, Any]:
        """The timeline as JSON-ready values (decimals as exact strings)."""

        def text(value: Decimal | None) -> str | None:
            return None if value is None else plain_decimal(value)

        return {
            "key": self.key,
            "user_id": self.user_id,
            "intent_id": self.intent_id,
            "client_order_id": self.order_id,
            "venue": self.venue,
            "symbol": self.symbol,
            "side": self.side,
            "order_type": self.order_type,
            "quantity": text(self.quantity),
            "quote_quantity": text(self.quote_quantity),
            "limit_price": text(self.limit_price),
            "decision": None if self.outcome is None else self.outcome.value,
            "status": None if self.status is None else self.status.value,
            "final": self.final,
            "complete": self.closed,
            "partial": self.partial,
            "filled": text(self.filled),
            "fills": [
                {
                    "trade_id": f.trade_id,
                    "quantity": text(f.quantity),
                    "price": text(f.price),
                    "commission": text(f.commission),
                    "commission_asset": f.commission_asset,
                }
                for f in self.fills.values()
            ],
            "steps": [
                {"seq": s.seq, "at": s.at.isoformat(), "type": s.type, "detail": detail(s)}
                for s in self.steps
            ],
        }


__all__ = ["DECIDED_FOR_GOOD", "FillSeen", "Step", "Timeline", "detail"]
