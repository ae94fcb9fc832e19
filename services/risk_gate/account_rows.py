"""What decisions read: the users' locks and limits in one statement, then everything else in one.

Both take many users at once (a batch of decisions shares one transaction); one user is a batch
of one. The second statement is one round trip instead of ten: the stored intent (a redelivery),
the kill switch, positions, open orders, balances, approved intents not yet placed, the throttle
counts, recent digests, rule executions and paused rules. Each list is an ``array(row(…))`` that
asyncpg decodes into tuples of exact ``Decimal``s and aware datetimes, so nothing passes through
floats or JSON.

It must run *after* the lock statement, not in it: under READ COMMITTED each statement reads a
snapshot taken when it starts, and only a statement started after the lock was granted sees what
the previous decision (on any replica) committed."""

from __future__ import annotations

import re
import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db.models.orders import OPEN_STATUS_SQL
from shared.db.repositories.intents import IntentRecord
from shared.db.repositories.risk_accounts import RiskAccount, account_of
from shared.db.repositories.risk_limits import limits_of
from shared.domain.enums import DecisionOutcome
from shared.domain.risk_limits import LIMIT_NAMES, Limits

_INTENT_COLUMNS = tuple(f.name for f in fields(IntentRecord))
_MINE = "user_id = q.user_id AND venue = :venue"

_LOCK_TEXT = f"""SELECT a.user_id, a.mode, a.reduce_only, a.reduce_only_since, a.day, a.day_high_water,
  a.updated_at, l.user_id IS NOT NULL AS has_limits, {", ".join(f"l.{name}" for name in sorted(LIMIT_NAMES))}
FROM risk_accounts a LEFT JOIN risk_limits l ON l.user_id = a.user_id
WHERE a.user_id = ANY(CAST(:user_ids AS uuid[])) ORDER BY a.user_id FOR UPDATE OF a"""
"""The users' locks and limits in one round trip, locked in ``user_id`` order so that two
replicas' batches never wait for each other in a cycle. The limits need no fresher snapshot:
changing them does not take this lock, so they were never ordered with decisions."""
_CREATE_TEXT = (
    "INSERT INTO risk_accounts (user_id) SELECT unnest(CAST(:user_ids AS uuid[])) ON CONFLICT DO NOTHING"
)

_READ_TEXT = f"""SELECT q.user_id AS asked_for, {", ".join(f"i.{name}" for name in _INTENT_COLUMNS)},
  (SELECT row(k.scope, coalesce(k.reason, '')) FROM kill_switches k
     WHERE k.engaged AND (k.scope = 'global' OR k.user_id = q.user_id)
     ORDER BY k.scope = 'global' DESC LIMIT 1) AS kill,
  array(SELECT row(symbol, quantity) FROM positions WHERE {_MINE} AND quantity <> 0) AS positions,
  array(SELECT row(symbol, side, limit_price, requested_qty, filled_qty, requested_quote_qty,
                   filled_quote_qty)
          FROM orders WHERE {_MINE} AND status IN ({OPEN_STATUS_SQL})) AS open_orders,
  array(SELECT row(asset, free, locked) FROM balances WHERE {_MINE}) AS balances,
  array(SELECT row(u.symbol, u.side, u.limit_price, u.quantity, u.quote_quantity, u.reference_price)
          FROM intents u
          WHERE u.user_id = q.user_id AND u.venue = :venue AND u.status = 'approved' AND NOT u.settled
            AND NOT EXISTS (SELECT FROM orders o WHERE o.venue = u.venue AND o.intent_id = u.intent_id)
          ORDER BY u.created_at, u.intent_id) AS unplaced,
  (SELECT count(*) FROM intents WHERE user_id = q.user_id AND created_at >= q.minute_ago)
    AS intents_last_minute,
  (SELECT count(*) FROM intents
     WHERE user_id = q.user_id AND status = 'approved' AND decided_at >= q.minute_ago)
    AS orders_last_minute,
  array(SELECT row(digest, max(created_at)) FROM intents
          WHERE user_id = q.user_id AND created_at >= q.digests_since AND status IN ('pending', 'approved')
          GROUP BY digest) AS digests,
  array(SELECT row(rule_id, count(*)) FROM (
          SELECT rule_id FROM intents WHERE user_id = q.user_id AND rule_id IS NOT NULL
            AND status = 'approved' AND decided_at >= q.rules_since
          UNION ALL
          SELECT rule_id FROM intents WHERE user_id = q.user_id AND rule_id IS NOT NULL
            AND status = 'pending') AS e
          GROUP BY rule_id) AS rule_executions,
  array(SELECT rule_id FROM disabled_rules WHERE user_id = q.user_id AND re_enabled_at IS NULL)
    AS disabled_rules
FROM unnest(CAST(:user_ids AS uuid[]), CAST(:intent_ids AS text[]), CAST(:minute_agos AS timestamptz[]),
            CAST(:digests_sinces AS timestamptz[]), CAST(:rules_sinces AS timestamptz[]))
       AS q (user_id, intent_id, minute_ago, digests_since, rules_since)
  LEFT JOIN intents i ON i.intent_id = q.intent_id"""
_READ_PARAMETERS = ("venue", "user_ids", "intent_ids", "minute_agos", "digests_sinces", "rules_sinces")


def _positional(sql: str, names: Sequence[str]) -> str:
    """``sql`` with ``:name`` written ``$n`` (asyncpg's style), ``n`` the name's place in ``names``."""
    return re.sub(r"(?<![:\w]):(\w+)", lambda m: f"${names.index(m.group(1)) + 1}", sql)


_LOCK = text(_LOCK_TEXT)
LOCK_SQL = _positional(_LOCK_TEXT, ("user_ids",))
"""The lock statement for asyncpg (``decision_store``): one text, both parameter styles."""
_CREATE = text(_CREATE_TEXT)
CREATE_SQL = _positional(_CREATE_TEXT, ("user_ids",))
_READ = text(_READ_TEXT)
READ_SQL = _positional(_READ_TEXT, _READ_PARAMETERS)


@dataclass(frozen=True, slots=True)
class OpenOrder:
    symbol: str
    side: str
    limit_price: Decimal | None
    requested_qty: Decimal | None
    filled_qty: Decimal
    requested_quote_qty: Decimal | None
    filled_quote_qty: Decimal


@dataclass(frozen=True, slots=True)
class Unplaced:
    """An approved intent the executor has not stored an order for yet."""

    symbol: str
    side: str
    limit_price: Decimal | None
    quantity: Decimal | None
    quote_quantity: Decimal | None
    reference_price: Decimal | None


@dataclass(frozen=True, slots=True)
class AccountRows:
    """What the statement returned, not yet interpreted (``account_view`` does that)."""

    existing: IntentRecord | None
    """The intent asked about, when it is stored already (a redelivery or a replay)."""
    kill: tuple[str, str] | None
    """(scope, reason) of the engaged switch that stops the user: the global one first."""
    positions: dict[str, Decimal]
    open_orders: list[OpenOrder]
    balances: list[tuple[str, Decimal, Decimal]]
    """(asset, free, locked)."""
    unplaced: list[Unplaced]
    intents_last_minute: int
    orders_last_minute: int
    recent_digests: dict[str, datetime]
    rule_executions: dict[str, int]
    disabled_rules: frozenset[str]


@dataclass(frozen=True, slots=True)
class Ask:
    """One user's read: the intent to look for (a redelivery) and the windows their limits set."""

    user_id: uuid.UUID
    intent_id: str | None
    minute_ago: datetime
    digests_since: datetime
    rules_since: datetime


async def lock_many(
    session: AsyncSession, user_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, tuple[RiskAccount, Limits]]:
    """Lock the users' rows (creating those never seen) and read their limits."""
    params = {"user_ids": sorted(user_ids)}
    locked = {row.user_id: row for row in await session.execute(_LOCK, params)}
    missing = sorted(set(user_ids) - set(locked))
    if missing:  # their first decision; ON CONFLICT: another replica may be creating them too
        await session.execute(_CREATE, {"user_ids": missing})
        locked.update((row.user_id, row) for row in await session.execute(_LOCK, {"user_ids": missing}))
    return {
        user: (account_of(row), limits_of(row if row.has_limits else None)) for user, row in locked.items()
    }


async def lock_with_limits(session: AsyncSession, user_id: uuid.UUID) -> tuple[RiskAccount, Limits]:
    """``lock_many`` for one user."""
    return (await lock_many(session, [user_id]))[user_id]


async def read_accounts(
    session: AsyncSession, venue: str, asks: Sequence[Ask]
) -> dict[uuid.UUID, AccountRows]:
    """Run the statement in ``session``'s transaction (after the locks: see the module's docstring)."""
    params = {
        "venue": venue, "user_ids": [a.user_id for a in asks], "intent_ids": [a.intent_id for a in asks],
        "minute_agos": [a.minute_ago for a in asks], "digests_sinces": [a.digests_since for a in asks],
        "rules_sinces": [a.rules_since for a in asks],
    }  # fmt: skip
    return {row.asked_for: rows_of(row._asdict()) for row in await session.execute(_READ, params)}


def rows_of(values: Mapping[str, Any]) -> AccountRows:
    """The statement's row (by column name) as ``AccountRows``."""
    existing = None
    if values["intent_id"] is not None:
        stored = {name: values[name] for name in _INTENT_COLUMNS}
        existing = IntentRecord(**{**stored, "status": DecisionOutcome(stored["status"])})
    kill = values["kill"]
    return AccountRows(
        existing=existing,
        kill=None if kill is None else (str(kill[0]), str(kill[1])),
        positions={symbol: quantity for symbol, quantity in values["positions"]},
        open_orders=[OpenOrder(*order) for order in values["open_orders"]],
        balances=[(asset, free, locked) for asset, free, locked in values["balances"]],
        unplaced=[Unplaced(*intent) for intent in values["unplaced"]],
        intents_last_minute=int(values["intents_last_minute"]),
        orders_last_minute=int(values["orders_last_minute"]),
        recent_digests={digest: seen for digest, seen in values["digests"]},
        rule_executions={rule_id: int(count) for rule_id, count in values["rule_executions"]},
        disabled_rules=frozenset(values["disabled_rules"]),
    )


__all__ = [
    "CREATE_SQL",
    "LOCK_SQL",
    "READ_SQL",
    "AccountRows",
    "Ask",
    "OpenOrder",
    "Unplaced",
    "lock_many",
    "lock_with_limits",
    "read_accounts",
    "rows_of",
]
