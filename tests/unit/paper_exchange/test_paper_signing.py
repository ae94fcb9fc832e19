"""Binance's documented HMAC examples reproduce exactly; timestamp and recvWindow rules hold."""

from __future__ import annotations

import pytest

from services.paper_exchange.errors import BinanceError
from services.paper_exchange.signing import (
    check_signature,
    check_timestamp,
    hmac_sha256,
    rest_payload,
    ws_payload,
)

API_KEY = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"
SECRET = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"
ORDER = "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1"
ASCII_QUERY = ORDER + "&recvWindow=5000&timestamp=1499827319559"
FULLWIDTH_123456 = "\uff11\uff12\uff13\uff14\uff15\uff16"
COMMON = {"timeInForce": "GTC", "timestamp": 1645423376532, "apiKey": API_KEY}


def test_rest_ascii_example_signature() -> None:
    payload, signature = rest_payload(ASCII_QUERY, "")
    assert signature is None
    assert hmac_sha256(SECRET, payload) == "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71"


def test_rest_percent_encoded_non_ascii_example_signature() -> None:
    query = ASCII_QUERY.replace("LTCBTC", "%EF%BC%91%EF%BC%92%EF%BC%93%EF%BC%94%EF%BC%95%EF%BC%96")
    payload, _ = rest_payload(query, "")
    assert hmac_sha256(SECRET, payload) == "e1353ec6b14d888f1164ae9af8228a3dbd508bc82eb867db8ab6046442f33ef3"


def test_rest_query_and_body_are_concatenated_without_separator() -> None:
    query = "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC"
    body = "quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559&signature=abc"
    payload, signature = rest_payload(query, body)
    assert "timeInForce=GTCquantity=1" in payload and signature == "abc"
    assert hmac_sha256(SECRET, payload) == "0fd168b8ddb4876a0358a8d14d0c9f3da0e9b20c5d52b2a00fcf7d1c602f9a77"


def test_signature_parameter_is_left_out_of_the_payload_and_query_signature_wins() -> None:
    payload, signature = rest_payload(ASCII_QUERY + "&signature=fromquery", "signature=frombody")
    assert payload == ASCII_QUERY and signature == "fromquery"


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        (
            {"symbol": "BTCUSDT", "side": "SELL", "type": "LIMIT", "quantity": "0.01000000",
             "price": "52000.00", "recvWindow": 100, **COMMON},
            "aa1b5712c094bc4e57c05a1a5c1fd8d88dcd628338ea863fec7b88e59fe2db24",
        ),
        (
            {"symbol": FULLWIDTH_123456, "side": "BUY", "type": "LIMIT", "quantity": "1.00000000",
             "price": "0.10000000", "recvWindow": 5000, **COMMON},
            "b33892ae8e687c939f4468c6268ddd4c40ac1af18ad19a064864c47bae0752cd",
        ),
    ],
)  # fmt: skip
def test_websocket_api_examples_sign_sorted_raw_params(params: dict[str, object], expected: str) -> None:
    assert hmac_sha256(SECRET, ws_payload({**params, "signature": "ignored"})) == expected


def test_hmac_signatures_are_accepted_in_either_case_and_a_wrong_one_is_minus_1022() -> None:
    good = hmac_sha256(SECRET, ASCII_QUERY)
    check_signature(SECRET, ASCII_QUERY, good.upper())
    with pytest.raises(BinanceError) as bad:
        check_signature(SECRET, ASCII_QUERY + "&x=1", good)
    assert bad.value.code == -1022 and bad.value.msg == "Signature for this request is not valid."
    with pytest.raises(BinanceError) as missing:
        check_signature(SECRET, ASCII_QUERY, None)
    assert missing.value.code == -1102


NOW = 1_700_000_000_000


@pytest.mark.parametrize(
    ("timestamp", "window"),
    [(str(NOW), None), (str(NOW - 5000), None), (str(NOW + 999), None), (str(NOW - 60_000), "60000"),
     (str((NOW - 1500) * 1000), "1500.5")],
)  # fmt: skip
def test_timestamps_inside_the_window_are_accepted(timestamp: str, window: str | None) -> None:
    check_timestamp(timestamp, window, NOW)


def test_a_timestamp_older_than_recv_window_is_outside_it() -> None:
    with pytest.raises(BinanceError) as old:
        check_timestamp(str(NOW - 5001), None, NOW)
    assert old.value.code == -1021
    assert old.value.msg == "Timestamp for this request is outside of the recvWindow."


def test_a_timestamp_a_second_ahead_of_the_server_is_refused() -> None:
    with pytest.raises(BinanceError) as ahead:
        check_timestamp(str(NOW + 1000), None, NOW)
    assert ahead.value.code == -1021
    assert ahead.value.msg == "Timestamp for this request was 1000ms ahead of the server's time."


MALFORMED = [(None, None, -1102), ("12a", None, -1100), (str(NOW), "60001", -1131), (str(NOW), "1e3", -1100)]


@pytest.mark.parametrize(("timestamp", "window", "code"), MALFORMED)
def test_malformed_timestamp_or_recv_window_is_refused(
    timestamp: str | None, window: str | None, code: int
) -> None:
    with pytest.raises(BinanceError) as error:
        check_timestamp(timestamp, window, NOW)
    assert error.value.code == code
