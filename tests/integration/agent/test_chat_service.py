"""The agent's chat service as deployed (``create_app`` on real NATS and PostgreSQL): requests
answered as streamed replies, exactly one intent per request even when it is delivered twice,
the model's tokens streamed, offline answers when the model fails or the budget is spent, bad
requests dead-lettered, and the gate's decisions told in the conversation that asked."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pytest
from pydantic import SecretStr

from cryptopulse.servers.nats import NatsServer
from cryptopulse.servers.postgres import PostgresServer
from services.agent.chat.consumers import CHAT_DURABLE
from services.agent.chat.replies import chunk_id
from services.agent.chat.responder import BUDGET_SPENT, MODEL_FAILED, NO_ACCOUNT, NO_MODEL, offline_notice
from shared.config.settings import LlmProvider
from shared.domain.enums import DecisionOutcome, IntentSource
from shared.messages import subjects
from shared.messages.risk import RiskDecisionMade
from tests.integration.agent.chat_support import (
    BOB,
    USER,
    Bus,
    assert_streamed_in_order,
    connected_bus,
    migrated_database,
    running_agent,
    text_of,
)
from tests.support.openai_server import Reply, scripted_openai
from tests.support.scrape import scrape

pytestmark = [pytest.mark.postgres, pytest.mark.nats]


@pytest.fixture(scope="module")
async def chat_db(postgres_server: PostgresServer) -> str:
    return await migrated_database(postgres_server, "cp_chat")


@pytest.fixture
async def bus(fresh_nats: NatsServer) -> AsyncIterator[Bus]:
    """A NATS of the test's own, so the agent's durable consumers start from empty streams."""
    async for connected in connected_bus(fresh_nats.url):
        yield connected


def local_model(url: str) -> LlmProvider:
    return LlmProvider(name="local", base_url=url, model="m", api_key=SecretStr("sk-test"), timeout_s=5)


async def test_an_offline_request_is_answered_in_ordered_chunks_ending_with_final(
    bus: Bus, fresh_nats: NatsServer, chat_db: str
) -> None:
    # Arrange
    request = bus.request("short 2 BTC", conversation_id="c9")
    with running_agent(fresh_nats.url, chat_db) as agent:
        # Act
        await bus.send(subjects.chat_requests(USER), request)
        chunks = await bus.reply_to(request.message_id)
        async with httpx.AsyncClient() as http:
            readiness = (await http.get(f"{agent}/readyz")).json()
        metrics = await scrape(agent)
    # Assert
    assert len(chunks) > 1
    assert_streamed_in_order(chunks)
    assert {(c.user_id, c.conversation_id, c.request_id) for c in chunks} == {
        (USER, "c9", request.message_id)
    }
    assert [c.message_id for c in chunks] == [chunk_id(request.message_id, i) for i in range(len(chunks))]
    text = text_of(chunks)
    assert text.startswith(offline_notice(NO_MODEL) + "\n")
    assert "spot trading cannot short" in text and "- buy 0.1 BTC" in text
    assert readiness["ready"] is True and readiness["checks"]["chat"] is True
    assert metrics.value("agent_chat_replies_total", source="offline") == 1
    assert metrics.value("agent_chat_replies_total", source="model") == 0
    assert metrics.value("agent_offline_reasons_total", reason="no_model") == 1
    assert metrics.value("agent_offline_reasons_total", reason="budget") == 0


async def test_one_users_requests_are_answered_in_order_without_interleaving(
    bus: Bus, fresh_nats: NatsServer, chat_db: str
) -> None:
    # Arrange
    asked = [bus.request(text) for text in ("short 1 BTC", "cancel all orders", "short 2 ETH")]
    other = bus.request("cancel all orders", user_id=BOB)
    with running_agent(fresh_nats.url, chat_db, agent_chat_chunk_chars=20):
        # Act
        for request in asked:
            await bus.send(subjects.chat_requests(USER), request)
        await bus.send(subjects.chat_requests(BOB), other)
        await bus.reply_to(asked[-1].message_id)
        replies = await bus.replies()
        bobs = await bus.reply_to(other.message_id, user_id=BOB)
    # Assert: each reply complete before the next begins, in the order asked
    order = [r.request_id for r in replies]
    assert order == sorted(order, key=[a.message_id for a in asked].index)
    for request in asked:
        assert_streamed_in_order([r for r in replies if r.request_id == request.message_id])
    assert {r.user_id for r in bobs} == {BOB}


async def test_an_order_delivered_twice_publishes_one_intent_and_one_reply(
    bus: Bus, fresh_nats: NatsServer, chat_db: str
) -> None:
    # Arrange: the same request stored twice, as a redelivery would hand it over again
    request = bus.request("buy 0.01 BTC")
    subject = subjects.chat_requests(USER)
    with running_agent(fresh_nats.url, chat_db):
        # Act
        for copy in ("first", "second"):
            await bus.js.publish(subject, request.to_json(), headers={"Nats-Msg-Id": copy})
        await bus.all_acknowledged(CHAT_DURABLE, subjects.CHAT.name, 2)
        chunks = await bus.reply_to(request.message_id)
    # Assert
    (intent,) = await bus.intents()
    assert (intent.user_id, intent.symbol, intent.quantity) == (USER, "BTC/USDT", Decimal("0.01"))
    assert intent.source is IntentSource.PARSER
    assert_streamed_in_order(chunks)
    assert intent.intent_id in text_of(chunks)


async def test_the_models_streamed_tokens_reach_the_reply_in_order(
    bus: Bus, fresh_nats: NatsServer, chat_db: str
) -> None:
    # Arrange
    pieces = ["Bitcoin ", "is ", "trading ", "near ", "its ", "weekly ", "high; ", "RSI ", "is ", "neutral."]
    with scripted_openai([Reply(content=pieces)]) as (server, url):
        request = bus.request("How is BTC doing?")
        with running_agent(fresh_nats.url, chat_db, [local_model(url)], agent_chat_chunk_chars=12) as agent:
            # Act
            await bus.send(subjects.chat_requests(USER), request)
            chunks = await bus.reply_to(request.message_id)
            metrics = await scrape(agent)
    # Assert
    assert metrics.value("agent_chat_replies_total", source="model") == 1
    assert metrics.value("llm_requests_total", provider="local", outcome="answered") == 1
    assert metrics.value("llm_request_seconds_count", provider="local") == 1
    assert metrics.value("llm_errors_total", provider="local", kind="server") == 0  # known: from zero
    assert_streamed_in_order(chunks)
    assert text_of(chunks) == "".join(pieces)
    assert len(chunks) >= len("".join(pieces)) // 12
    assert [body.get("stream") for body in server.requests] == [True]


async def test_a_failing_model_falls_back_to_the_offline_answer_with_a_notice(
    bus: Bus, fresh_nats: NatsServer, chat_db: str
) -> None:
    # Arrange
    with scripted_openai([Reply(status=503)]) as (server, url):
        request = bus.request("buy 0.02 ETH")
        with running_agent(fresh_nats.url, chat_db, [local_model(url)]) as agent:
            # Act
            await bus.send(subjects.chat_requests(USER), request)
            chunks = await bus.reply_to(request.message_id)
            metrics = await scrape(agent)
    # Assert
    assert metrics.value("agent_offline_reasons_total", reason="model_failed") == 1
    assert metrics.value("llm_errors_total", provider="local", kind="server") == 1
    assert metrics.value("llm_fallbacks_total", provider="local") == 1
    assert len(server.requests) == 1
    assert_streamed_in_order(chunks)
    assert text_of(chunks).startswith(offline_notice(MODEL_FAILED) + "\nProposed: buy 0.02 ETH at market")
    (intent,) = await bus.intents()
    assert intent.source is IntentSource.PARSER and intent.quantity == Decimal("0.02")


async def test_a_spent_budget_answers_offline_without_calling_the_model(
    bus: Bus, fresh_nats: NatsServer, chat_db: str
) -> None:
    with scripted_openai([Reply(content="never sent")]) as (server, url):
        request = bus.request("cancel all orders")
        with running_agent(fresh_nats.url, chat_db, [local_model(url)], agent_daily_token_budget=0) as agent:
            await bus.send(subjects.chat_requests(USER), request)
            chunks = await bus.reply_to(request.message_id)
            metrics = await scrape(agent)
    assert metrics.value("agent_offline_reasons_total", reason="budget") == 1
    assert server.requests == []
    assert text_of(chunks).startswith(offline_notice(BUDGET_SPENT) + "\nUnderstood: cancel every open order")


async def test_a_chat_without_an_account_answers_offline_without_calling_the_model(
    bus: Bus, fresh_nats: NatsServer, chat_db: str
) -> None:
    guest = "guest-without-account"  # a valid subject token, but no users.id to count model use against
    with scripted_openai([Reply(content="never sent")]) as (server, url):
        request = bus.request("cancel all orders", user_id=guest)
        with running_agent(fresh_nats.url, chat_db, [local_model(url)]) as agent:
            await bus.send(subjects.chat_requests(guest), request)
            chunks = await bus.reply_to(request.message_id, user_id=guest)
            metrics = await scrape(agent)
    assert metrics.value("agent_offline_reasons_total", reason="no_account") == 1
    assert server.requests == []
    assert text_of(chunks).startswith(offline_notice(NO_ACCOUNT) + "\n")


async def test_invalid_json_and_a_user_mismatch_are_dead_lettered_and_nothing_is_published(
    bus: Bus, fresh_nats: NatsServer, chat_db: str
) -> None:
    # Arrange
    impostor = bus.request("buy 1 BTC", user_id="mallory")
    valid = bus.request("cancel all orders")
    with running_agent(fresh_nats.url, chat_db):
        # Act: both bad ones come before a valid request of the same user (answered in order)
        await bus.js.publish(subjects.chat_requests(USER), b'{"user_id": "' + USER.encode() + b'", "text": ')
        await bus.send(subjects.chat_requests(USER), impostor)
        await bus.send(subjects.chat_requests(USER), valid)
        await bus.reply_to(valid.message_id)
        letters = await bus.dead_letters(2)
    # Assert
    assert [letter.subject for letter in letters] == [subjects.chat_requests(USER)] * 2
    assert letters[0].reason.startswith("invalid chat request") and "Invalid JSON" in letters[0].reason
    assert "'mallory'" in letters[1].reason and letters[1].payload == impostor.to_json().decode()
    assert {r.request_id for r in await bus.replies()} == {valid.message_id}
    assert await bus.replies("mallory") == [] and await bus.intents() == await bus.intents("mallory") == []


async def test_a_decision_is_explained_in_the_conversation_that_asked_for_the_trade(
    bus: Bus, fresh_nats: NatsServer, chat_db: str
) -> None:
    # Arrange
    request = bus.request("buy 0.01 BTC", conversation_id="c7")
    expires = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    with running_agent(fresh_nats.url, chat_db):
        await bus.send(subjects.chat_requests(USER), request)
        await bus.reply_to(request.message_id)
        (intent,) = await bus.intents()
        pending = RiskDecisionMade(
            intent_id=intent.intent_id, user_id=USER, outcome=DecisionOutcome.PENDING,
            digest="a" * 64, expires_at=expires, correlation_id=intent.intent_id,
            ts_event=datetime.now(UTC),
        )  # fmt: skip
        ruled = RiskDecisionMade(
            intent_id="rule-42-1", user_id=USER, outcome=DecisionOutcome.DENIED, check="max_notional",
            reason="notional 90000 above the limit 10000", ts_event=datetime.now(UTC) + timedelta(seconds=1),
        )  # fmt: skip
        # Act
        for decision in (pending, ruled):
            await bus.send(subjects.decisions(USER), decision)
        (told,) = await bus.reply_to(pending.message_id)
        (other,) = await bus.reply_to(ruled.message_id)
    # Assert
    assert (told.conversation_id, told.final, told.correlation_id) == ("c7", True, intent.intent_id)
    assert told.text == (
        "Waiting for your approval: buy 0.01 BTC/USDT at market. "
        "Approve or reject it on the approvals page before 2030-01-02 03:04:05 UTC."
    )
    assert other.conversation_id == "default"
    assert other.text == (
        "Denied by the max_notional check: intent rule-42-1: notional 90000 above the limit 10000."
    )
