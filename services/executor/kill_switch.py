"""The executor's arm of the kill switch: nothing new is sent, and every open order is cancelled.

**The flag is PostgreSQL's** (``kill_switches``), never a copy NATS keeps fresh. ``KillSwitchGate``
asks it before every order is created and again right before every send or re-send
(``OrderTracker``): one indexed row read, small next to the venue round trip it guards, so
there is no cache at all.

**Enforcement** (``KillSwitchEnforcer.check``) reads every engaged switch and starts one pass per
switch not yet enforced by this process (or enforced, but with orders of its accounts open again
in our rows). ``check`` runs on every ``sys.kill`` message, at the start of every reconciliation
sweep, and every ``CHECK_INTERVAL_S`` on its own (new engagements only). The last two are what
make the switch work with NATS down: the gateway writes the flag even when it cannot publish,
and a second later the executor has read it, however long sweeps take. A pass repeats rounds
over each affected account until a round finds nothing of it open:

1. list the account's open orders on every symbol in one request (weight 80);
2. reject our orders stored but never sent (they never will be), and resolve by client order id
   (weight 4 each) our open orders the venue no longer lists: filled or cancelled meanwhile;
3. per symbol with open orders (symbols at once), mark ours ``PENDING_CANCEL`` and cancel them
   all in one request (weight 1), then apply each cancelled order through the tracker, exactly
   like the answer to a single cancel (the next round's listing is the verification).

So a clean pass over an account with orders on ``k`` symbols weighs ``2 * 80 + k``, plus 20 per
order that had filled something (its fills are fetched); a failed cancel costs another round
(80 + the symbols still open) after a backoff growing to ``MAX_RETRY_S``. Listing per symbol (6
each) would cost less only for accounts with orders on fewer than 14 symbols, and would miss
orders on any other symbol. Every request passes the venue's shared ``RateGate``, and ccxt's own
limiter spaces them by weight (a listing of every symbol waits 0.8 s), so a clean pass takes
about two seconds whatever the number of orders.

A global switch affects every account with open orders in our rows, an open client in this
process, or orders within the fills lookback: dormant accounts (no order of ours lately) are not
listed, so a global kill costs no key decryption and no weight for them.

Each pass ends with a ``KillSwitchReport`` on ``sys.kill.report.<user>|global`` (one more after
``REPORT_AFTER_S`` if it is still retrying by then). The first pass of a switch in a process
always reports, so a restart re-verifies the venue and says so; later passes report only if they
ended something. An account whose key the venue refuses ends the pass for that account (reported
as failed); the next check tries again if our rows still show its orders open.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from services.executor.kill_report import KillLedger, ReportOutbox
from services.executor.tracker import OrderTracker
from services.executor.venues.base import Venue
from services.executor.venues.errors import VenueError, VenueFatal, VenueOrderNotFound
from shared.db.models.orders import Order
from shared.db.repositories.kill_switches import STOPPED_BY, KillState, KillSwitchRepository
from shared.domain.enums import KillScope, OrderStatus
from shared.domain.order_reports import OrderReport
from shared.messaging.publisher import JetStreamPublisher
from shared.runtime.backoff import Backoff

_log = logging.getLogger(__name__)
S = OrderStatus
CHECK_INTERVAL_S = 1.0
"""How often PostgreSQL is asked for engaged switches besides each sweep and ``sys.kill`` message."""
MAX_RETRY_S = 10.0
"""Longest wait between rounds while cancels fail: short, a kill switch is an emergency."""
REPORT_AFTER_S = 30.0
"""A pass still retrying after this long reports what is left, then keeps going."""
APPLY_CONCURRENCY = 8
"""Cancel answers of one symbol applied at once (each its own row and events): a few per pooled
connection, rather than hundreds one after another."""
VERIFY_AFTER_S = 0.2
"""Pause before the round that verifies a round without failures (cancels settle at once)."""
LIVE = frozenset({S.INITIALIZED, S.ACCEPTED, S.PARTIALLY_FILLED, S.PENDING_CANCEL})
"""Our statuses of an order that rests at the venue or could still be sent: a pass must end them.
``SUBMITTED`` (outcome unknown) is not one: reconciliation resolves it, and once it is seen
resting, it is ``ACCEPTED`` and the next check starts another pass."""
CANCELLABLE = frozenset({S.SUBMITTED, S.ACCEPTED, S.PARTIALLY_FILLED})
RESOLVABLE = CANCELLABLE | {S.PENDING_CANCEL}
"""Statuses of ours to look up when the venue no longer lists the order: filled or cancelled."""


def kill_reason(state: KillState) -> str:
    return f"{STOPPED_BY}{state.reason}"


@dataclass(frozen=True, slots=True)
class SwitchKey:
    """One engagement of one switch: released and engaged again is a new one."""

    scope: KillScope
    user_id: uuid.UUID | None
    engaged_at: datetime | None

    @classmethod
    def of(cls, state: KillState) -> SwitchKey:
        return cls(state.scope, state.user_id, state.engaged_at)


class KillSwitchGate:
    """The tracker's question "may this user's order go out?", answered by PostgreSQL."""

    def __init__(self, switches: KillSwitchRepository) -> None:
        self._switches = switches

    async def refusal(self, user_id: uuid.UUID) -> str | None:
        state = await self._switches.engaged_for(user_id)
        return None if state is None else kill_reason(state)


class KillSwitchEnforcer:
    """Cancels every open order of the accounts an engaged switch stops, until none is left."""

    def __init__(
        self,
        tracker: OrderTracker,
        switches: KillSwitchRepository,
        publisher: JetStreamPublisher,
        *,
        online: Callable[[], bool],
        lookback: timedelta,
    ) -> None:
        self._tracker = tracker
        self._switches = switches
        self._outbox = ReportOutbox(publisher, online)
        self._lookback = lookback
        self._metrics = tracker.metrics
        self._passes: dict[SwitchKey, asyncio.Task[None]] = {}
        self._enforced: set[SwitchKey] = set()
        self._locks: defaultdict[uuid.UUID, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._checking = asyncio.Lock()
        self.passes = 0
        self.stopping = False

    async def run(self) -> None:
        """Check every ``CHECK_INTERVAL_S``: one indexed read, so the switch takes effect within a
        second of being written, NATS or no NATS, however long a reconciliation sweep takes."""
        while not self.stopping:
            try:
                await self.check(recheck=False)
            except asyncio.CancelledError:
                raise
            except Exception as e:
                _log.warning("kill switch check failed; retrying", extra={"error": repr(e)[:500]})
            await asyncio.sleep(CHECK_INTERVAL_S)

    async def check(self, *, recheck: bool = True) -> None:
        """Start a pass for every engaged switch that needs one; publish reports that waited.

        ``recheck`` also looks for orders of enforced switches open again (reading every open
        order of the venue), which the every-second loop leaves to sweeps and messages.
        """
        async with self._checking:
            states = await self._switches.engaged()
            for scope in KillScope:
                self._metrics.kill_engaged.labels(scope.value).set(sum(s.scope == scope for s in states))
            engaged = {SwitchKey.of(state): state for state in states}
            self._enforced &= set(engaged)
            self._passes = {k: t for k, t in self._passes.items() if k in engaged or not t.done()}
            live: list[Order] | None = None
            for key, state in engaged.items():
                running = self._passes.get(key)
                if running is not None and not running.done():
                    continue
                first = key not in self._enforced
                if not first and not recheck:
                    continue
                if not first:
                    live = live if live is not None else await self._live_orders()
                    if not any(state.user_id in (None, o.user_id) for o in live):
                        continue
                self._enforced.add(key)
                name = f"kill-{state.scope.value}-{state.user_id or 'all'}"
                self._passes[key] = asyncio.create_task(self._enforce(state, first=first), name=name)
        await self._outbox.flush()

    async def stop(self) -> None:
        tasks = [task for task in self._passes.values() if not task.done()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    # -- ONE PASS ------------------------------------------------------------------------------

    async def _enforce(self, state: KillState, *, first: bool) -> None:
        try:
            await self._pass(state, first=first)
        except asyncio.CancelledError:
            raise
        except Exception:
            _log.exception("kill switch pass failed; the next check starts it again")
            self._enforced.discard(SwitchKey.of(state))

    async def _pass(self, state: KillState, *, first: bool) -> None:
        ledger = KillLedger(state)
        started = time.monotonic()
        pending = set(await self._affected(state))
        backoff = Backoff(initial_s=0.25, max_s=MAX_RETRY_S)
        reported = released = False
        while pending:
            failures = ledger.failures
            for user_id in sorted(pending):
                async with self._locks[user_id]:
                    if await self._try_round(user_id, state, ledger):
                        pending.discard(user_id)
            if not pending:
                break
            if not await self._still_engaged(state):
                released = True
                break
            if not reported and time.monotonic() - started > REPORT_AFTER_S:
                await self._outbox.put(await ledger.report(self._tracker, complete=False))
                reported = True
            if ledger.failures == failures:
                backoff.reset()
                await asyncio.sleep(VERIFY_AFTER_S)
            else:
                await asyncio.sleep(backoff.next_delay())
        self.passes += 1
        report = await ledger.report(self._tracker, complete=not pending, released=released)
        ended = {"canceled": report.cancelled, "filled": report.filled_meanwhile, "unsent": report.unsent}
        counts = {result: len(entries) for result, entries in ended.items()}
        for result, count in {**counts, "unfinished": len(report.failed)}.items():
            self._metrics.kill_cancels.labels(result).inc(count)
        changed = any(counts.values())
        if changed and not pending and state.engaged_at is not None:
            self._metrics.kill_flat_seconds.observe((datetime.now(UTC) - state.engaged_at).total_seconds())
        if first or changed or reported:
            await self._outbox.put(report)

    async def _try_round(self, user_id: uuid.UUID, state: KillState, ledger: KillLedger) -> bool:
        try:
            return await self._round(user_id, state, ledger)
        except asyncio.CancelledError:
            raise
        except Exception as e:  # the database, or NATS while connected, failing: the next round
            _log.warning("kill switch round failed; retrying", extra={"error": repr(e)[:500]})
            ledger.fail(user_id, None, f"{type(e).__name__}: {e}")
            return False

    async def _round(self, user_id: uuid.UUID, state: KillState, ledger: KillLedger) -> bool:
        """One discover-and-cancel round over one account; True when nothing of it is left open
        (or nothing more can be done: the venue refuses its key)."""
        tracker = self._tracker
        ours = [o for o in await tracker.orders.open_orders(tracker.pool.venue) if o.user_id == user_id]
        for order in ours:
            ledger.watch(order)
        try:
            venue = await tracker.pool.get(user_id)
        except VenueFatal as e:
            await self._withhold(ours, set(), state, ledger)
            if any(S(o.status) in LIVE - {S.INITIALIZED} for o in ours):
                ledger.fail(user_id, None, str(e))
            return True
        try:
            listed = await venue.fetch_all_open_orders()
        except VenueError as e:
            ledger.fail(user_id, None, f"listing open orders: {e}")
            return False
        ledger.errors.pop((user_id, None), None)
        shown = {report.client_order_id for _, report in listed}
        await self._withhold(ours, shown, state, ledger)
        for order in ours:
            if S(order.status) in RESOLVABLE and order.client_order_id not in shown:
                await self._resolve(order, ledger)
        mine = {o.client_order_id: o for o in ours}
        rows: dict[str, list[Order | None]] = defaultdict(list)  # None: not ours
        for symbol, report in listed:
            rows[symbol].append(mine.get(report.client_order_id))
        # Symbols at once: each is one request, then the rows of its orders.
        await asyncio.gather(*(self._cancel_symbol(user_id, venue, s, r, ledger) for s, r in rows.items()))
        if listed:
            return False  # verified by the next round
        left = [o for o in await tracker.orders.open_orders(tracker.pool.venue) if o.user_id == user_id]
        return not any(S(o.status) in LIVE for o in left)

    async def _withhold(
        self, ours: list[Order], shown: set[str], state: KillState, ledger: KillLedger
    ) -> None:
        for order in ours:
            never_sent = order.status == S.INITIALIZED and order.client_order_id not in shown
            if never_sent and await self._tracker.withhold(order, kill_reason(state)):
                ledger.unsent.add(order.id)

    async def _resolve(self, order: Order, ledger: KillLedger) -> None:
        try:
            await self._tracker.resolve(order)
        except VenueError as e:
            ledger.fail(order.user_id, order.symbol, f"looking the order up: {e}")

    async def _cancel_symbol(
        self,
        user_id: uuid.UUID,
        venue: Venue,
        symbol: str,
        rows: list[Order | None],
        ledger: KillLedger,
    ) -> None:
        tracker = self._tracker
        cancellable = [o.id for o in rows if o is not None and S(o.status) in CANCELLABLE]
        for change in await tracker.orders.move_all(cancellable, S.PENDING_CANCEL):
            await tracker.events.publish(change)
        try:
            results = await venue.cancel_all(symbol)
        except VenueOrderNotFound:
            return  # nothing open there any more: the next round resolves what filled
        except VenueFatal as e:
            await tracker.pool.refuse(user_id, venue)
            ledger.fail(user_id, None, str(e))
            return
        except VenueError as e:
            ledger.retried += 1
            ledger.fail(user_id, symbol, f"cancelling {symbol}: {e}")
            self._metrics.kill_cancels.labels("failed").inc()
            _log.warning("kill switch cancel failed; retrying", extra={"symbol": symbol, "error": str(e)})
            return
        ledger.errors.pop((user_id, symbol), None)
        known = {o.client_order_id: o for o in rows if o is not None}
        applying = asyncio.Semaphore(APPLY_CONCURRENCY)

        async def settle(result: OrderReport) -> None:
            async with applying:
                order = known.get(result.client_order_id) or await tracker.orders.get(
                    tracker.pool.venue, result.client_order_id
                )
                if order is None or order.user_id != user_id:
                    ledger.cancelled_elsewhere(user_id, symbol, result)
                    return
                ledger.watch(order)
                try:
                    await tracker.apply(order, result, venue)
                except VenueError as e:  # its fills could not be fetched: reconciliation does it
                    _log.warning("fills of a cancelled order not fetched", extra={"error": str(e)})

        await asyncio.gather(*(settle(result) for result in results))

    # -- WHO AND WHEN --------------------------------------------------------------------------

    async def _affected(self, state: KillState) -> list[uuid.UUID]:
        if state.user_id is not None:
            return [state.user_id]
        tracker = self._tracker
        venue = tracker.pool.venue
        since = datetime.now(UTC) - self._lookback
        users = {o.user_id for o in await tracker.orders.open_orders(venue)}
        users |= {user for user, _ in await tracker.orders.recent_markets(venue, since)}
        return sorted(users | set(tracker.pool.users))

    async def _live_orders(self) -> list[Order]:
        """Our orders a pass must end (one placed in a race with the switch, say)."""
        rows = await self._tracker.orders.open_orders(self._tracker.pool.venue)
        return [o for o in rows if S(o.status) in LIVE]

    async def _still_engaged(self, state: KillState) -> bool:
        return SwitchKey.of(state) in {SwitchKey.of(s) for s in await self._switches.engaged()}


__all__ = ["KillSwitchEnforcer", "KillSwitchGate", "SwitchKey", "kill_reason"]
