"""Against a real nats-server: streams exist as specified, publishing is acknowledged and de-duplicated."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import nats
import pytest
from nats.aio.client import Client

from shared.messages import subjects
from shared.messages.market import TradeTick
from shared.messaging.dead_letter import DeadLetterBox
from shared.messaging.publisher import JetStreamPublisher, Outgoing, PublishFailed
from shared.messaging.streams import ensure_streams
from shared.telemetry.metrics import create_registry

pytestmark = pytest.mark.nats
NOW = datetime(2023, 3, 1, tzinfo=UTC)


@pytest.fixture
async def nc(nats_url: str) -> AsyncIterator[Client]:
    client = await nats.connect(nats_url)
    await ensure_streams(client.jetstream())
    yield client
    await client.close()


def tick(trade_id: int, symbol: str = "BTC/USDT") -> TradeTick:
    return TradeTick(
        message_id=TradeTick.id_for("paper", symbol, str(trade_id)),
        venue="paper",
        symbol=symbol,
        trade_id=str(trade_id),
        price="100.5",
        quantity="1",
        ts_event=NOW,
    )


async def test_ensure_streams_is_idempotent_and_applies_the_specs(nc: Client) -> None:
    js = nc.jetstream()
    assert await ensure_streams(js) == [s.name for s in subjects.ALL_STREAMS]
    info = await js.stream_info("TRADING")
    assert info.config.duplicate_window == 600
    assert info.config.subjects == ["intent.>", "risk.>", "exec.>"]


async def test_republishing_the_same_message_id_is_dropped_as_a_duplicate(nc: Client) -> None:
    publisher = JetStreamPublisher(nc.jetstream())
    message = tick(1, "ETH/USDT")
    first = await publisher.publish(subjects.trades("paper", "ETH/USDT"), message)
    second = await publisher.publish(subjects.trades("paper", "ETH/USDT"), message)
    assert not first.duplicate and second.duplicate
    assert first.seq == second.seq


async def test_a_batch_is_stored_in_order_and_read_back_intact(nc: Client) -> None:
    js = nc.jetstream()
    publisher = JetStreamPublisher(js)
    batch = [Outgoing(subjects.trades("paper", "XTEST/USDT"), tick(i, "XTEST/USDT")) for i in range(500)]
    acks = await publisher.publish_batch(batch)
    assert [a.seq for a in acks] == sorted(a.seq for a in acks)
    sub = await js.subscribe(subjects.trades("paper", "XTEST/USDT"), ordered_consumer=True)
    received = [TradeTick.from_json((await sub.next_msg(timeout=2)).data) for _ in range(500)]
    await sub.unsubscribe()
    assert [t.trade_id for t in received] == [str(i) for i in range(500)]


async def test_a_publish_to_a_subject_without_a_stream_fails_loudly(nc: Client) -> None:
    publisher = JetStreamPublisher(nc.jetstream(), timeout_s=1)
    with pytest.raises(PublishFailed):
        await publisher.publish("nostream.subject", tick(1))
    with pytest.raises(PublishFailed):
        await publisher.publish_batch([Outgoing("nostream.subject", tick(2))])


async def test_dead_letters_keep_the_original_bytes_and_the_reason(nc: Client) -> None:
    js = nc.jetstream()
    box = DeadLetterBox(JetStreamPublisher(js), "unit_test_service", create_registry())
    await box.put("md.trade.paper.BTCUSDT", b'{"price": "abc"}', "price: not a decimal")
    sub = await js.subscribe(subjects.dead_letters("unit_test_service"), ordered_consumer=True)
    letter = (await sub.next_msg(timeout=2)).data
    await sub.unsubscribe()
    assert b'"reason":"price: not a decimal"' in letter
    assert b'\\"abc\\"' in letter
