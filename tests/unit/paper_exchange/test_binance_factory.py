"""``create_binance`` points ccxt's binance class at the right venue (no network needed)."""

from __future__ import annotations

import pytest

from shared.exchange.binance import create_binance, paper_urls


async def test_paper_client_sends_rest_and_streams_to_the_paper_exchange() -> None:
    client = create_binance(venue="paper", paper_url="http://127.0.0.1:8900")
    try:
        api = client.urls["api"]
        assert api["public"] == "http://127.0.0.1:8900/api/v3"
        assert api["private"] == "http://127.0.0.1:8900/api/v3"
        assert api["sapi"] == "http://127.0.0.1:8900/sapi/v1"
        assert api["ws"]["spot"] == "ws://127.0.0.1:8900/ws"
        assert api["ws"]["ws-api"]["spot"] == "ws://127.0.0.1:8900/ws-api/v3"
        assert client.options["fetchMarkets"]["types"] == ["spot"]
        assert client.options["fetchCurrencies"] is False
    finally:
        await client.close()


async def test_testnet_client_uses_ccxt_sandbox_urls() -> None:
    client = create_binance(venue="testnet", pro=False, api_key="k", secret="s")
    try:
        assert client.urls["api"]["public"].startswith("https://testnet.binance.vision/")
        assert client.apiKey == "k"
    finally:
        await client.close()


async def test_live_client_keeps_binance_urls() -> None:
    client = create_binance(venue="live")
    try:
        assert client.urls["api"]["public"] == "https://api.binance.com/api/v3"
    finally:
        await client.close()


def test_paper_venue_without_url_is_refused() -> None:
    with pytest.raises(ValueError, match="paper_url"):
        create_binance(venue="paper")


def test_paper_urls_rejects_a_url_without_scheme() -> None:
    with pytest.raises(ValueError, match="http"):
        paper_urls({"public": "https://api.binance.com/api/v3"}, "127.0.0.1:8900")
