"""The kill switch, executor side, against real processes: every open order on every symbol is
cancelled and verified at the venue, nothing new goes out while it is engaged (restarts
included), and it works from PostgreSQL alone while NATS is down and cancels fail."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from decimal import Decimal

import httpx
import pytest

from cryptopulse.servers.nats import NatsServer
from shared.db.repositories.kill_switches import KillSwitchRepository
from shared.domain.enums import KillScope, OrderStatus
from shared.messages import subjects
from shared.messages.commands import SubmitOrder
from shared.messages.system import KillSwitchEngaged, KillSwitchReleased, KillSwitchReport
from tests.integration.executor.conftest import PAPER_SYMBOLS, Stack
from tests.integration.executor.support import (
    Trader,
    add_trader,
    assert_rows_equal_venue,
    eventually,
    kill_reports,
    rows_of,
    use_own_nats,
)

pytestmark = pytest.mark.asyncio
BALANCES = {"USDT": "1000000", **{symbol.split("/")[0]: "1000" for symbol in PAPER_SYMBOLS}}
QUIET = {"CRYPTOPULSE_EXECUTOR_RECONCILE_INTERVAL_S": "3600", "CRYPTOPULSE_EXECUTOR_FILLS_LOOKBACK_S": "1"}
"""Only the start-up sweep, and no fills to look for (nothing here fills): sweeps look up every
open order and the fills of every recent market, and 50 orders on 5 markets every half second
would spend the paper exchange's request weight. The kill switch checks PostgreSQL by itself."""
S = OrderStatus

AddTrader = Callable[[], Awaitable[Trader]]


@pytest.fixture
async def traders(stack: Stack) -> AsyncIterator[AddTrader]:
    made: list[Trader] = []

    async def add() -> Trader:
        made.append(await add_trader(stack, BALANCES))
        return made[-1]

    yield add
    for trader in made:
        await trader.client.close()


async def place(stack: Stack, trader: Trader, per_symbol: int, symbols: tuple[str, ...]) -> list[SubmitOrder]:
    """Resting buy orders, ``per_symbol`` on each symbol, all accepted when this returns."""
    prices = {symbol: await trader.resting_price(symbol) for symbol in symbols}
    sent = [trader.limit(symbol, prices[symbol]) for symbol in symbols for _ in range(per_symbol)]
    for cmd in sent:
        await stack.send(cmd)

    async def accepted() -> bool:
        rows = await rows_of(stack, trader.user_id)
        return len(rows) == len(sent) and all(r.status == S.ACCEPTED for r in rows)

    await stack.wait_for(accepted, within_s=30)
    assert len(await trader.open_at_venue()) == len(sent)
    return sent


async def engage(stack: Stack, user_id: uuid.UUID | None, reason: str, *, publish: bool = True) -> None:
    scope = KillScope.GLOBAL if user_id is None else KillScope.USER
    await KillSwitchRepository(stack.sessionmaker).engage(scope, user_id, "admin", reason)
    if publish:
        message = KillSwitchEngaged(
            scope=scope,
            user_id=None if user_id is None else str(user_id),
            actor="admin",
            reason=reason,
            ts_event=datetime.now(UTC),
        )
        await stack.publisher.publish(subjects.KILL_SWITCH, message)


async def release(stack: Stack, user_id: uuid.UUID | None) -> None:
    scope = KillScope.GLOBAL if user_id is None else KillScope.USER
    await KillSwitchRepository(stack.sessionmaker).release(scope, user_id, "admin")
    message = KillSwitchReleased(
        scope=scope,
        user_id=None if user_id is None else str(user_id),
        actor="admin",
        ts_event=datetime.now(UTC),
    )
    await stack.publisher.publish(subjects.KILL_SWITCH, message)


async def flat(stack: Stack, *traders: Trader, within_s: float) -> float:
    """Wait until no trader has an open order at the venue; return how long it took."""
    started = time.monotonic()

    async def nothing_open() -> bool:
        return not [o for t in traders for o in await t.open_at_venue()]

    await stack.wait_for(nothing_open, within_s=within_s)
    return time.monotonic() - started


async def final_report(js: object, user_id: uuid.UUID | None, expected: int) -> KillSwitchReport:
    found: list[KillSwitchReport] = []

    async def listed() -> None:
        found[:] = [r for r in await kill_reports(js, user_id) if r.complete and r.cancelled]
        assert found and len(found[0].cancelled) == expected, [len(r.cancelled) for r in found]

    await eventually(listed, within_s=20)
    return found[0]


async def rejected_by_the_switch(stack: Stack, trader: Trader, reason: str) -> None:
    """A new order is rejected with the switch's reason and never reaches the venue."""
    cmd = trader.limit("BTC/USDT", await trader.resting_price("BTC/USDT"))
    await stack.send(cmd)

    async def rejected() -> bool:
        rows = {r.client_order_id: r for r in await rows_of(stack, trader.user_id)}
        row = rows.get(cmd.client_order_id)
        return row is not None and row.status == S.REJECTED

    await stack.wait_for(rejected, within_s=15)
    row = next(r for r in await rows_of(stack, trader.user_id) if r.client_order_id == cmd.client_order_id)
    assert row.reject_reason == f"kill switch engaged: {reason}"
    assert row.submitted_at is None and row.venue_order_id is None
    assert cmd.client_order_id not in await trader.on_venue(["BTC/USDT"])


async def all_cancelled(stack: Stack, trader: Trader, sent: list[SubmitOrder]) -> None:
    rows = {r.client_order_id: r for r in await rows_of(stack, trader.user_id)}
    assert [rows[c.client_order_id].status for c in sent] == [S.CANCELED.value] * len(sent)


def initialized_row(trader: Trader, cmd: SubmitOrder) -> dict[str, object]:
    """What the tracker stores before it sends: a row a crash can leave behind."""
    return {
        "user_id": trader.user_id, "venue": "paper", "symbol": cmd.symbol, "side": cmd.side.value,
        "order_type": cmd.order_type.value, "time_in_force": "GTC", "intent_id": cmd.intent_id,
        "client_order_id": cmd.client_order_id, "correlation_id": cmd.intent_id,
        "requested_qty": cmd.quantity, "limit_price": cmd.limit_price, "status": S.INITIALIZED.value,
    }  # fmt: skip


async def metric(stack: Stack, name: str, labels: str = "") -> float:
    async with httpx.AsyncClient() as http:
        text = (await http.get(f"http://127.0.0.1:{stack.port}/metrics")).text
    found = re.search(rf"^{re.escape(name + labels)} (\S+)$", text, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


async def test_a_user_kill_switch_cancels_50_orders_on_5_symbols_survives_a_restart_and_holds_until_released(
    stack: Stack, traders: AddTrader
) -> None:
    trader = await traders()
    stack.start_executor(**QUIET)
    await stack.wait_ready()
    sent = await place(stack, trader, 10, PAPER_SYMBOLS)

    await engage(stack, trader.user_id, "runaway strategy")
    took = await flat(stack, trader, within_s=20)

    async def cancelled_here_and_there() -> None:
        await all_cancelled(stack, trader, sent)
        await assert_rows_equal_venue(stack, trader, sent)

    await eventually(cancelled_here_and_there)
    report = await final_report(stack.js, trader.user_id, len(sent))
    assert {(o.client_order_id, o.symbol) for o in report.cancelled} == {
        (c.client_order_id, c.symbol) for c in sent
    }
    assert all(o.filled_quantity == Decimal(0) for o in report.cancelled)
    assert report.filled_meanwhile == [] and report.failed == [] and report.unsent == []
    assert report.scope == KillScope.USER and report.user_id == str(trader.user_id)
    assert report.started_at <= report.finished_at
    assert await metric(stack, "executor_kill_switches_engaged", '{scope="user"}') == 1
    assert await metric(stack, "executor_kill_cancels_total", '{result="canceled"}') == len(sent)
    assert await metric(stack, "executor_kill_flat_seconds_count") == 1
    await rejected_by_the_switch(stack, trader, "runaway strategy")
    print(f"50 orders on 5 symbols cancelled and verified in {took:.2f} s")

    stack.stop()
    stack.start_executor(**QUIET)
    await stack.wait_ready()
    await rejected_by_the_switch(stack, trader, "runaway strategy")
    assert not await trader.open_at_venue()

    await release(stack, trader.user_id)
    again = trader.limit("ETH/USDT", await trader.resting_price("ETH/USDT"))
    await stack.send(again)

    async def accepted() -> None:
        await assert_rows_equal_venue(stack, trader, [again])
        assert (await trader.on_venue(["ETH/USDT"]))[again.client_order_id]["status"] == "NEW"

    await eventually(accepted)


async def test_with_nats_stopped_and_half_the_cancels_failing_the_flag_in_postgres_cancels_everything(
    stack: Stack, traders: AddTrader, fresh_nats: NatsServer
) -> None:
    connection = await use_own_nats(stack, fresh_nats)
    try:
        trader = await traders()
        stack.start_executor(**{**QUIET, "CRYPTOPULSE_EXECUTOR_RECONCILE_INTERVAL_S": "5"})
        await stack.wait_ready()
        sent = await place(stack, trader, 4, PAPER_SYMBOLS)

        fresh_nats.stop()
        await stack.faults({"cancel_fail_status": 503})
        await engage(stack, trader.user_id, "exchange incident", publish=False)  # PostgreSQL only
        took = await flat(stack, trader, within_s=30)
        await eventually(lambda: all_cancelled(stack, trader, sent))
        assert await metric(stack, "executor_kill_cancels_total", '{result="failed"}') >= 1
        print(f"{len(sent)} orders cancelled with NATS down and failing cancels in {took:.2f} s")

        fresh_nats.start()  # same port and store: the executor reconnects, and its outboxes empty
        report = await final_report(stack.js, trader.user_id, len(sent))
        assert {o.client_order_id for o in report.cancelled} == {c.client_order_id for c in sent}
        assert report.retried >= 1 and report.failed == []
    finally:
        stack.stop()  # before its NATS goes
        await connection.close()


async def test_a_global_kill_switch_ends_the_orders_of_every_account_and_sends_no_stored_one(
    stack: Stack, traders: AddTrader
) -> None:
    first, second = await traders(), await traders()
    stack.start_executor(**QUIET)
    await stack.wait_ready()
    symbols = ("BTC/USDT", "SOL/USDT", "XRP/USDT")
    sent = {t.user_id: await place(stack, t, 2, symbols) for t in (first, second)}
    stored = first.limit("BNB/USDT", await first.resting_price("BNB/USDT"))
    await stack.store(initialized_row(first, stored))  # as if a crash

    await engage(stack, None, "market halt")
    await flat(stack, first, second, within_s=20)
    for trader in (first, second):
        await eventually(lambda t=trader: all_cancelled(stack, t, sent[t.user_id]))
    report = await final_report(stack.js, None, 12)
    assert report.scope == KillScope.GLOBAL and report.user_id is None
    assert {(o.user_id, o.client_order_id) for o in report.cancelled} == {
        (str(user), c.client_order_id) for user, cmds in sent.items() for c in cmds
    }
    assert [o.client_order_id for o in report.unsent] == [stored.client_order_id]
    row = next(r for r in await rows_of(stack, first.user_id) if r.client_order_id == stored.client_order_id)
    assert row.status == S.REJECTED and row.reject_reason == "kill switch engaged: market halt"
    assert row.submitted_at is None and stored.client_order_id not in await first.on_venue(["BNB/USDT"])
    for trader in (first, second):
        await rejected_by_the_switch(stack, trader, "market halt")
