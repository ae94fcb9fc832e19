"""The gate's AccountView loaded from a hand-built account, to the exact decimal."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.risk_gate.account_view import account_view
from services.risk_gate.model import AccountView
from shared.db.models.orders import Order
from shared.db.models.portfolio import Balance, Position
from shared.db.repositories import disabled_rules, intents, risk_accounts
from shared.db.repositories.users import UserRepository
from shared.db.tenancy import service_session
from shared.domain.enums import DecisionOutcome
from shared.domain.risk_limits import Limits

pytestmark = pytest.mark.postgres
D = Decimal
OUT = DecisionOutcome
NOW = datetime(2030, 3, 4, 12, 0, tzinfo=UTC)
REFERENCES = {"BTC/USDT": D("20000"), "ETH/USDT": D("1000")}


def ago(seconds: int) -> datetime:
    return NOW - timedelta(seconds=seconds)


def order(user: uuid.UUID, intent_id: str, **fields: Any) -> Order:
    values: dict[str, Any] = {
        "user_id": user, "venue": "paper", "symbol": "BTC/USDT", "side": "buy", "order_type": "limit",
        "intent_id": intent_id, "client_order_id": f"cp-{uuid.uuid4().hex[:20]}", "status": "accepted",
    }  # fmt: skip
    return Order(**{**values, **fields})


async def intent(session: AsyncSession, user: uuid.UUID, seconds_ago: int, **fields: Any) -> str:
    intent_id = f"v-{uuid.uuid4().hex}"
    values: dict[str, Any] = {
        "intent_id": intent_id, "user_id": user, "correlation_id": intent_id, "source": "model",
        "rule_id": None, "venue": "paper", "symbol": "BTC/USDT", "side": "buy", "order_type": "limit",
        "quantity": D("0.01"), "quote_quantity": None, "limit_price": D("19000"), "digest": "0" * 64,
        "reference_price": D("20000"), "status": OUT.APPROVED, "now": ago(seconds_ago),
    }  # fmt: skip
    assert await intents.record_decision(session, **{**values, **fields})
    return intent_id


@pytest.fixture
async def user(sessionmaker: async_sessionmaker[AsyncSession]) -> uuid.UUID:
    """Balances, positions, orders, intents and a disabled rule, each chosen to land in one number."""
    user = (await UserRepository(sessionmaker).create(f"v{uuid.uuid4().hex[:10]}@example.com", "V")).id
    async with service_session(sessionmaker) as session:
        session.add_all([
            Balance(user_id=user, venue="paper", asset="USDT", free=D("1000"), locked=D("200")),
            Balance(user_id=user, venue="paper", asset="BTC", free=D("0.5"), locked=D("0.1")),
            Balance(user_id=user, venue="paper", asset="ETH", free=D("3"), locked=D("0")),
            Balance(user_id=user, venue="testnet", asset="USDT", free=D("99999"), locked=D("0")),
            Position(user_id=user, venue="paper", symbol="BTC/USDT", quantity=D("0.6"), quote_spent=D("1")),
            Position(user_id=user, venue="paper", symbol="ETH/USDT", quantity=D("0"), quote_spent=D("0")),
        ])  # fmt: skip
        # i1: approved, no order yet (unplaced): +0.02 BTC in flight, 0.02 x 19000 = 380 USDT spent.
        await intent(session, user, 30, quantity=D("0.02"), digest="a" * 64, rule_id="r1")
        # i2: approved market sell, unplaced, 90 s ago: -1 ETH in flight, 1 ETH spent; outside the minute.
        await intent(
            session, user, 90, symbol="ETH/USDT", side="sell", order_type="market", quantity=D("1"),
            limit_price=None, digest="b" * 64, reference_price=D("1000"),
        )  # fmt: skip
        # i3: approved and placed (its order is the open BTC limit buy below): counted through the order.
        placed = await intent(session, user, 10, digest="c" * 64, rule_id="r1")
        # i4: approved but settled (its order finished and is gone from flight), 2 h ago.
        assert await intents.settle(session, await intent(session, user, 7200, rule_id="r1"))
        # i5: denied 5 s ago; i6: pending 20 s ago.
        await intent(session, user, 5, status=OUT.DENIED, digest="d" * 64)
        await intent(session, user, 20, status=OUT.PENDING, digest="e" * 64, rule_id="r2")
        session.add_all([
            # remaining 0.1 - 0.04 = +0.06 BTC
            order(user, placed, requested_qty=D("0.1"), limit_price=D("19500"), filled_qty=D("0.04"),
                  filled_quote_qty=D("780"), status="partially_filled"),
            # remaining -(2 - 0.5) = -1.5 ETH
            order(user, f"o-eth-{user.hex}", symbol="ETH/USDT", side="sell", requested_qty=D("2"),
                  limit_price=D("1100"), filled_qty=D("0.5"), filled_quote_qty=D("550")),
            # by quote: (300 - 100) / 20000 = +0.01 BTC
            order(user, f"o-quote-{user.hex}", order_type="market", requested_quote_qty=D("300"),
                  filled_qty=D("0.005"), filled_quote_qty=D("100"), status="submitted"),
            order(user, f"o-done-{user.hex}", requested_qty=D("5"), limit_price=D("1"), filled_qty=D("5"),
                  status="filled"),
            order(user, f"o-tn-{user.hex}", venue="testnet", requested_qty=D("7"), limit_price=D("1")),
        ])  # fmt: skip
        await disabled_rules.disable(session, user, "r3", "risk_gate", "too many runs")
        await risk_accounts.lock(session, user)
        await risk_accounts.move_high_water(session, user, NOW.date(), D("17000"))
    return user


async def view(sessionmaker: async_sessionmaker[AsyncSession], user: uuid.UUID, **kw: Any) -> AccountView:
    references = kw.pop("references", REFERENCES)
    async with service_session(sessionmaker) as session:
        return await account_view(session, user, "paper", references, limits=Limits(), now=kw.pop("now", NOW))


async def test_account_view_numbers_are_exact(
    sessionmaker: async_sessionmaker[AsyncSession], user: uuid.UUID
) -> None:
    got = await view(sessionmaker, user)

    # equity = 1200 USDT + 0.6 BTC x 20000 + 3 ETH x 1000 = 16200; high-water 17000
    assert got == AccountView(
        positions={"BTC/USDT": D("0.6")},
        in_flight={"BTC/USDT": D("0.09"), "ETH/USDT": D("-2.5")},
        reference_prices=REFERENCES,
        open_orders=3,
        free_balances={"USDT": D("620"), "BTC": D("0.5"), "ETH": D("2")},
        intents_last_minute=4,
        orders_last_minute=2,
        recent_digests={"a" * 64: ago(30), "c" * 64: ago(10), "e" * 64: ago(20)},
        rule_executions={"r1": 2, "r2": 1},
        disabled_rules=frozenset({"r3"}),
        drawdown=D("800"),
        reduce_only=False,
    )


async def test_the_high_water_mark_rises_with_equity_and_restarts_each_day(
    sessionmaker: async_sessionmaker[AsyncSession], user: uuid.UUID
) -> None:
    richer = {"BTC/USDT": D("25000"), "ETH/USDT": D("1000")}  # equity 1200 + 15000 + 3000 = 19200
    assert (await view(sessionmaker, user, references=richer)).drawdown == D("0")
    assert (await view(sessionmaker, user)).drawdown == D("3000")  # back to 16200 under a 19200 mark

    tomorrow = NOW + timedelta(days=1)
    assert (await view(sessionmaker, user, now=tomorrow)).drawdown == D("0")  # a new day, a new mark
    account = await risk_accounts.RiskAccountRepository(sessionmaker).get(user)
    assert (account.day, account.day_high_water) == (date(2030, 3, 5), D("16200"))

    # An asset without a reference counts as zero: the view can only get stricter.
    assert (await view(sessionmaker, user, now=tomorrow, references={})).drawdown == D("15000")
