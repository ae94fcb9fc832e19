"""Raw HTTP round trips to the paper exchange: the floor under any order the executor places there."""

from __future__ import annotations

import asyncio
import contextlib
import time

import httpx

from cryptopulse.bench.latency import Latency, closed_loop


async def http_round_trip(
    base_url: str, *, in_flight: int, count: int, path: str = "/api/v3/ping"
) -> Latency:
    """``GET path`` round trips over kept-alive connections, one client per request in flight.

    ``/api/v3/ping`` does no work on the server, so this is the HTTP stack of both ends and the
    loopback, which every REST call of the executor pays too. One client each, not one shared
    pool: httpx looks connections up one by one, and at 100 in flight that lookup, not the
    exchange, would be what is measured.
    """
    async with contextlib.AsyncExitStack() as clients:
        idle: asyncio.Queue[httpx.AsyncClient] = asyncio.Queue()
        for _ in range(in_flight):
            client = httpx.AsyncClient(base_url=base_url, limits=httpx.Limits(max_connections=1), timeout=10)
            idle.put_nowait(await clients.enter_async_context(client))

        async def round_trip(_: int) -> float:
            client = await idle.get()
            try:
                started = time.perf_counter()
                (await client.get(path)).raise_for_status()
                return time.perf_counter() - started
            finally:
                idle.put_nowait(client)

        await closed_loop(round_trip, in_flight=in_flight, count=2 * in_flight)  # open the connections
        return await closed_loop(round_trip, in_flight=in_flight, count=count)
