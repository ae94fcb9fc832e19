"""The gateway benchmark's clients, in processes of their own so the clients' CPU is theirs.

Two cores serve the gateway, PostgreSQL and NATS too, so the benchmark measures how much CPU its
clients spend and says whether they, not the gateway, set the pace. Each worker process talks to
the benchmark over a pipe: it sends ``"ready"`` once connected, and answers the commands below.
A worker that fails sends ``("error", traceback)`` instead, which the benchmark raises.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import multiprocessing
import random
import sys
import time
import traceback
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any, Literal

from cryptopulse.bench.gateway_http import HttpConnection

READY = "ready"
GO = "go"
COLLECT = "collect"
STOP = "stop"
CONNECT_AT_ONCE = 50
"""Connections a worker opens at a time: 250 at once overflow the listen backlog of a busy server."""


@dataclass(frozen=True, slots=True)
class RestPlan:
    """What one REST worker does: each client cycles through its prepared requests."""

    host: str
    port: int
    clients: tuple[tuple[tuple[int, bytes], ...], ...]
    """Per client, the requests it repeats in order, each with the index of its route."""
    routes: int
    duration_s: float


@dataclass(frozen=True, slots=True)
class OpenRestPlan:
    """What one open-loop REST worker does: each client sends its prepared requests in turn at
    scheduled times, ``pace`` a second on average, whether or not the server keeps up."""

    host: str
    port: int
    clients: tuple[tuple[tuple[int, bytes], ...], ...]
    routes: int
    duration_s: float
    pace: float
    """Requests a second each client is scheduled to send."""
    poisson: bool
    """Exponential gaps between a client's sends (independent arrivals); else a fixed gap."""
    seed: int


def schedule(pace: float, duration_s: float, *, poisson: bool, rng: random.Random) -> list[float]:
    """A client's send times in seconds from the start, all before ``duration_s``: the first at a
    random point of the first gap (so clients do not fire together), then ``1 / pace`` apart on
    average (exponential gaps when ``poisson``, else exactly)."""
    if pace <= 0 or duration_s <= 0:
        raise ValueError(f"expected a positive pace and duration, were {pace} and {duration_s}")
    gap = 1 / pace
    times: list[float] = []
    at = rng.uniform(0, gap)
    while at < duration_s:
        times.append(at)
        at += rng.expovariate(pace) if poisson else gap
    return times


@dataclass(frozen=True, slots=True)
class RestReport:
    samples: tuple[tuple[float, ...], ...]
    """Per route, the seconds each request took, answered 200 or not."""
    errors: int
    """Requests answered other than 200."""
    first_error: str | None
    cpu_s: float
    wall_s: float


@dataclass(frozen=True, slots=True)
class FanOutPlan:
    """What one fan-out worker does: ``clients`` subscribers of the benchmark's ticks."""

    kind: Literal["websocket", "nats"]
    url: str
    """The gateway's ``/api/ws`` URL with the subscription in its query, or the NATS server's."""
    subject: str
    clients: int


@dataclass(frozen=True, slots=True)
class FanOutReport:
    received: tuple[tuple[tuple[str, float], ...], ...]
    """Per client, each trade id received and when (``time.time()``), since the last collect."""
    cpu_s: float
    wall_s: float


# -- THE WORKERS (in their own processes) -----------------------------------------------------------


def _main(pipe: Connection, body: Callable[[Connection], Coroutine[Any, Any, None]]) -> None:
    try:
        asyncio.run(body(pipe))
    except Exception:
        with contextlib.suppress(OSError):  # the benchmark may have stopped listening already
            pipe.send(("error", traceback.format_exc()))
        sys.exit(1)


async def _command(pipe: Connection) -> Any:
    return await asyncio.to_thread(pipe.recv)


async def _opened(count: int, open_one: Callable[[], Awaitable[Any]]) -> list[Any]:
    gate = asyncio.Semaphore(CONNECT_AT_ONCE)

    async def one() -> Any:
        async with gate:
            return await open_one()

    return list(await asyncio.gather(*(one() for _ in range(count))))


async def _rest(pipe: Connection, plan: RestPlan) -> None:
    connections = await _opened(len(plan.clients), lambda: HttpConnection.open(plan.host, plan.port))
    samples: list[list[float]] = [[] for _ in range(plan.routes)]
    errors: list[str] = []

    async def warm_up(connection: HttpConnection, requests: Sequence[tuple[int, bytes]]) -> None:
        await connection.send(requests[0][1])  # opens the connection's path; its answer is not measured

    async def client(connection: HttpConnection, requests: Sequence[tuple[int, bytes]], until: float) -> None:
        n = 0
        while time.perf_counter() < until:
            route, request = requests[n % len(requests)]
            n += 1
            started = time.perf_counter()
            status, body = await connection.send(request)
            elapsed = time.perf_counter() - started
            samples[route].append(elapsed)  # a failed request was waited for too
            if status != 200:
                errors.append(f"{status} {body[:200]!r}")

    await asyncio.gather(*(warm_up(c, r) for c, r in zip(connections, plan.clients, strict=True)))
    pipe.send(READY)
    if await _command(pipe) != GO:
        return
    cpu, wall = time.process_time(), time.perf_counter()
    until = wall + plan.duration_s
    await asyncio.gather(*(client(c, r, until) for c, r in zip(connections, plan.clients, strict=True)))
    report = RestReport(
        samples=tuple(tuple(s) for s in samples),
        errors=len(errors),
        first_error=errors[0] if errors else None,
        cpu_s=time.process_time() - cpu,
        wall_s=time.perf_counter() - wall,
    )
    for connection in connections:
        await connection.close()
    pipe.send(report)


async def _open_rest(pipe: Connection, plan: OpenRestPlan) -> None:
    connections = await _opened(len(plan.clients), lambda: HttpConnection.open(plan.host, plan.port))
    samples: list[list[float]] = [[] for _ in range(plan.routes)]
    errors: list[str] = []
    rng = random.Random(plan.seed)
    schedules = [schedule(plan.pace, plan.duration_s, poisson=plan.poisson, rng=rng) for _ in plan.clients]

    async def client(
        connection: HttpConnection,
        requests: Sequence[tuple[int, bytes]],
        times: Sequence[float],
        start: float,
    ) -> None:
        for n, offset in enumerate(times):
            due = start + offset
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            route, request = requests[n % len(requests)]
            status, body = await connection.send(request)
            # From when it was due, not when it went: a request held up behind a slow answer on the
            # same connection waited too (no coordinated omission).
            samples[route].append(time.perf_counter() - due)
            if status != 200:
                errors.append(f"{status} {body[:200]!r}")

    await asyncio.gather(*(c.send(r[0][1]) for c, r in zip(connections, plan.clients, strict=True)))
    pipe.send(READY)
    if await _command(pipe) != GO:
        return
    cpu, wall = time.process_time(), time.perf_counter()
    await asyncio.gather(
        *(client(c, r, t, wall) for c, r, t in zip(connections, plan.clients, schedules, strict=True))
    )
    report = RestReport(
        samples=tuple(tuple(s) for s in samples),
        errors=len(errors),
        first_error=errors[0] if errors else None,
        cpu_s=time.process_time() - cpu,
        wall_s=time.perf_counter() - wall,
    )
    for connection in connections:
        await connection.close()
    pipe.send(report)


def open_rest_worker(pipe: Connection, plan: OpenRestPlan) -> None:
    """Open the clients' connections, warm each up, say ready; on ``go``, send every client's
    requests at their scheduled times for the plan's duration and send a ``RestReport`` whose
    samples count from each request's scheduled time."""
    _main(pipe, lambda p: _open_rest(p, plan))


def rest_worker(pipe: Connection, plan: RestPlan) -> None:
    """Open the clients' connections, warm each up with its first request, say ready; on
    ``go``, run the closed loops for the plan's duration and send a ``RestReport``."""
    _main(pipe, lambda p: _rest(p, plan))


def trade_ids_in(frame: str | bytes) -> list[str]:
    """The trade ids a gateway frame carries, in order: a ``trades`` batch's, a single ``trade``'s,
    or none (candles, pongs)."""
    event = json.loads(frame)
    if event["type"] == "trades":
        return [trade["trade_id"] for trade in event["trades"]]
    if event["type"] == "trade":
        return [event["trade_id"]]
    return []


async def _websocket_client(url: str, inbox: list[tuple[str, float]]) -> Callable[[], Awaitable[None]]:
    from websockets.asyncio.client import connect

    socket = await connect(url, max_queue=None)
    while json.loads(await socket.recv())["type"] != "subscribed":
        pass

    async def listen() -> None:
        async for frame in socket:
            at = time.time()  # every trade of a batch arrived with its frame
            inbox.extend((trade_id, at) for trade_id in trade_ids_in(frame))

    listening = asyncio.create_task(listen())

    async def close() -> None:
        listening.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await listening
        await socket.close()

    return close


async def _nats_client(
    url: str, subject: str, inbox: list[tuple[str, float]]
) -> Callable[[], Awaitable[None]]:
    import nats
    from nats.aio.msg import Msg

    client = await nats.connect(url)

    async def on_message(message: Msg) -> None:
        inbox.append((json.loads(message.data)["trade_id"], time.time()))

    await client.subscribe(subject, cb=on_message)
    await client.flush()
    return client.close


async def _fan_out(pipe: Connection, plan: FanOutPlan) -> None:
    inboxes: list[list[tuple[str, float]]] = [[] for _ in range(plan.clients)]
    boxes = iter(inboxes)

    async def open_one() -> Callable[[], Awaitable[None]]:
        inbox = next(boxes)
        if plan.kind == "websocket":
            return await _websocket_client(plan.url, inbox)
        return await _nats_client(plan.url, plan.subject, inbox)

    closers = await _opened(plan.clients, open_one)
    pipe.send(READY)
    cpu, wall = time.process_time(), time.perf_counter()
    while (command := await _command(pipe)) == COLLECT:
        received = tuple(tuple(inbox) for inbox in inboxes)
        for inbox in inboxes:
            inbox.clear()
        now_cpu, now_wall = time.process_time(), time.perf_counter()
        pipe.send(FanOutReport(received, now_cpu - cpu, now_wall - wall))
        cpu, wall = now_cpu, now_wall
    await asyncio.gather(*(close() for close in closers))
    pipe.send(command)


def fan_out_worker(pipe: Connection, plan: FanOutPlan) -> None:
    """Connect the plan's subscribers, say ready; on ``collect`` send a ``FanOutReport`` of what
    arrived since the last one; on ``stop`` close them and say ``stop``."""
    _main(pipe, lambda p: _fan_out(p, plan))


# -- THE BENCHMARK'S SIDE ---------------------------------------------------------------------------


class Workers:
    """Worker processes (spawned: nothing of the benchmark's state is inherited), one pipe each."""

    def __init__(self, target: Callable[[Connection, Any], None], plans: Sequence[object]) -> None:
        context = multiprocessing.get_context("spawn")
        self._pipes: list[Connection] = []
        self._processes: list[BaseProcess] = []
        for plan in plans:
            ours, theirs = context.Pipe()
            process = context.Process(target=target, args=(theirs, plan), daemon=True)
            process.start()
            theirs.close()
            self._pipes.append(ours)
            self._processes.append(process)

    def send(self, command: str) -> None:
        for pipe in self._pipes:
            pipe.send(command)

    def receive(self, timeout_s: float = 120.0) -> list[Any]:
        """One message from every worker; raise what a worker raised, or on silence."""
        answers = []
        deadline = time.monotonic() + timeout_s
        for pipe, process in zip(self._pipes, self._processes, strict=True):
            if not pipe.poll(max(0.0, deadline - time.monotonic())):
                raise TimeoutError(f"client worker {process.pid} silent for {timeout_s:.0f}s")
            answer = pipe.recv()
            if isinstance(answer, tuple) and answer and answer[0] == "error":
                raise RuntimeError(f"client worker {process.pid} failed:\n{answer[1]}")
            answers.append(answer)
        return answers

    async def areceive(self, timeout_s: float = 120.0) -> list[Any]:
        """``receive`` without blocking the benchmark's event loop."""
        return await asyncio.to_thread(self.receive, timeout_s)

    def close(self) -> None:
        for pipe in self._pipes:
            pipe.close()
        for process in self._processes:
            process.join(10)
            if process.is_alive():
                process.kill()
                process.join()

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
