"""ccxt Binance clients for any venue — paper, testnet or live — from one function.

Every service that talks to an exchange gets its client here, so the three venues share one code
path: only the URLs (paper), the sandbox switch (testnet) and the keys differ. The client is
spot-only (``fetchMarkets.types=['spot']``, no currency or margin look-ups), so ``load_markets``
needs nothing but ``/api/v3/exchangeInfo`` — which the paper exchange serves.
"""

from __future__ import annotations

from typing import Any, Literal
from urllib.parse import urlsplit

Venue = Literal["paper", "testnet", "live"]

SPOT_ONLY_OPTIONS: dict[str, Any] = {
    "fetchMarkets": {"types": ["spot"]},
    "fetchCurrencies": False,
    "fetchMargins": False,
    "defaultType": "spot",
}


def paper_urls(api: dict[str, Any], paper_url: str) -> dict[str, Any]:
    """``api`` (ccxt's ``urls['api']``) with every host replaced by the paper exchange's.

    Paths are kept, so REST goes to ``<paper>/api/v3``, ``<paper>/sapi/v1``, ... and streams to
    ``ws://<paper host:port>/ws`` (ccxt.pro appends ``/<n>`` and subscribes with SUBSCRIBE).
    """
    base = urlsplit(paper_url.rstrip("/"))
    if base.scheme not in ("http", "https") or not base.netloc:
        raise ValueError(f"expected the paper exchange's http(s)://host:port URL, was {paper_url!r}")
    ws_scheme = "wss" if base.scheme == "https" else "ws"

    def rewrite(value: Any) -> Any:
        if isinstance(value, dict):
            return {key: rewrite(item) for key, item in value.items()}
        if isinstance(value, str) and "://" in value:
            parts = urlsplit(value)
            scheme = ws_scheme if parts.scheme in ("ws", "wss") else base.scheme
            return f"{scheme}://{base.netloc}{base.path}{parts.path}"
        return value

    rewritten = rewrite(api)
    assert isinstance(rewritten, dict)
    return rewritten


def _classify_paper_errors_as_spot(client: Any, rest_url: str) -> None:
    """Make error codes from the paper exchange raise what the same codes raise on live spot.

    ccxt picks its spot error table by hostname (``https://api.binance.com/``); for any other
    host it falls back to the common table, so ``-1008`` would be an ``ExchangeError`` on paper
    but ``OperationFailed`` on live. Pointing paper URLs at the spot table keeps one code path.
    """
    prefix = rest_url.rsplit("/api/", 1)[0] + "/"
    fallback = client.get_exceptions_by_url

    def by_url(url: str | None, exact_or_broad: str) -> dict[str, Any]:
        if url is not None and url.startswith(prefix):
            spot = client.exceptions.get("spot", {})
            table = spot.get(exact_or_broad, {})
            assert isinstance(table, dict)
            return table
        result = fallback(url, exact_or_broad)
        assert isinstance(result, dict)
        return result

    client.get_exceptions_by_url = by_url


def create_binance(
    *,
    venue: Venue,
    paper_url: str | None = None,
    api_key: str | None = None,
    secret: str | None = None,
    pro: bool = True,
    options: dict[str, Any] | None = None,
    throttle: bool = True,
) -> Any:
    """Return an unconnected ccxt.pro (``pro=True``) or async ccxt ``binance`` for ``venue``.

    The caller owns it and must ``await client.close()``. ``options`` are merged over the
    spot-only defaults (for example ``{"watchOrderBookRate": "1000"}``). ``throttle`` keeps
    ccxt's own request spacing (``enableRateLimit``); a caller with its own gate on the venue's
    weight headers and Retry-After turns it off, since ccxt delays every request up to 50 ms.
    """
    if pro:
        import ccxt.pro as ccxt_module
    else:
        import ccxt.async_support as ccxt_module
    config: dict[str, Any] = {
        "enableRateLimit": throttle,
        "options": {**SPOT_ONLY_OPTIONS, **(options or {})},
    }
    if api_key is not None:
        config["apiKey"] = api_key
    if secret is not None:
        config["secret"] = secret
    client = ccxt_module.binance(config)
    if venue == "paper":
        if not paper_url:
            raise ValueError("venue 'paper' needs paper_url, e.g. http://127.0.0.1:8900")
        client.urls["api"] = paper_urls(client.urls["api"], paper_url)
        _classify_paper_errors_as_spot(client, client.urls["api"]["public"])
    elif venue == "testnet":
        client.set_sandbox_mode(True)
    elif venue != "live":
        raise ValueError(f"expected venue paper, testnet or live, was {venue!r}")
    return client
