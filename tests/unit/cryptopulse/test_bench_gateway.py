"""The gateway benchmark's pure parts: fan-out lag and drops, the HTTP client's reading of an
answer, the request mix, the table and its verdicts, and the CLI choosing it. Nothing here times
anything."""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import random

import pytest

from cryptopulse.bench import run
from cryptopulse.bench.gateway import ROUTES, mix_requests, split
from cryptopulse.bench.gateway_clients import schedule, trade_ids_in
from cryptopulse.bench.gateway_figures import (
    Arrivals,
    Cores,
    FanOutPhase,
    GatewayResult,
    Lag,
    RestPhase,
    fan_out_verdict,
    gateway_table,
    lag_of,
    rest_verdict,
)
from cryptopulse.bench.gateway_http import HttpConnection, HttpError, get_request, parse_head
from cryptopulse.bench.latency import Latency
from cryptopulse.cli import main


def test_lag_is_receive_minus_publish_over_every_delivery_with_drops_and_repeats_counted() -> None:
    sent = {"a": 100.0, "b": 101.0}
    received = [
        [("a", 100.010), ("b", 101.020)],
        [("a", 100.030), ("a", 100.040), ("stale-1", 99.0)],  # "b" lost, "a" twice, a stranger ignored
    ]
    lag = lag_of(sent, received)
    assert (lag.expected, lag.delivered, lag.missing, lag.duplicates) == (4, 3, 1, 1)
    assert lag.p50_ms == pytest.approx(20.0) and lag.p99_ms == pytest.approx(30.0)
    assert lag.max_ms == pytest.approx(30.0)


def test_a_websocket_client_takes_every_trade_of_a_batch_in_order_and_single_trades_too() -> None:
    batch = '{"type": "trades", "symbol": "BTC/USDT", "trades": [{"trade_id": "7"}, {"trade_id": "8"}]}'
    assert trade_ids_in(batch) == ["7", "8"]
    assert trade_ids_in('{"type": "trade", "symbol": "BTC/USDT", "trade_id": "9"}') == ["9"]
    assert trade_ids_in(b'{"type": "candle", "symbol": "BTC/USDT"}') == []


def test_the_table_says_how_the_gateway_batched_and_that_the_wait_counts_in_the_lag() -> None:
    batched = gateway_table(result())
    assert "one `trades` frame per client, at most one per\n50 ms" in batched
    assert "lag includes its wait for the flush" in batched
    unbatched = gateway_table(dataclasses.replace(result(), tick_flush_ms=0))
    assert "one `trade` frame per trade per client (`CRYPTOPULSE_GATEWAY_TICK_FLUSH_MS=0`)" in unbatched


def test_lag_of_nothing_received_is_infinite_and_all_missing() -> None:
    lag = lag_of({"a": 1.0}, [[], []])
    assert lag.missing == 2 and lag.p99_ms == float("inf")


def test_a_response_head_gives_its_status_and_length() -> None:
    head = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 17\r\n\r\n"
    assert parse_head(head) == (200, 17)
    assert parse_head(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n") == (503, 0)


@pytest.mark.parametrize(
    ("head", "reason"),
    [
        (b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n", "Transfer-Encoding"),
        (b"HTTP/1.1 200 OK\r\nserver: x\r\n\r\n", "Content-Length header"),
        (b"HTTP/1.1 200 OK\r\ncontent-length: ten\r\n\r\n", "numeric Content-Length"),
        (b"SSH-2.0-OpenSSH\r\n\r\n", "status line"),
    ],
)
def test_an_answer_the_client_cannot_read_is_refused_with_the_reason(head: bytes, reason: str) -> None:
    with pytest.raises(HttpError, match=reason):
        parse_head(head)


async def _served(answers: list[bytes], requests: int) -> tuple[list[tuple[int, bytes]], int]:
    """What a client reads from a server that writes ``answers`` on each connection, then closes it."""

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        for answer in answers:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(answer)
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    connection = await HttpConnection.open("127.0.0.1", port)
    try:
        request = get_request("127.0.0.1", port, "/x")
        return [await connection.send(request) for _ in range(requests)], connection.reopened
    finally:
        await connection.close()
        server.close()
        await server.wait_closed()


def _answer(body: bytes) -> bytes:
    return b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n%s" % (len(body), body)


def test_a_kept_alive_connection_reads_answers_by_length_and_reopens_once_the_server_closed_it() -> None:
    answers, reopened = asyncio.run(_served([_answer(b'{"a":1}'), _answer(b"[]")], requests=3))
    assert answers == [(200, b'{"a":1}'), (200, b"[]"), (200, b'{"a":1}')]
    assert reopened == 1


def test_a_connection_closed_mid_answer_is_an_error_not_a_retry() -> None:
    with pytest.raises(HttpError, match="closed"):
        asyncio.run(_served([b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nabc"], requests=1))


def test_a_request_is_a_kept_alive_get_with_its_headers() -> None:
    request = get_request("127.0.0.1", 8000, "/api/pnl", {"Authorization": "Bearer t"})
    assert request == b"GET /api/pnl HTTP/1.1\r\nHost: 127.0.0.1:8000\r\nAuthorization: Bearer t\r\n\r\n"


def test_clients_are_dealt_round_robin_over_the_processes() -> None:
    assert split([1, 2, 3, 4, 5], 2) == [[1, 3, 5], [2, 4]]
    assert split([1], 2) == [[1]]
    with pytest.raises(ValueError, match="positive"):
        split([1], 0)


def test_each_client_asks_every_route_signed_in_as_its_trader_starting_at_its_own_route() -> None:
    plans = mix_requests("h", 1, ["t0", "t1"], clients=3)
    assert [route for route, _ in plans[1]] == [1, 2, 3, 4, 0]
    assert all(sorted(r for r, _ in plan) == list(range(len(ROUTES))) for plan in plans)
    assert b"Bearer t1" in plans[1][0][1] and b"Bearer t0" in plans[2][0][1]
    assert b"/api/market/candles?symbol=BTC%2FUSDT&interval=1m" in dict(plans[0])[4]


def _latency(p50: float, p99: float, per_s: float, count: int = 1000) -> Latency:
    return Latency(count=count, p50_ms=p50, p99_ms=p99, max_ms=p99 * 2, per_s=per_s)


def _rest(
    what: str, latency: Latency, *, share: float = 1.0, client: float = 0.5, offered: float | None = None
) -> RestPhase:
    cores = Cores(gateway=0.9, postgres=0.4, nats=0.0)
    return RestPhase(what, latency, cores, (client, client), share, offered_per_s=offered)


def _fan(what: str, rate: int, p99: float, missing: int = 0, share: float = 1.0) -> FanOutPhase:
    lag = Lag(expected=500 * rate, delivered=500 * rate - missing, duplicates=0, p50_ms=p99 / 4,
              p90_ms=p99 / 2, p99_ms=p99, max_ms=p99 * 2)  # fmt: skip
    return FanOutPhase(what, rate, rate, lag, Cores(gateway=0.7, postgres=0.0, nats=0.2), (0.3, 0.3), share)


def result(
    mix_p99: float = 40.0,
    ws_p99: float = 60.0,
    *,
    open_p99: float = 12.0,
    share: float = 1.0,
    client: float = 0.5,
) -> GatewayResult:
    return GatewayResult(
        clients=200,
        users=200,
        healthz=_rest("raw HTTP (baseline)", _latency(5.0, 10.0, 8000.0)),
        database=_rest("raw asyncpg (baseline)", _latency(8.0, 20.0, 2000.0)),
        mix=_rest("gateway REST mix", _latency(20.0, mix_p99, 900.0), share=share, client=client),
        routes=(("GET /api/orders", _latency(30.0, 45.0, 180.0, count=200)),),
        subscribers=500,
        fan_out=(_fan("raw core NATS (baseline)", 20, 6.0), _fan("gateway `/api/ws`", 20, ws_p99)),
        connections=15,
        load_average=0.5,
        arrivals=Arrivals(1.0, poisson=True),
        open_healthz=_rest("raw HTTP (baseline)", _latency(1.0, 3.0, 200.0), offered=200.0),
        open_mix=_rest("gateway REST mix", _latency(4.0, open_p99, 200.0), offered=200.0),
        open_routes=(("GET /api/pnl", _latency(5.0, 15.0, 40.0, count=200)),),
        tick_flush_ms=50,
    )


def test_the_rest_verdict_judges_both_readings_against_50_ms_with_littles_law() -> None:
    both_met = rest_verdict(result(40.0, open_p99=12.0))
    assert (
        ": met at a realistic pace (open loop: 200 signed-in clients at 1 request/s each, Poisson arrivals, "
        "200 requests/s offered) (12.0 ms); met with no pause between requests (closed loop) (40.0 ms)."
    ) in both_met
    closed_missed = rest_verdict(result(125.0, open_p99=12.0))
    assert "(12.0 ms); missed with no pause between requests (closed loop) (125 ms, 2.5x the target)." in (
        closed_missed
    )
    assert "With no pause between requests, 200 clients wait about 200 / rate" in closed_missed
    assert (
        "needs over 4,000 requests/s, where `/healthz`, which touches nothing, served 8,000/s "
        "and the mix 900/s."
    ) in closed_missed
    assert ": missed at a realistic pace (open loop" in rest_verdict(result(125.0, open_p99=60.0))


def test_failed_requests_miss_the_rest_target_whatever_the_p99() -> None:
    base = result(40.0)
    failing = dataclasses.replace(base.mix, failed=3, first_failure="500 b'Internal Server Error'")
    text = rest_verdict(dataclasses.replace(base, mix=failing))
    assert (
        "missed with no pause between requests (closed loop) (40.0 ms, and 3 of 1,000 requests failed, "
        "the first with 500 b'Internal Server Error')."
    ) in text
    assert "| gateway REST mix | 1,000 | 3 |" in gateway_table(dataclasses.replace(base, mix=failing))


def test_the_fan_out_verdict_judges_the_gateways_p99_against_100_ms() -> None:
    assert ": met (60.0 ms at 20/s)." in fan_out_verdict(result(ws_p99=60.0))
    assert ": missed (250 ms at 20/s)." in fan_out_verdict(result(ws_p99=250.0))


def test_the_fan_out_verdict_names_the_rates_at_which_the_target_holds() -> None:
    base = result()
    phases = (
        base.fan_out[0],
        _fan("gateway `/api/ws`", 20, 90.0),
        _fan("gateway `/api/ws`", 100, 95.0),
        _fan("gateway `/api/ws`", 500, 338.0),
    )
    text = fan_out_verdict(dataclasses.replace(base, fan_out=phases))
    assert text.endswith(
        ": met at 20/s, 100/s (90.0 ms at 20/s, 95.0 ms at 100/s); missed at 500/s (338 ms at 500/s)."
    )


def test_a_drop_misses_the_fan_out_target_whatever_the_lag() -> None:
    base = result()
    phases = (base.fan_out[0], _fan("gateway `/api/ws`", 20, 50.0, missing=7))
    text = fan_out_verdict(dataclasses.replace(base, fan_out=phases))
    assert ": missed (50.0 ms at 20/s with 7 missing)." in text


def test_the_table_shows_each_phase_beside_its_baseline() -> None:
    table = gateway_table(result())
    assert (
        "| raw HTTP (baseline) | 1,000 | 0 | 5.00 / 10.0 | 20.0 | 8,000 | 1.0x | 0.90 | 0.11 | 0.40 "
        "| 50% + 50% |"
    ) in table
    assert "| gateway REST mix | 1,000 | 0 | 20.0 / 40.0 | 80.0 | 900 | 4.0x | 0.90 | 1.00 |" in table
    assert "| · GET /api/orders | 200 | | 30.0 / 45.0 | 90.0 | 180 | 4.5x | | | | |" in table
    assert (
        "| gateway `/api/ws` | 20 | 20 | 10,000 | 15.0 / 30.0 / 60.0 | 120 | 0 | 10.0x | 0.70 | 0.20 "
        "| 30% + 30% |" in table
    )
    assert "machine was busy" not in table and "saturated" not in table


def test_the_open_loop_has_its_own_table_with_the_offered_rate_beside_its_own_healthz() -> None:
    table = gateway_table(result(open_p99=12.0))
    assert (
        "| measurement (200 signed-in clients, open loop: 1 request/s each, Poisson arrivals; "
        "latency from each request's scheduled time) | offered/s | requests |"
    ) in table
    assert (
        "| raw HTTP (baseline) | 200 | 1,000 | 0 | 1.00 / 3.00 | 6.00 | 200 | 1.0x | 0.90 | 4.50 |" in table
    )
    assert "| gateway REST mix | 200 | 1,000 | 0 | 4.00 / 12.0 | 24.0 | 200 | 4.0x |" in table
    assert "| · GET /api/pnl | | 200 | | 5.00 / 15.0 | 30.0 | 40 | 5.0x | | | | |" in table


def test_an_open_loop_client_sends_within_the_window_at_its_pace_on_average() -> None:
    rng = random.Random(7)
    even = schedule(2.0, 10.0, poisson=False, rng=rng)
    assert 0 <= even[0] < 0.5 and len(even) == 20
    assert all(b - a == pytest.approx(0.5) for a, b in itertools.pairwise(even))
    arrivals = [t for _ in range(200) for t in schedule(1.0, 10.0, poisson=True, rng=rng)]
    assert max(arrivals) < 10.0 and 1_800 < len(arrivals) < 2_200
    with pytest.raises(ValueError, match="positive pace"):
        schedule(0.0, 10.0, poisson=True, rng=rng)


def test_the_table_says_when_the_machine_was_busy_or_the_clients_set_the_pace() -> None:
    table = gateway_table(result(share=0.5, client=0.95))
    assert "**The machine was busy**: a busy loop got only 50% of a core" in table
    assert "**The clients saturated a core** in: gateway REST mix." in table


def test_bench_runs_the_gateway_alone(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    saved: list[str] = []
    monkeypatch.setattr(run, "run_gateway_benchmark", lambda **_: result())
    monkeypatch.setattr(run, "_save", lambda name, figures: saved.append(name))
    for name in (
        "_run_feed",
        "_run_orders",
        "_run_risk",
        "_run_kill",
        "_run_rules",
        "_run_parser",
        "_run_backtest",
        "_run_replay",
    ):
        monkeypatch.setattr(run, name, lambda *a, **k: pytest.fail("ran another benchmark"))
    assert main(["bench", "--only", "gateway"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Measured ") and "**API gateway** (REST with 200 concurrent clients" in out
    assert saved == ["bench-gateway.json"]


def test_a_full_run_ends_with_the_gateway(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(run, "_run_feed", lambda rates: "FEED")
    for name in ("_run_orders", "_run_risk", "_run_kill"):
        monkeypatch.setattr(run, name, lambda _, *, header, name=name: name)
    for name in ("_run_rules", "_run_parser", "_run_backtest"):
        monkeypatch.setattr(run, name, lambda *, header, name=name: name)
    monkeypatch.setattr(run, "run_gateway_benchmark", lambda **_: result())
    monkeypatch.setattr(run, "_run_replay", lambda messages, *, header: "REPLAY")
    monkeypatch.setattr(run, "_save", lambda name, figures: None)
    table = run.run_benchmarks(rates=[1], update_readme=False)
    assert table.startswith("FEED\n\n_run_orders") and "_run_backtest\n\n**API gateway**" in table


def test_the_open_loops_pace_and_spacing_come_from_the_command_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    asked: list[Arrivals] = []

    def measured(**options: object) -> GatewayResult:
        assert isinstance(options["arrivals"], Arrivals)
        asked.append(options["arrivals"])
        return result()

    monkeypatch.setattr(run, "run_gateway_benchmark", measured)
    monkeypatch.setattr(run, "_save", lambda name, figures: None)
    assert main(["bench", "--only", "gateway", "--pace", "2.5", "--even"]) == 0
    assert asked == [Arrivals(2.5, poisson=False)]
    with pytest.raises(SystemExit):
        main(["bench", "--only", "gateway", "--pace", "0"])
    assert "--pace takes a positive number" in capsys.readouterr().err


def test_the_gateways_trade_batching_comes_from_the_command_line_or_the_settings_default(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    asked: list[object] = []

    def measured(**options: object) -> GatewayResult:
        asked.append(options["tick_flush_ms"])
        return result()

    monkeypatch.setattr(run, "run_gateway_benchmark", measured)
    monkeypatch.setattr(run, "_save", lambda name, figures: None)
    assert main(["bench", "--only", "gateway", "--tick-flush-ms", "0"]) == 0
    assert main(["bench", "--only", "gateway"]) == 0
    assert asked == [0, None]
    with pytest.raises(SystemExit):
        main(["bench", "--only", "gateway", "--tick-flush-ms", "-5"])
    assert "--tick-flush-ms takes 0 (a frame per trade) to 1000 milliseconds" in capsys.readouterr().err
