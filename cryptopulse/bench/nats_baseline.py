"""Raw NATS on this machine: the rates the feed and the round trips orders are compared with."""

from __future__ import annotations

import asyncio
import time

import nats
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.errors import NoRespondersError

from cryptopulse.bench.latency import Latency, closed_loop, timed

_PENDING = 64 * 1024 * 1024


async def _counting_subscriber(url: str, subject: str, count: int) -> tuple[Client, asyncio.Event]:
    """Connect a subscriber on ``subject`` whose event is set once ``count`` messages arrived."""
    subscriber = await nats.connect(url, pending_size=_PENDING)
    done = asyncio.Event()
    received = 0

    async def on_message(_: object) -> None:
        nonlocal received
        received += 1
        if received == count:
            done.set()

    await subscriber.subscribe(subject, cb=on_message, pending_msgs_limit=count + 1)
    await subscriber.flush()
    return subscriber, done


async def core_publish_subscribe(url: str, payload: bytes, count: int) -> float:
    """Messages per second from a core-NATS publisher to a subscriber on another connection."""
    subject = "bench.raw.core"
    subscriber, done = await _counting_subscriber(url, subject, count)
    publisher = await nats.connect(url, pending_size=_PENDING)
    started = time.perf_counter()
    for _ in range(count):
        await publisher.publish(subject, payload)
    await publisher.flush()
    await asyncio.wait_for(done.wait(), 120)
    elapsed = time.perf_counter() - started
    await publisher.close()
    await subscriber.close()
    return count / elapsed


async def jetstream_publish_subscribe(url: str, payload: bytes, count: int, batch: int = 500) -> float:
    """Messages per second published to JetStream with acks (pipelined) and received by a subscriber."""
    from nats.js.api import StreamConfig

    publisher = await nats.connect(url, pending_size=_PENDING)
    js = publisher.jetstream()
    await js.add_stream(StreamConfig(name="BENCH_RAW", subjects=["bench.raw.js"]))
    subscriber, done = await _counting_subscriber(url, "bench.raw.js", count)
    started = time.perf_counter()
    for first in range(0, count, batch):
        futures = [
            await js.publish_async("bench.raw.js", payload, headers={"Nats-Msg-Id": f"m{i}"})
            for i in range(first, min(count, first + batch))
        ]
        await asyncio.gather(*futures)
    await asyncio.wait_for(done.wait(), 120)
    elapsed = time.perf_counter() - started
    await js.delete_stream("BENCH_RAW")
    await publisher.close()
    await subscriber.close()
    return count / elapsed


async def request_reply(url: str, payload: bytes, *, in_flight: int, count: int) -> Latency:
    """Core-NATS request → reply round trips to a responder on another connection of this process.

    The floor under any command → event round trip over NATS: two hops through the server and
    nothing else (no JetStream storage, no database, no exchange).
    """
    subject = "bench.raw.echo"
    responder = await nats.connect(url, pending_size=_PENDING)
    requester = await nats.connect(url, pending_size=_PENDING)
    try:

        async def echo(message: Msg) -> None:
            await message.respond(message.data)

        await responder.subscribe(subject, cb=echo)
        await responder.flush()
        await requester.flush()
        await _first_answer(requester, subject, payload)
        for _ in range(20):  # warm-up: the reply inbox subscription, buffers
            await requester.request(subject, payload, timeout=5)
        return await closed_loop(
            timed(lambda: requester.request(subject, payload, timeout=10)), in_flight=in_flight, count=count
        )
    finally:
        await requester.close()
        await responder.close()


async def _first_answer(requester: Client, subject: str, payload: bytes, within_s: float = 5.0) -> None:
    # A fresh connection's first request now and then meets "no responders" although the
    # responder's subscription was flushed (about 1 in 40 here); the next one is answered.
    deadline = time.monotonic() + within_s
    while True:
        try:
            await requester.request(subject, payload, timeout=5)
            return
        except NoRespondersError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.01)
