"""Subjects are built in one module; every one of them lands in exactly one stream."""

import re

import pytest

from shared.messages import subjects


def _stream_of(subject: str) -> list[str]:
    matches = []
    for spec in subjects.ALL_STREAMS:
        for pattern in spec.subjects:
            regex = "^" + re.escape(pattern).replace(">", ".+").replace(r"\*", "[^.]+") + "$"
            if re.match(regex, subject):
                matches.append(spec.name)
    return matches


@pytest.mark.parametrize(
    ("subject", "stream"),
    [
        (subjects.trades("paper", "BTC/USDT"), "MARKET_TICKS"),
        (subjects.book_tops("paper", "ETH/USDT"), "MARKET_TICKS"),
        (subjects.candles("paper", "BTC/USDT", "1m"), "MARKET_CANDLES"),
        (subjects.chat_requests("u1"), "CHAT"),
        (subjects.chat_replies("u1"), "CHAT"),
        (subjects.intents("u1"), "TRADING"),
        (subjects.decisions("u1"), "TRADING"),
        (subjects.order_commands("paper"), "TRADING"),
        (subjects.order_events("u1"), "TRADING"),
        (subjects.KILL_SWITCH, "SYSTEM"),
        (subjects.dead_letters("market_feed"), "DEAD_LETTER"),
    ],
)
def test_every_subject_belongs_to_exactly_one_stream(subject: str, stream: str) -> None:
    assert _stream_of(subject) == [stream]


def test_symbols_become_dot_free_tokens_and_wildcards_pass_through() -> None:
    assert subjects.trades("paper", "btc/usdt") == "md.trade.paper.BTCUSDT"
    assert subjects.candles("paper", "*", "*") == "md.candle.paper.*.*"


def test_trading_streams_keep_a_year_and_deduplicate() -> None:
    assert subjects.TRADING.max_age.days >= 365
    config = subjects.TRADING.to_config()
    assert config.duplicate_window == 600
    assert config.subjects == ["intent.>", "risk.>", "exec.>"]
