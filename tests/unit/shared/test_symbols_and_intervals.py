"""Symbols are stored as BASE/QUOTE and become BASEQUOTE subject tokens; intervals align to UTC."""

import pytest

from shared.domain.intervals import Interval, parse_interval
from shared.domain.symbols import InvalidSymbol, normalize_symbol, split_symbol, venue_symbol


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("BTC/USDT", "BTC/USDT"),
        ("btc/usdt", "BTC/USDT"),
        ("BTCUSDT", "BTC/USDT"),
        ("eth-usdt", "ETH/USDT"),
        ("solusdc", "SOL/USDC"),
        (" bnb_usdt ", "BNB/USDT"),
    ],
)
def test_normalize_symbol_any_spelling_gives_base_slash_quote(text: str, expected: str) -> None:
    assert normalize_symbol(text) == expected


@pytest.mark.parametrize("text", ["", "BTC", "BTC/USDT/X", "B/USDT", "BTC USDT", "../etc", "USDT"])
def test_normalize_symbol_garbage_raises_with_the_input(text: str) -> None:
    with pytest.raises(InvalidSymbol, match="expected a symbol like BTC/USDT"):
        normalize_symbol(text)


def test_venue_symbol_is_the_subject_token() -> None:
    assert venue_symbol("btc/usdt") == "BTCUSDT"
    assert split_symbol("ETHUSDT") == ("ETH", "USDT")


def test_interval_bucket_start_aligns_to_utc_boundaries() -> None:
    ts = 1_677_628_800_000 + 7 * 60_000 + 1234  # 2023-03-01 00:07:01.234Z
    assert Interval.M1.bucket_start(ts) == 1_677_628_800_000 + 7 * 60_000
    assert Interval.M5.bucket_start(ts) == 1_677_628_800_000 + 5 * 60_000
    assert Interval.H1.bucket_start(ts) == 1_677_628_800_000
    assert Interval.D1.bucket_start(ts) == 1_677_628_800_000


def test_parse_interval_unknown_names_the_accepted_ones() -> None:
    assert parse_interval("1h") is Interval.H1
    with pytest.raises(ValueError, match="expected an interval among 1m, 3m"):
        parse_interval("7m")
