"""The shared pull consumer against a real nats-server: one key's messages in order, other keys
not held up by a slow one (overlapped mode), and nothing acknowledged that was not handled."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from uuid import uuid4

import nats
import pytest
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js.api import StreamConfig

from shared.messaging.dead_letter import DeadLetterBox
from shared.messaging.publisher import JetStreamPublisher
from shared.messaging.pull import PullConsumer
from shared.telemetry.metrics import create_registry

pytestmark = pytest.mark.nats


@pytest.fixture
async def nc(nats_url: str) -> AsyncIterator[Client]:
    client = await nats.connect(nats_url)
    yield client
    await client.close()


@pytest.fixture
async def stream(nc: Client) -> AsyncIterator[str]:
    """A stream of this test's own (``t<run>.<user>``): nothing another test published reaches it."""
    run = f"t{uuid4().hex[:8]}"
    js = nc.jetstream()
    await js.add_stream(StreamConfig(name=run.upper(), subjects=[f"{run}.>"]))
    yield run
    await js.delete_stream(run.upper())


class SlowFirst:
    """A handler that records what it handled; the first message of ``slow_key`` waits for a release."""

    def __init__(self, slow_subject: str) -> None:
        self.slow_subject = slow_subject
        self.release = asyncio.Event()
        self.handled: list[bytes] = []
        self.changed = asyncio.Event()
        self.blocked_once = False

    async def __call__(self, message: Msg) -> None:
        if message.subject == self.slow_subject and not self.blocked_once:
            self.blocked_once = True
            await self.release.wait()
        self.handled.append(message.data)
        self.changed.set()


async def handled_soon(handler: SlowFirst, expected: list[bytes], within_s: float = 10) -> None:
    async with asyncio.timeout(within_s):
        while [d for d in handler.handled if d in expected] != expected:
            handler.changed.clear()
            await handler.changed.wait()


def consumer(
    nc: Client, handler: SlowFirst, stream: str, subject: str, overlap: bool, durable: str = ""
) -> PullConsumer:
    js = nc.jetstream()
    letters = DeadLetterBox(JetStreamPublisher(js), "test", create_registry())
    return PullConsumer(
        js,
        letters,
        stream=stream.upper(),
        subject=subject,
        durable=durable or f"test-{uuid4().hex[:8]}",
        handler=handler,
        batch=4,
        overlap=overlap,
    )


async def test_overlapped_a_slow_message_holds_up_only_its_own_key(nc: Client, stream: str) -> None:
    # Arrange: two users' requests on their own subjects
    alice, bob = f"{stream}.alice", f"{stream}.bob"
    handler = SlowFirst(alice)
    pulling = consumer(nc, handler, stream, f"{stream}.*", overlap=True)
    task = asyncio.create_task(pulling.run())
    try:
        js = nc.jetstream()
        await js.publish(alice, b"alice-1")
        await asyncio.sleep(0.3)  # alice-1 is running (and blocked) before the rest arrive
        for subject, data in ((bob, b"bob-1"), (alice, b"alice-2"), (bob, b"bob-2")):
            await js.publish(subject, data)
        # Act / Assert: bob is answered while alice's first is still running...
        await handled_soon(handler, [b"bob-1", b"bob-2"])
        assert b"alice-1" not in handler.handled and b"alice-2" not in handler.handled
        # ...and alice's second waits for her first.
        handler.release.set()
        await handled_soon(handler, [b"alice-1", b"alice-2"])
        for _ in range(100):  # each is acknowledged after its handler returns
            if pulling.handled == 4:
                break
            await asyncio.sleep(0.05)
    finally:
        pulling.stopping = True
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert pulling.handled == 4


async def test_stopping_mid_message_leaves_it_unacknowledged_for_the_next_consumer(
    nc: Client, stream: str
) -> None:
    alice = f"{stream}.alice"
    handler = SlowFirst(alice)
    durable = f"test-{stream}"
    pulling = consumer(nc, handler, stream, alice, overlap=True, durable=durable)
    task = asyncio.create_task(pulling.run())
    await nc.jetstream().publish(alice, b"alice-1")
    await asyncio.sleep(0.5)
    pulling.stopping = True
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert handler.handled == [] and pulling.handled == 0
    info = await nc.jetstream().consumer_info(stream.upper(), durable)
    assert info.num_ack_pending == 1  # JetStream will deliver it again
