"""What the executor does when something is off: an order caught half-way by a crash, a key the
venue refuses, a user stream that is down, and a shutdown request."""

from __future__ import annotations

import asyncio
import re
import signal
from datetime import UTC, datetime

import httpx
import pytest
from pydantic import SecretStr

from shared.config.settings import SecretsSettings
from shared.db.repositories.exchange_keys import ExchangeKeyRepository
from shared.domain.enums import OrderStatus, OrderType, VenueName
from shared.messages.commands import CancelAllOrders, CancelOrder
from shared.secrets.factory import build_cipher
from tests.integration.executor.conftest import Stack
from tests.integration.executor.support import (
    SYMBOL,
    all_resolved,
    assert_database_equals_exchange,
    command,
    eventually,
    resting_price,
)

pytestmark = pytest.mark.asyncio


async def metric(stack: Stack, name: str) -> float:
    async with httpx.AsyncClient() as http:
        text = (await http.get(f"http://127.0.0.1:{stack.port}/metrics")).text
    found = re.search(rf"^{re.escape(name)} (\S+)$", text, re.MULTILINE)
    assert found, f"{name} not exported"
    return float(found.group(1))


def keys_of(stack: Stack) -> ExchangeKeyRepository:
    return ExchangeKeyRepository(
        stack.sessionmaker, build_cipher(SecretsSettings(master_key_file=stack.master_key))
    )


async def test_cancelling_an_order_stored_but_not_yet_sent_ends_it_without_reaching_the_exchange(
    stack: Stack,
) -> None:
    # No periodic sweep: one would send the stored order, as it must after a crash.
    stack.start_executor(CRYPTOPULSE_EXECUTOR_RECONCILE_INTERVAL_S="3600")
    await stack.wait_ready()
    submit = command(stack, limit_price=await resting_price(stack))
    tracker_row = {  # what a replica stores before it sends; the cancel overtakes it
        "user_id": stack.user_id,
        "venue": "paper",
        "symbol": SYMBOL,
        "side": submit.side.value,
        "order_type": submit.order_type.value,
        "time_in_force": "GTC",
        "intent_id": submit.intent_id,
        "client_order_id": submit.client_order_id,
        "correlation_id": submit.intent_id,
        "requested_qty": submit.quantity,
        "limit_price": submit.limit_price,
        "status": OrderStatus.INITIALIZED.value,
    }
    await stack.store(tracker_row)
    await stack.send(
        CancelOrder(
            user_id=submit.user_id,
            venue=submit.venue,
            client_order_id=submit.client_order_id,
            symbol=SYMBOL,
            ts_event=submit.ts_event,
        )
    )
    await stack.wait_for(lambda: all_resolved(stack, 1))
    await stack.send(submit)  # the submit, seen again after the cancel, must not revive it
    await asyncio.sleep(1.5)
    [row] = await stack.orders()
    assert row.status == OrderStatus.CANCELED.value
    assert row.reject_reason == "canceled before it was sent"
    assert row.venue_order_id is None and row.submitted_at is None
    await assert_database_equals_exchange(stack, [])


async def test_cancel_all_cancels_every_open_order_of_the_user_and_nothing_else(stack: Stack) -> None:
    stack.start_executor()
    await stack.wait_ready()
    price = await resting_price(stack)
    resting = [command(stack, limit_price=price - i) for i in range(3)]
    for cmd in resting:
        await stack.send(cmd)
    await stack.wait_for(lambda: all_resolved(stack, len(resting)))
    await stack.send(
        CancelAllOrders(
            user_id=str(stack.user_id),
            venue=VenueName.PAPER,
            reason="done for today",
            ts_event=datetime.now(UTC),
        )
    )

    async def all_canceled() -> bool:
        return all(o.status == OrderStatus.CANCELED.value for o in await stack.orders())

    await stack.wait_for(all_canceled)
    assert await stack.client.fetch_open_orders(SYMBOL) == []
    await eventually(lambda: assert_database_equals_exchange(stack, resting))


async def test_a_refused_key_halts_the_user_until_the_key_is_rotated(stack: Stack) -> None:
    keys = keys_of(stack)
    api_key, good_secret = stack.client.apiKey, stack.client.secret
    await keys.rotate(stack.user_id, "paper", "main", SecretStr(api_key), SecretStr("not-the-secret"))
    stack.start_executor()
    await stack.wait_ready()
    price = await resting_price(stack)
    refused = [command(stack, limit_price=price) for _ in range(3)]
    await stack.send(refused[0])  # alone: orders already in flight with the key are refused as well
    await stack.wait_for(lambda: all_resolved(stack, 1))
    for cmd in refused[1:]:
        await stack.send(cmd)
    await stack.wait_for(lambda: all_resolved(stack, len(refused)))
    rows = {o.client_order_id: o for o in await stack.orders()}
    reasons = [rows[c.client_order_id].reject_reason or "" for c in refused]
    assert all(rows[c.client_order_id].status == OrderStatus.REJECTED.value for c in refused)
    assert "Authentication" in reasons[0] or "Signature" in reasons[0], reasons[0]
    assert all("halted until it is rotated" in r for r in reasons[1:]), reasons
    assert await metric(stack, "executor_key_refusals_total") == 1  # the venue was asked once

    await keys.rotate(stack.user_id, "paper", "main", SecretStr(api_key), SecretStr(good_secret))
    accepted = command(stack, limit_price=price)
    await stack.send(accepted)
    await stack.wait_for(lambda: all_resolved(stack, len(refused) + 1))
    row = next(o for o in await stack.orders() if o.client_order_id == accepted.client_order_id)
    assert row.status == OrderStatus.ACCEPTED.value
    await eventually(lambda: assert_database_equals_exchange(stack, [accepted]))


async def test_while_the_user_stream_is_down_rest_polling_finds_fills_at_once(stack: Stack) -> None:
    # Sweeps of a healthy stream are an hour apart: only a stale stream can explain a quick fill.
    stack.start_executor(
        CRYPTOPULSE_EXECUTOR_RECONCILE_INTERVAL_S="3600", CRYPTOPULSE_EXECUTOR_POLL_INTERVAL_S="0.3"
    )
    await stack.wait_ready()
    resting = command(stack, limit_price=await resting_price(stack))
    await stack.send(resting)  # the account's first order opens its client and its user stream
    await stack.wait_for(lambda: all_resolved(stack, 1))
    await stack.faults({"streams_down": True, "drop_user_streams": True})

    async def stale() -> bool:
        return await metric(stack, "executor_user_stream_stale") == 1

    await stack.wait_for(stale, within_s=15)
    await stack.faults({"after_accept_drop": True})  # the REST answer is lost as well
    market = command(stack, order_type=OrderType.MARKET)
    await stack.send(market)
    await stack.wait_for(lambda: all_resolved(stack, 2), within_s=15)
    row = next(o for o in await stack.orders() if o.client_order_id == market.client_order_id)
    assert row.status == OrderStatus.FILLED.value
    await eventually(lambda: assert_database_equals_exchange(stack, [resting, market]))
    assert (await stack.metrics()).total("executor_reconcile_drift_total") >= 1  # polling repaired it
    await stack.faults({"reset": True})

    async def fresh() -> bool:
        return await metric(stack, "executor_user_stream_stale") == 0

    await stack.wait_for(fresh, within_s=40)


async def test_sigterm_stops_the_executor_cleanly_with_orders_resting(stack: Stack) -> None:
    stack.start_executor()
    await stack.wait_ready()
    resting = command(stack, limit_price=await resting_price(stack))
    await stack.send(resting)
    await stack.wait_for(lambda: all_resolved(stack, 1))
    assert stack.process is not None
    stack.process.send_signal(signal.SIGTERM)
    # Generous: ``cryptopulse up`` waits 15 s before it kills; what matters is a clean exit.
    # uvicorn re-raises the signal once it has shut down, so the status says SIGTERM.
    assert await asyncio.to_thread(stack.process.wait, 12) == -signal.SIGTERM
