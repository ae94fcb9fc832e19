"""What the executor tests share: commands for the test's user, and the check that the database
equals the exchange to the last decimal; for the kill switch tests, more accounts on more
symbols, their reports, and a NATS of a test's own."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import nats
from nats.js.api import ConsumerConfig, DeliverPolicy
from nats.js.errors import FetchTimeoutError
from pydantic import SecretStr
from sqlalchemy import select, text

from cryptopulse.servers.nats import NatsServer
from services.executor.venues.binance_mapping import BINANCE_STATUS
from shared.config.settings import SecretsSettings
from shared.db.models.orders import Order
from shared.db.repositories.exchange_keys import ExchangeKeyRepository
from shared.db.repositories.users import UserRepository
from shared.domain.enums import OrderSide, OrderStatus, OrderType, VenueName
from shared.exchange.binance import create_binance
from shared.messages import subjects
from shared.messages.base import derived_id
from shared.messages.commands import SubmitOrder
from shared.messages.system import KillSwitchReport
from shared.messaging.publisher import JetStreamPublisher
from shared.messaging.streams import ensure_streams
from shared.secrets.factory import build_cipher
from tests.integration.executor.conftest import Stack

SYMBOL = "BTC/USDT"
UNRESOLVED = {OrderStatus.INITIALIZED.value, OrderStatus.SUBMITTED.value, OrderStatus.PENDING_CANCEL.value}


def command(stack: Stack, *, order_type: OrderType = OrderType.LIMIT, **fields: Any) -> SubmitOrder:
    intent = uuid.uuid4().hex
    values: dict[str, Any] = {
        "intent_id": intent,
        "user_id": str(stack.user_id),
        "venue": VenueName.PAPER,
        "client_order_id": f"cp-{intent[:30]}",
        "symbol": SYMBOL,
        "side": OrderSide.BUY,
        "order_type": order_type,
        "quantity": Decimal("0.001"),
        "message_id": derived_id("submit", intent),
        "ts_event": datetime.now(UTC),
    }
    return SubmitOrder.model_validate({**values, **fields})


async def resting_price(stack: Stack) -> Decimal:
    ticker = await stack.client.fetch_ticker(SYMBOL)
    return (Decimal(str(ticker["bid"])) * Decimal("0.8")).quantize(Decimal("0.01"))


async def all_resolved(stack: Stack, count: int) -> bool:
    orders = await stack.orders()
    return len(orders) == count and not any(o.status in UNRESOLVED for o in orders)


async def assert_database_equals_exchange(stack: Stack, sent: list[SubmitOrder]) -> None:
    on_exchange = [o["info"] for o in await stack.client.fetch_orders(SYMBOL, None, 1000)]
    ours = {c.client_order_id for c in sent}
    mine = [o for o in on_exchange if o["clientOrderId"] in ours]
    placed = [c for c in sent if c.symbol == SYMBOL]
    assert sorted(o["clientOrderId"] for o in mine) == sorted(c.client_order_id for c in placed)  # once each
    rows = {o.client_order_id: o for o in await stack.orders()}
    fills = await stack.fills()
    trades = [t["info"] for t in await stack.client.fetch_my_trades(SYMBOL, None, 1000)]
    for venue_order in mine:
        row = rows[venue_order["clientOrderId"]]
        assert row.venue_order_id == str(venue_order["orderId"])
        assert row.venue_status == venue_order["status"]
        assert row.filled_qty == Decimal(venue_order["executedQty"])
        assert row.filled_quote_qty == Decimal(venue_order["cummulativeQuoteQty"])
        assert row.requested_qty == Decimal(venue_order["origQty"])
        theirs = {(str(t["id"]), Decimal(t["qty"]), Decimal(t["price"]), Decimal(t["commission"]))
                  for t in trades if str(t["orderId"]) == row.venue_order_id}  # fmt: skip
        stored = {(f.trade_id, f.quantity, f.price, f.commission) for f in fills if f.order_id == row.id}
        assert stored == theirs


async def eventually(check: Any, within_s: float = 15) -> None:
    """Run an assertion until it holds: a hidden order becomes visible to queries only later."""
    deadline = asyncio.get_running_loop().time() + within_s
    while True:
        try:
            await check()
            return
        except AssertionError:
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.3)


# -- MORE ACCOUNTS, MORE SYMBOLS (the kill switch tests) ---------------------------------------

LOTS = {
    "BTC/USDT": Decimal("0.001"),
    "ETH/USDT": Decimal("0.01"),
    "SOL/USDT": Decimal("0.1"),
    "BNB/USDT": Decimal("0.05"),
    "XRP/USDT": Decimal("10"),
}
"""A quantity per symbol worth more than the 5 USDT minimum notional at 80 % of the market."""


@dataclass
class Trader:
    """One more user with a paper account of their own, and a client to look at the account."""

    user_id: uuid.UUID
    client: Any

    def limit(self, symbol: str, price: Decimal) -> SubmitOrder:
        intent = uuid.uuid4().hex
        return SubmitOrder(
            intent_id=intent,
            user_id=str(self.user_id),
            venue=VenueName.PAPER,
            client_order_id=f"cp-{intent[:30]}",
            symbol=symbol,
            side=OrderSide.BUY,
            order_type=OrderType.LIMIT,
            quantity=LOTS[symbol],
            limit_price=price,
            message_id=derived_id("submit", intent),
            ts_event=datetime.now(UTC),
        )

    async def resting_price(self, symbol: str) -> Decimal:
        ticker = await self.client.fetch_ticker(symbol)
        return (Decimal(str(ticker["bid"])) * Decimal("0.8")).quantize(Decimal("0.0001"))

    async def open_at_venue(self) -> list[dict[str, Any]]:
        return [o["info"] for o in await self.client.fetch_open_orders()]

    async def on_venue(self, symbols: Iterable[str]) -> dict[str, dict[str, Any]]:
        """Every order of the account on ``symbols``, by client order id."""
        found: dict[str, dict[str, Any]] = {}
        for symbol in symbols:
            found |= {o["info"]["clientOrderId"]: o["info"] for o in await self.client.fetch_orders(symbol)}
        return found


async def add_trader(stack: Stack, balances: dict[str, str]) -> Trader:
    """A user with a paper account holding ``balances`` and its key stored for the executor."""
    user = await UserRepository(stack.sessionmaker).create(f"t{uuid.uuid4().hex[:8]}@example.com", "Trader")
    api_key, secret = stack.paper.create_account(balances)
    cipher = build_cipher(SecretsSettings(master_key_file=stack.master_key))
    await ExchangeKeyRepository(stack.sessionmaker, cipher).add(
        user.id, "paper", "main", SecretStr(api_key), SecretStr(secret)
    )
    client = create_binance(
        venue="paper", paper_url=stack.paper.http, api_key=api_key, secret=secret, pro=False,
        options={"fetchOpenOrders": {"warnWithoutSymbol": False}},
    )  # fmt: skip
    await client.load_markets()
    return Trader(user.id, client)


async def rows_of(stack: Stack, user_id: uuid.UUID) -> list[Order]:
    async with stack.sessionmaker() as session:
        await session.execute(text("SET LOCAL ROLE service_role"))
        return list(await session.scalars(select(Order).where(Order.user_id == user_id)))


async def assert_rows_equal_venue(stack: Stack, trader: Trader, sent: list[SubmitOrder]) -> None:
    """Each order sent is on the venue once, and its row says what the venue says."""
    venue = await trader.on_venue({c.symbol for c in sent})
    rows = {r.client_order_id: r for r in await rows_of(stack, trader.user_id)}
    for cmd in sent:
        assert cmd.client_order_id in venue and cmd.client_order_id in rows, cmd.client_order_id
        theirs, row = venue[cmd.client_order_id], rows[cmd.client_order_id]
        assert row.venue_order_id == str(theirs["orderId"])
        assert row.venue_status == theirs["status"]
        assert row.status == BINANCE_STATUS[theirs["status"]].value
        assert row.filled_qty == Decimal(theirs["executedQty"])
        assert row.requested_qty == Decimal(theirs["origQty"])


async def kill_reports(js: Any, user_id: uuid.UUID | None) -> list[KillSwitchReport]:
    """Every report on the user's (or the global) report subject, oldest first."""
    subscription = await js.pull_subscribe(
        subjects.kill_reports(None if user_id is None else str(user_id)),
        stream=subjects.SYSTEM.name,
        config=ConsumerConfig(deliver_policy=DeliverPolicy.ALL),  # never acked: it is ephemeral
    )
    reports: list[KillSwitchReport] = []
    try:
        while True:
            try:
                messages = await subscription.fetch(100, timeout=0.5)
            except (FetchTimeoutError, TimeoutError):
                return reports
            reports += [KillSwitchReport.from_json(m.data) for m in messages]
    finally:
        await subscription.unsubscribe()


async def use_own_nats(stack: Stack, server: NatsServer) -> Any:
    """Point the stack (and the executor it starts next) at ``server``; return the connection."""
    connection = await nats.connect(server.url, max_reconnect_attempts=-1, reconnect_time_wait=0.5)
    stack.js = connection.jetstream()
    await ensure_streams(stack.js)
    stack.nats_url, stack.publisher = server.url, JetStreamPublisher(stack.js)
    return connection
