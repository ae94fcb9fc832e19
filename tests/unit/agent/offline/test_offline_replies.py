"""Offline mode: the parser and indicator summaries answer when no model is configured."""

from __future__ import annotations

from decimal import Decimal

from services.agent.offline import OfflineResponder
from shared.domain.enums import IntentSource
from tests.support.agent import CONTEXT, MemoryMarket, RecordingSink, btc_market
from tests.unit.agent.graph.tool_support import SYMBOLS, unreachable_book


def responder(market: MemoryMarket, sink: RecordingSink) -> OfflineResponder:
    """Rules over a database that refuses connections: none of these replies may need one."""
    return OfflineResponder(market, sink, SYMBOLS, rules=unreachable_book())


async def test_an_order_becomes_one_parser_intent_for_the_calling_user() -> None:
    sink = RecordingSink()
    reply = await responder(btc_market(), sink).reply("buy 0.5 BTC", CONTEXT)
    (intent,) = sink.intents
    assert reply.intent == intent and intent.source is IntentSource.PARSER
    assert intent.user_id == "alice" and intent.quantity == Decimal("0.5") and intent.symbol == "BTC/USDT"
    assert "Proposed: buy 0.5 BTC at market" in reply.text


async def test_a_conditional_order_of_a_user_without_an_account_is_refused_and_sends_nothing() -> None:
    # A standing rule belongs to an account (the creation itself is tested against PostgreSQL in
    # tests/integration/agent/test_offline_rules.py); "alice" is a chat id, not an account id.
    sink = RecordingSink()
    text = "buy 0.2 BTC if RSI(14) on the 1h chart < 30"
    reply = await responder(btc_market(), sink).reply(text, CONTEXT)
    assert sink.intents == []
    assert reply.text.startswith("I could not make that a standing rule: this needs a signed-in account")


async def test_a_price_question_gets_the_price_and_an_indicator_summary() -> None:
    reply = await responder(btc_market(), RecordingSink()).reply("what is the price of BTC?", CONTEXT)
    assert reply.text.startswith("BTC/USDT: 101.5 (24h")
    assert "1h chart: RSI(14)" in reply.text and "trend" in reply.text


async def test_unparseable_text_gets_the_reason_and_examples() -> None:
    reply = await responder(btc_market(), RecordingSink()).reply("short 2 BTC", CONTEXT)
    assert "spot trading cannot short" in reply.text and "- buy 0.1 BTC" in reply.text


async def test_an_unlisted_symbol_is_refused() -> None:
    sink = RecordingSink()
    reply = await responder(btc_market(), sink).reply("buy 1 SOL", CONTEXT)
    assert sink.intents == [] and reply.text.startswith("SOL/USDT is not traded here")
