"""Against a real nats-server: a model's proposal lands once on ``intent.<user>``, de-duplicated on retry."""

from __future__ import annotations

import nats
import pytest

from services.agent.graph.sink import JetStreamIntentSink
from shared.messages import subjects
from shared.messages.intents import TradeIntentCreated
from shared.messaging.publisher import JetStreamPublisher
from shared.messaging.streams import ensure_streams
from tests.support.agent import CONTEXT
from tests.support.openai_server import Call, Reply, scripted_openai
from tests.unit.agent.graph.support import ask, graph_at

pytestmark = pytest.mark.nats


async def test_a_proposal_is_published_once_on_the_users_intent_subject(nats_url: str) -> None:
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        await ensure_streams(js)
        sink = JetStreamIntentSink(JetStreamPublisher(js))
        order = {"symbol": "BTC/USDT", "side": "buy", "order_type": "market", "quantity": "0.25"}
        for _ in range(2):  # the same request answered twice (a redelivery) derives the same id
            script = [Reply(tool_calls=[Call("propose_order", order)]), Reply(content="ok")]
            with scripted_openai(script) as (_, url):
                await ask(graph_at(url, sink), "buy 0.25 BTC", CONTEXT)
        sub = await js.pull_subscribe(subjects.intents("alice"), durable=None)
        messages = await sub.fetch(10, timeout=2)
        intents = [TradeIntentCreated.from_json(m.data) for m in messages]
    finally:
        await nc.close()
    assert len(intents) == 1
    assert intents[0].user_id == "alice" and str(intents[0].quantity) == "0.25"
    assert messages[0].headers is not None and messages[0].headers["Nats-Msg-Id"] == intents[0].intent_id
