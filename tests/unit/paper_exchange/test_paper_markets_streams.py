"""Symbol filters, stream-name parsing, subscription messages and the fault registry."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from services.paper_exchange.control import handle_control
from services.paper_exchange.faults import FaultError, FaultRegistry
from services.paper_exchange.hub import Connection, Hub
from services.paper_exchange.markets import filters, spec_for, symbol_info
from services.paper_exchange.stream_names import StreamKind, StreamNameError, parse_stream

SYMBOLS = {"BTCUSDT", "ETHUSDT"}


def test_btcusdt_filters_are_binance_values() -> None:
    by_type = {f["filterType"]: f for f in filters(spec_for("BTC/USDT"))}
    assert by_type["PRICE_FILTER"]["tickSize"] == "0.01000000"
    assert by_type["LOT_SIZE"]["stepSize"] == "0.00001000"
    assert by_type["LOT_SIZE"]["minQty"] == "0.00001000"
    assert Decimal(by_type["NOTIONAL"]["minNotional"]) == 5


def test_unknown_symbol_gets_generic_filters_under_its_own_name() -> None:
    info = symbol_info(spec_for("doge/usdt"))
    assert (info["symbol"], info["baseAsset"], info["status"]) == ("DOGEUSDT", "DOGE", "TRADING")


@pytest.mark.parametrize(
    ("name", "kind", "param"),
    [
        ("btcusdt@trade", StreamKind.TRADE, ""),
        ("btcusdt@kline_15m", StreamKind.KLINE, "15m"),
        ("ethusdt@bookTicker", StreamKind.BOOK_TICKER, ""),
        ("ethusdt@miniTicker", StreamKind.MINI_TICKER, ""),
        ("ethusdt@depth@100ms", StreamKind.DEPTH, ""),
        ("ethusdt@depth10@100ms", StreamKind.PARTIAL_DEPTH, "10"),
    ],
)
def test_parse_stream_known_names(name: str, kind: StreamKind, param: str) -> None:
    stream = parse_stream(name, SYMBOLS)
    assert (stream.kind, stream.param, stream.name) == (kind, param, name)


@pytest.mark.parametrize(
    ("name", "fragment"),
    [("dogeusdt@trade", "unknown symbol"), ("btcusdt@kline_7m", "unsupported interval"),
     ("btcusdt@nope", "unknown stream type"), ("btcusdt", "invalid stream name")],
)  # fmt: skip
def test_parse_stream_bad_names_say_why(name: str, fragment: str) -> None:
    with pytest.raises(StreamNameError, match=fragment):
        parse_stream(name, SYMBOLS)


def control(connection: Connection, hub: Hub, message: object) -> dict[str, object]:
    text = message if isinstance(message, str) else json.dumps(message)
    reply = json.loads(handle_control(text, connection, hub, SYMBOLS))
    assert isinstance(reply, dict)
    return reply


def test_subscribe_then_list_then_unsubscribe_tracks_demand() -> None:
    hub, connection = Hub(), Connection(combined=False, max_pending=100)
    hub.add(connection)
    assert control(connection, hub, {"method": "SUBSCRIBE", "params": ["btcusdt@trade"], "id": 1}) == {
        "result": None, "id": 1,
    }  # fmt: skip
    assert hub.demand == {"BTCUSDT": {(StreamKind.TRADE, ""): {"btcusdt@trade": 1}}}
    assert control(connection, hub, {"method": "LIST_SUBSCRIPTIONS", "id": 2})["result"] == ["btcusdt@trade"]
    control(connection, hub, {"method": "UNSUBSCRIBE", "params": ["btcusdt@trade"], "id": 3})
    assert hub.demand == {}


@pytest.mark.parametrize(
    ("message", "code"),
    [("{not json", 3), ("[]", 2), ({"method": "PUBLISH", "id": 1}, 2), ({"params": [], "id": 1}, 2),
     ({"method": "SUBSCRIBE", "params": "btcusdt@trade", "id": 1}, 2),
     ({"method": "SUBSCRIBE", "params": ["btcusdt@trade"], "id": -1}, 2),
     ({"method": "SET_PROPERTY", "params": ["colour", True], "id": 1}, 0)],
)  # fmt: skip
def test_bad_control_messages_get_binance_error_codes(message: object, code: int) -> None:
    hub, connection = Hub(), Connection(combined=False, max_pending=100)
    reply = control(connection, hub, message)
    assert reply["error"]["code"] == code  # type: ignore[index]
    assert connection.streams == {}


def test_hub_publish_wraps_combined_frames_and_filters_by_subscription() -> None:
    hub = Hub()
    raw, combined = Connection(False, 100), Connection(True, 100)
    for c in (raw, combined):
        hub.add(c)
        hub.subscribe(c, [parse_stream("btcusdt@trade", SYMBOLS)])
    hub.publish([("btcusdt@trade", '{"e":"trade"}'), ("ethusdt@trade", '{"e":"other"}')])
    assert list(raw.outbox) == ['{"e":"trade"}']
    assert list(combined.outbox) == ['{"stream":"btcusdt@trade","data":{"e":"trade"}}']


def test_slow_consumer_is_marked_for_closing() -> None:
    connection = Connection(False, max_pending=2)
    connection.push(["a", "b", "c"])
    assert connection.closing is not None and not connection.outbox


def test_fault_registry_applies_patches_and_null_restores_default() -> None:
    registry = FaultRegistry()
    registry.apply({"latency_ms": 50, "rest_status": 503})
    assert (registry.current.latency_ms, registry.current.rest_status) == (50, 503)
    registry.apply({"rest_status": None})
    assert registry.current.rest_status is None and registry.current.latency_ms == 50


def test_fault_registry_runs_actions_once_and_rejects_bad_input_atomically() -> None:
    registry = FaultRegistry()
    calls: list[int] = []
    registry.register_action("drop_streams", lambda: calls.append(1) or 2)
    assert registry.apply({"drop_streams": True})["triggered"] == {"drop_streams": 2}
    assert calls == [1]
    with pytest.raises(FaultError, match="latency_ms"):
        registry.apply({"latency_ms": "slow", "drop_streams": True})
    assert calls == [1] and registry.current.latency_ms == 0
