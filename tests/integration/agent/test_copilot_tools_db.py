"""The copilot's account, rule, chart and backtest tools against real PostgreSQL, for two users:
each sees only their own balances, positions, orders, fills and rules, with exact figures."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cryptopulse.servers.postgres import PostgresServer
from services.agent.backtest.engine import Settings, run_backtest
from services.agent.backtest.rule import BacktestRule
from services.agent.graph.backtest_tools import CURVE_POINTS, result_view
from services.agent.graph.context import ChatContext
from services.agent.graph.toolbox import copilot_tools, rule_book
from services.agent.graph.tools import GraphTool, ToolResult, ToolScope
from services.agent.indicators.candles import candle_arrays
from services.agent.offline import OfflineResponder
from services.agent.parser.model import OrderCommand
from services.agent.rules.book import NoSuchRule
from shared.db.engine import create_engine, create_sessionmaker
from shared.db.repositories.candles import CandleRepository
from shared.db.repositories.orders import OrderRepository
from shared.db.repositories.portfolio import PortfolioRepository
from shared.db.repositories.rules import RuleRepository, RuleStatus
from shared.db.repositories.users import UserRepository
from shared.db.service_pool import create_service_pool
from shared.domain.enums import OrderSide, OrderStatus, VenueName
from shared.domain.intervals import Interval
from shared.domain.order_reports import TradeReport
from shared.messages.charts import ChartSpec
from tests.support.agent import START, RecordingSink, candles
from tests.support.databases import migrated_database

pytestmark = pytest.mark.postgres
D = Decimal
SYMBOLS = frozenset({"BTC/USDT", "ETH/USDT"})
HOURLY = candles("BTC/USDT", "1h", [str(100 + (i * 37) % 23) for i in range(400)])
MINUTES = candles("BTC/USDT", "1m", ["150", "160"])  # the latest BTC price: 160
ETH_MINUTES = candles("ETH/USDT", "1m", ["2000"])
DIP = {"indicator": "price", "symbol": "BTC/USDT", "op": "<", "value": "105"}
RULE = {"symbol": "BTC/USDT", "side": "buy", "amount": "1", "conditions": [DIP]}


@pytest.fixture(scope="module")
async def db_url(postgres_server: PostgresServer) -> str:
    return await migrated_database(postgres_server.url, "cp_tools")


@pytest.fixture
async def sessionmaker(db_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(db_url)
    yield create_sessionmaker(engine)
    await engine.dispose()


@pytest.fixture
async def pool(db_url: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_service_pool(db_url, max_size=2)
    yield pool
    await pool.close()


@dataclass(frozen=True)
class Accounts:
    alice: uuid.UUID
    bob: uuid.UUID


async def order(pool: asyncpg.Pool, user: uuid.UUID, symbol: str, side: str, **fields: Any) -> uuid.UUID:
    cid = f"cp-{uuid.uuid4().hex[:20]}"
    values = {
        "user_id": user, "venue": "paper", "symbol": symbol, "side": side, "order_type": "market",
        "intent_id": cid, "client_order_id": cid, "status": OrderStatus.INITIALIZED.value, **fields,
    }  # fmt: skip
    created, _ = await OrderRepository(pool).create(values)
    return created.id


async def filled(
    pool: asyncpg.Pool, user: uuid.UUID, symbol: str, side: str, qty: str, price: str, hour: int
) -> None:
    order_id = await order(pool, user, symbol, side, requested_qty=D(qty))
    trade = TradeReport(
        trade_id=uuid.uuid4().hex, venue_order_id="1", client_order_id=None, symbol=symbol,
        side=OrderSide(side), quantity=D(qty), price=D(price), commission=D(0), commission_asset="USDT",
        traded_at=START + timedelta(hours=hour, minutes=10),
    )  # fmt: skip
    await OrderRepository(pool).record_fills(order_id, [trade])


@pytest.fixture
async def accounts(sessionmaker: async_sessionmaker[AsyncSession], pool: asyncpg.Pool) -> Accounts:
    users = UserRepository(sessionmaker)
    alice = (await users.create(f"a{uuid.uuid4().hex[:8]}@example.com", "A")).id
    bob = (await users.create(f"b{uuid.uuid4().hex[:8]}@example.com", "B")).id
    await CandleRepository(sessionmaker).upsert([*HOURLY, *MINUTES, *ETH_MINUTES])
    # Alice: 1 BTC at 100 and 1 at 200 (average 150), 0.5 sold at 300; an open limit buy.
    await filled(pool, alice, "BTC/USDT", "buy", "1", "100", 350)
    await filled(pool, alice, "BTC/USDT", "buy", "1", "200", 360)
    await filled(pool, alice, "BTC/USDT", "sell", "0.5", "300", 370)
    await order(pool, alice, "BTC/USDT", "buy", order_type="limit", requested_qty=D("0.25"),
                limit_price=D("90"), status=OrderStatus.ACCEPTED.value)  # fmt: skip
    await PortfolioRepository(sessionmaker).save_balances(
        alice, "paper", {"USDT": (D("1000"), D("22.5")), "BTC": (D("1.5"), D(0)), "XYZ": (D("7"), D(0))}
    )
    # Bob: ETH only, and his own BTC fill in the chart's window.
    await filled(pool, bob, "ETH/USDT", "buy", "2", "1500", 380)
    await filled(pool, bob, "BTC/USDT", "buy", "3", "111", 390)
    await order(pool, bob, "ETH/USDT", "sell", order_type="limit", requested_qty=D("1"),
                limit_price=D("2500"), status=OrderStatus.ACCEPTED.value)  # fmt: skip
    await PortfolioRepository(sessionmaker).save_balances(bob, "paper", {"ETH": (D("2"), D(0))})
    return Accounts(alice, bob)


def tools(sessionmaker: async_sessionmaker[AsyncSession]) -> list[GraphTool]:
    return copilot_tools(sessionmaker, RecordingSink(), SYMBOLS, VenueName.PAPER)


async def call(
    toolset: Sequence[GraphTool], name: str, arguments: dict[str, object], user: uuid.UUID, said: str = ""
) -> ToolResult:
    (tool,) = [t for t in toolset if t.name == name]
    return await tool.call(arguments, ToolScope(str(user), "req-1", 0, (said,)))


async def test_the_factory_offers_every_tool(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    assert [t.name for t in tools(sessionmaker)] == [
        "price", "candles", "indicator", "propose_order", "portfolio", "open_orders", "create_rule",
        "list_rules", "pause_rule", "resume_rule", "delete_rule", "chart", "backtest_rule",
    ]  # fmt: skip


async def test_portfolio_shows_the_callers_balances_positions_and_pnl_only(
    sessionmaker: async_sessionmaker[AsyncSession], accounts: Accounts
) -> None:
    # Act
    result = await call(tools(sessionmaker), "portfolio", {}, accounts.alice)
    # Assert
    assert result.refusal is None
    assert result.data["balances"] == [
        {"asset": "BTC", "free": "1.5", "locked": "0", "value_usdt": "240"},
        {"asset": "USDT", "free": "1000", "locked": "22.5", "value_usdt": "1022.5"},
        {"asset": "XYZ", "free": "7", "locked": "0", "value_usdt": None},
    ]
    assert result.data["positions"] == [
        {
            "symbol": "BTC/USDT", "quantity": "1.5", "average_price": "150", "realised_pnl": "75",
            "unrealised_pnl": "15", "last_price": "160",
        }
    ]  # fmt: skip
    assert result.data["total_value_usdt"] == "1262.5" and result.data["unpriced_assets"] == ["XYZ"]
    bob = await call(tools(sessionmaker), "portfolio", {}, accounts.bob)
    assert [b["asset"] for b in bob.data["balances"]] == ["ETH"]  # type: ignore[index,union-attr]
    assert [p["symbol"] for p in bob.data["positions"]] == ["BTC/USDT", "ETH/USDT"]  # type: ignore[index,union-attr]


async def test_open_orders_are_the_callers_and_narrow_by_symbol(
    sessionmaker: async_sessionmaker[AsyncSession], accounts: Accounts
) -> None:
    toolset = tools(sessionmaker)
    mine = await call(toolset, "open_orders", {}, accounts.alice)
    (only,) = mine.data["orders"]  # type: ignore[misc]
    assert (only["symbol"], only["side"], only["limit_price"], only["quantity"]) == (  # type: ignore[index]
        "BTC/USDT", "buy", "90", "0.25",
    )  # fmt: skip
    assert (await call(toolset, "open_orders", {"symbol": "ETH/USDT"}, accounts.alice)).data["orders"] == []
    theirs = await call(toolset, "open_orders", {"symbol": "ETH/USDT"}, accounts.bob)
    assert [o["limit_price"] for o in theirs.data["orders"]] == ["2500"]  # type: ignore[index,union-attr]


async def test_a_rule_is_created_listed_paused_resumed_and_deleted_by_its_owner_only(
    sessionmaker: async_sessionmaker[AsyncSession], accounts: Accounts
) -> None:
    toolset = tools(sessionmaker)
    # Create
    created = await call(toolset, "create_rule", RULE, accounts.alice, "buy 1 BTC if it drops below 105")
    assert created.refusal is None
    rule = created.data["rule"]
    assert isinstance(rule, dict) and rule["status"] == "active"
    assert rule["description"] == "when BTC/USDT price < 105, buy 1 BTC at market"
    rule_id = {"rule_id": rule["id"]}
    stored = await RuleRepository(sessionmaker).get(uuid.UUID(str(rule["id"])))
    assert stored is not None and stored.user_id == accounts.alice and stored.venue == "paper"
    # List: Alice sees it, Bob does not
    listed = await call(toolset, "list_rules", {}, accounts.alice)
    assert [r["id"] for r in listed.data["rules"]] == [rule["id"]]  # type: ignore[index,union-attr]
    assert (await call(toolset, "list_rules", {}, accounts.bob)).data["rules"] == []
    # Bob cannot touch it: the same answer as an id that does not exist
    for name, verb in (("pause_rule", "pause"), ("resume_rule", "resume"), ("delete_rule", "delete")):
        theirs = await call(toolset, name, rule_id, accounts.bob, f"{verb} that rule")
        unknown = await call(toolset, name, {"rule_id": str(uuid.uuid4())}, accounts.bob, f"{verb} it")
        assert theirs.refusal == unknown.refusal == "no such rule"
    backtest = await call(toolset, "backtest_rule", rule_id, accounts.bob)
    assert backtest.refusal == "no such rule"
    # Pause, resume, delete by Alice
    paused = await call(toolset, "pause_rule", rule_id, accounts.alice, "pause it please")
    assert paused.data["rule"]["status"] == "paused"  # type: ignore[index,call-overload]
    again = await call(toolset, "pause_rule", rule_id, accounts.alice, "pause it")
    assert again.refusal == "the rule is paused: it cannot be made paused"
    resumed = await call(toolset, "resume_rule", rule_id, accounts.alice, "resume it")
    assert resumed.data["rule"]["status"] == "active"  # type: ignore[index,call-overload]
    deleted = await call(toolset, "delete_rule", rule_id, accounts.alice, "now delete it")
    assert deleted.data["rule"]["status"] == "deleted"  # type: ignore[index,call-overload]
    assert (await call(toolset, "list_rules", {}, accounts.alice)).data["rules"] == []
    gone = await call(toolset, "resume_rule", rule_id, accounts.alice, "resume it")
    assert gone.refusal == "no such rule"
    final = await RuleRepository(sessionmaker).get(uuid.UUID(str(rule["id"])))
    assert final is not None and final.status is RuleStatus.DELETED


async def test_backtest_of_a_stored_rule_gives_the_engines_own_numbers(
    sessionmaker: async_sessionmaker[AsyncSession], accounts: Accounts
) -> None:
    # Arrange
    book = rule_book(sessionmaker, SYMBOLS, VenueName.PAPER)
    command = OrderCommand.model_validate({**RULE, "kind": "conditional_order", "order_type": "market"})
    record = await book.create(accounts.alice, command)
    start, end = HOURLY[50].open_time, HOURLY[350].open_time
    # Act
    arguments = {"rule_id": str(record.id), "start": start.isoformat(), "end": end.isoformat()}
    result = await call(tools(sessionmaker), "backtest_rule", arguments, accounts.alice)
    # Assert
    direct = run_backtest(
        candle_arrays(HOURLY[50:350]), BacktestRule.from_command(command), "BTC/USDT", Interval.H1,
        Settings(curve_points=CURVE_POINTS),
    )  # fmt: skip
    assert result.refusal is None and direct.candles == 300 and direct.trade_count == 1
    assert {k: v for k, v in result.data.items() if k in result_view(direct)} == result_view(direct)


async def test_the_chart_marks_the_callers_trades_in_the_window_only(
    sessionmaker: async_sessionmaker[AsyncSession], accounts: Accounts
) -> None:
    # Act: the last 100 hourly candles (hours 300..399) with an RSI pane
    arguments = {"symbol": "BTC/USDT", "interval": "1h", "limit": 100, "overlays": [{"name": "rsi"}]}
    result = await call(tools(sessionmaker), "chart", arguments, accounts.alice)
    # Assert
    assert result.artifact is not None
    spec = ChartSpec.model_validate(result.artifact["chart"])
    assert len(spec.candles) == 100 and spec.candles[-1].c == HOURLY[-1].close
    assert [(m.side, m.price, m.label) for m in spec.markers] == [
        ("buy", D("100"), "buy 1 BTC @ 100"),
        ("buy", D("200"), "buy 1 BTC @ 200"),
        ("sell", D("300"), "sell 0.5 BTC @ 300"),
        ("buy", D("90"), "open limit buy 0.25 BTC"),  # placed after the last candle: at its edge
    ]
    assert spec.markers[-1].t == spec.candles[-1].t
    assert result.data["markers"] == 4
    (rsi,) = spec.overlays
    assert rsi.pane == "separate" and len(rsi.lines[0].points) == 100


async def test_an_offline_conditional_order_creates_the_users_rule(
    sessionmaker: async_sessionmaker[AsyncSession], accounts: Accounts
) -> None:
    # Arrange
    book = rule_book(sessionmaker, SYMBOLS, VenueName.PAPER)
    sink = RecordingSink()
    responder = OfflineResponder(CandleRepository(sessionmaker), sink, SYMBOLS, rules=book)
    context = ChatContext(user_id=str(accounts.bob), request_id="req-9")
    # Act
    reply = await responder.reply("buy 0.1 BTC if it dips below 30000", context)
    # Assert
    (rule,) = await book.list(accounts.bob)
    assert sink.intents == [] and rule.status is RuleStatus.ACTIVE and rule.symbol == "BTC/USDT"
    assert reply.text.startswith(
        f"Standing rule {rule.id} created: when BTC/USDT price < 30000, buy 0.1 BTC at market."
    )
    assert await book.list(accounts.alice) == []


async def test_a_rule_on_another_venue_is_no_such_rule_here(
    sessionmaker: async_sessionmaker[AsyncSession], accounts: Accounts
) -> None:
    command = OrderCommand.model_validate({**RULE, "kind": "conditional_order", "order_type": "market"})
    testnet = await rule_book(sessionmaker, SYMBOLS, VenueName.TESTNET).create(accounts.alice, command)
    paper = rule_book(sessionmaker, SYMBOLS, VenueName.PAPER)
    with pytest.raises(NoSuchRule):
        await paper.pause(accounts.alice, testnet.id)
    assert await paper.list(accounts.alice) == []


async def test_past_the_rule_cap_the_tool_and_the_offline_chat_refuse_with_the_reason(
    sessionmaker: async_sessionmaker[AsyncSession], accounts: Accounts
) -> None:
    # Arrange: a cap of one, taken by the first rule
    toolset = copilot_tools(sessionmaker, RecordingSink(), SYMBOLS, VenueName.PAPER, max_rules=1)
    said = "buy 1 BTC if it drops below 105"
    assert (await call(toolset, "create_rule", RULE, accounts.alice, said)).refusal is None
    book = rule_book(sessionmaker, SYMBOLS, VenueName.PAPER, max_rules=1)
    offline = OfflineResponder(CandleRepository(sessionmaker), RecordingSink(), SYMBOLS, rules=book)
    # Act
    by_tool = await call(toolset, "create_rule", RULE, accounts.alice, said)
    by_chat = await offline.reply(
        "buy 0.1 BTC if it dips below 30000", ChatContext(user_id=str(accounts.alice), request_id="req-10")
    )
    # Assert
    assert (
        by_tool.refusal
        == "you already have the most standing rules allowed (1 active or paused): delete one first"
    )
    assert by_chat.text.startswith(
        "I could not make that a standing rule: you already have the most standing rules"
    )
    assert len(await book.list(accounts.alice)) == 1
