"""What a risk decision looks at: the proposal, the user's limits, the market and the account.

Checks (``checks/``) are pure functions of these frozen values, so each can be tested at its
boundaries without a database, and a decision can be replayed from what was recorded. The gate
builds an ``AccountView`` inside the transaction that holds the user's row lock, which is what
keeps two gate replicas from both spending the same headroom.

Money is in the quote asset (USDT) and exact; quantities are in the base asset.
"""

from __future__ import annotations

import functools
import hashlib
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from shared.domain.enums import IntentSource, OrderSide, OrderType, VenueName
from shared.domain.market_rules import MarketRules
from shared.domain.risk_limits import Limits  # re-exported: the gate's contract names it here
from shared.messages.base import plain_decimal
from shared.messages.intents import TradeIntentCreated


@dataclass(frozen=True)
class Proposal:
    """A validated intent in the gate's terms; ``digest`` binds an approval to its exact parameters.
    (No slots: the cached digest lives in the instance's dict.)"""

    intent_id: str
    user_id: uuid.UUID
    venue: VenueName
    symbol: str
    side: OrderSide
    order_type: OrderType
    quantity: Decimal | None
    quote_quantity: Decimal | None
    limit_price: Decimal | None
    source: IntentSource
    rule_id: str | None
    correlation_id: str
    received_at: datetime

    @classmethod
    def of(cls, intent: TradeIntentCreated, user_id: uuid.UUID, received_at: datetime) -> Proposal:
        return cls(
            intent_id=intent.intent_id,
            user_id=user_id,
            venue=intent.venue,
            symbol=intent.symbol,
            side=intent.side,
            order_type=intent.order_type,
            quantity=intent.quantity,
            quote_quantity=intent.quote_quantity,
            limit_price=intent.limit_price,
            source=intent.source,
            rule_id=intent.rule_id,
            correlation_id=intent.correlation_id or intent.intent_id,
            received_at=received_at,
        )

    @property
    def parameters(self) -> dict[str, str | None]:
        """The order-defining fields, as exact strings: what a person approves."""

        def text(value: Decimal | None) -> str | None:
            return None if value is None else plain_decimal(value.normalize())

        return {
            "user_id": str(self.user_id),
            "venue": self.venue.value,
            "symbol": self.symbol,
            "side": self.side.value,
            "order_type": self.order_type.value,
            "quantity": text(self.quantity),
            "quote_quantity": text(self.quote_quantity),
            "limit_price": text(self.limit_price),
        }

    @functools.cached_property
    def digest(self) -> str:
        """SHA-256 of the canonical parameters: equal digests mean the very same order. Computed
        when first read and kept (a JSON dump and a hash): the duplicate throttle and the stored
        record both read it, a proposal rebuilt only to send its order never does."""
        canonical = json.dumps(self.parameters, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()

    @property
    def signed_direction(self) -> int:
        return 1 if self.side is OrderSide.BUY else -1


@dataclass(frozen=True, slots=True)
class MarketView:
    """One symbol as the gate sees it: the venue's filters and the latest reference price."""

    rules: MarketRules | None
    """None: the venue does not list the symbol."""
    trading: bool
    reference_price: Decimal | None
    reference_at: datetime | None
    window_reference: Decimal | None = None
    """The reference price when the collar window opened (the first of the window)."""


@dataclass(frozen=True, slots=True)
class AccountView:
    """The user's state when the decision is made (read under the user's row lock)."""

    positions: Mapping[str, Decimal] = field(default_factory=dict)
    """Base-asset position by symbol (negative = short, which spot does not allow)."""
    in_flight: Mapping[str, Decimal] = field(default_factory=dict)
    """Signed base quantity still to fill of open orders and approved intents, by symbol."""
    reference_prices: Mapping[str, Decimal] = field(default_factory=dict)
    """Reference prices of every symbol in ``positions`` or ``in_flight`` (for exposure)."""
    open_orders: int = 0
    free_balances: Mapping[str, Decimal] = field(default_factory=dict)
    """Free balance by asset, less what approved-but-unfilled intents will spend."""
    intents_last_minute: int = 0
    orders_last_minute: int = 0
    recent_digests: Mapping[str, datetime] = field(default_factory=dict)
    """Digests of the user's intents inside the duplicate window, with when they were seen."""
    rule_executions: Mapping[str, int] = field(default_factory=dict)
    """Executions per rule inside the rule window."""
    disabled_rules: frozenset[str] = frozenset()
    drawdown: Decimal = Decimal(0)
    """Today's loss from the equity high-water mark (>= 0)."""
    reduce_only: bool = False


@dataclass(frozen=True, slots=True)
class Failure:
    """A check's refusal: which check, and a reason a trader can read."""

    check: str
    reason: str


__all__ = ["AccountView", "Failure", "Limits", "MarketView", "Proposal"]
