"""Trace context over real NATS hops: what a handler publishes continues the trace of the
message it handles, each hop a PRODUCER span and a CONSUMER span, the correlation id on all."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any, Literal
from uuid import uuid4

import nats
import pytest
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import StreamConfig

from shared.messages.base import Message, utc_now
from shared.messaging.dead_letter import DeadLetterBox
from shared.messaging.publisher import JetStreamPublisher
from shared.messaging.pull import Poison, PullConsumer
from shared.messaging.streams import ensure_streams
from shared.telemetry.metrics import create_registry
from shared.telemetry.tracing import CORRELATION_ID, new_trace
from tests.support.tracing import SpanFile, by_name, installed_tracing

pytestmark = pytest.mark.nats


class Step(Message):
    type: Literal["test.step"] = "test.step"
    n: int


@pytest.fixture
def spans(tmp_path: Path) -> Iterator[SpanFile]:
    with installed_tracing(tmp_path) as span_file:
        yield span_file


@pytest.fixture
async def js(nats_url: str) -> AsyncIterator[JetStreamContext]:
    client: Client = await nats.connect(nats_url)
    context = client.jetstream()
    await ensure_streams(context)  # the dead-letter stream
    yield context
    await client.close()


@pytest.fixture
async def stream(js: JetStreamContext) -> AsyncIterator[str]:
    run = f"t{uuid4().hex[:8]}"
    await js.add_stream(StreamConfig(name=run.upper(), subjects=[f"{run}.>"]))
    yield run
    await js.delete_stream(run.upper())


def consumer(js: JetStreamContext, stream: str, subject: str, handler: Any) -> PullConsumer:
    letters = DeadLetterBox(JetStreamPublisher(js), "test", create_registry())
    return PullConsumer(
        js, letters, stream=stream.upper(), subject=subject, durable=f"d{uuid4().hex[:8]}", handler=handler,
        max_deliver=1,
    )  # fmt: skip


async def run_until(consumers: list[PullConsumer], done: asyncio.Event) -> None:
    tasks = [asyncio.create_task(c.run()) for c in consumers]
    try:
        async with asyncio.timeout(10):
            await done.wait()
    finally:
        for c in consumers:
            c.stopping = True
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def test_a_derived_message_continues_the_trace_of_the_message_that_caused_it(
    js: JetStreamContext, stream: str, spans: SpanFile
) -> None:
    publisher = JetStreamPublisher(js)
    first, second = f"{stream}.intent.u1", f"{stream}.command.paper"
    done = asyncio.Event()

    async def derive(message: Any) -> None:  # a gate turning an intent into a command
        step = Step.from_json(message.data)
        await publisher.publish(
            second, Step(n=step.n + 1, correlation_id=step.correlation_id, ts_event=utc_now())
        )

    async def finish(_: Any) -> None:
        done.set()

    with new_trace("chat message", {}):
        await publisher.publish(first, Step(n=1, correlation_id="intent-7", ts_event=utc_now()))
    await run_until([consumer(js, stream, first, derive), consumer(js, stream, second, finish)], done)

    records = spans.read()
    [root] = by_name(records, "chat message")
    [publish_first] = by_name(records, f"publish {stream}.intent")
    [process_first] = by_name(records, f"process {stream}.intent")
    [publish_second] = by_name(records, f"publish {stream}.command")
    [process_second] = by_name(records, f"process {stream}.command")
    chain = [root, publish_first, process_first, publish_second, process_second]
    assert {s["trace_id"] for s in chain} == {root["trace_id"]}
    assert [s["parent_span_id"] for s in chain[1:]] == [s["span_id"] for s in chain[:-1]]
    assert [s["kind"] for s in chain[1:]] == ["PRODUCER", "CONSUMER", "PRODUCER", "CONSUMER"]
    assert all(s["attributes"][CORRELATION_ID] == "intent-7" for s in chain[1:])
    assert process_second["attributes"]["messaging.destination.name"] == second
    assert process_second["attributes"]["messaging.system"] == "nats"
    assert process_second["attributes"]["messaging.message.id"]


async def test_a_poisoned_message_fails_its_span_and_its_dead_letter_stays_in_the_trace(
    js: JetStreamContext, stream: str, spans: SpanFile
) -> None:
    subject = f"{stream}.intent.u1"
    done = asyncio.Event()

    async def refuse(_: Any) -> None:
        done.set()
        raise Poison("can never be handled")

    with new_trace("chat message", {}):
        await JetStreamPublisher(js).publish(
            subject, Step(n=1, correlation_id="intent-8", ts_event=utc_now())
        )
    await run_until([consumer(js, stream, subject, refuse)], done)
    await asyncio.sleep(0.2)  # the dead letter is published after the handler returned

    records = spans.read()
    [process] = by_name(records, f"process {stream}.intent")
    [letter] = by_name(records, "publish dlq")
    assert process["status"] == "ERROR" and "exception" in process["events"]
    assert letter["parent_span_id"] == process["span_id"] and letter["trace_id"] == process["trace_id"]
