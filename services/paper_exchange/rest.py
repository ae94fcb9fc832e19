"""Binance Spot's public REST endpoints (``/api/v3/...``), same paths, parameters and JSON.

Parameters are read by hand rather than by FastAPI's validation so that every bad request gets
Binance's error code and message (-1100, -1102, -1120, -1121, ...) instead of a 422.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response

from services.paper_exchange import errors
from services.paper_exchange.clock import wall_ms
from services.paper_exchange.exchange import PaperExchange
from services.paper_exchange.markets import rate_limits, symbol_info
from services.paper_exchange.numbers import fmt
from services.paper_exchange.simulator import SymbolMarket, Trade
from services.paper_exchange.weights import weight_of
from shared.domain.intervals import Interval

router = APIRouter(prefix="/api/v3")

_UINT = re.compile(r"^[0-9]{1,20}$")
_SYMBOLS_LEGAL = r'^\[("[A-Z0-9-_.]{1,20}"(,"[A-Z0-9-_.]{1,20}"){0,}){0,1}\]$'


def exchange_of(request: Request) -> PaperExchange:
    exchange = getattr(request.app.state, "exchange", None)
    if exchange is None:
        raise errors.BinanceError(-1001, "Internal error; the exchange is still starting.", 503)
    assert isinstance(exchange, PaperExchange)
    return exchange


def _json(payload: Any) -> Response:
    return Response(json.dumps(payload, separators=(",", ":")), media_type="application/json")


def _uint(params: QueryParams, name: str, default: int | None, low: int, high: int) -> int | None:
    text = params.get(name)
    if text is None or text == "":
        return default
    if not _UINT.match(text):
        raise errors.illegal_characters(name, "^[0-9]{1,20}$")
    value = int(text)
    if not low <= value <= high:
        raise errors.invalid_value(name)
    return value


def _market(exchange: PaperExchange, text: str | None) -> SymbolMarket:
    if text is None or not text.strip():
        raise errors.mandatory("symbol")
    market = exchange.markets.get(text.strip().upper())
    if market is None:
        raise errors.invalid_symbol()
    return market


def _selected(exchange: PaperExchange, params: QueryParams) -> list[SymbolMarket] | None:
    """``symbol`` → one market, ``symbols=["A","B"]`` → those, neither → None (all)."""
    if "symbol" in params and "symbols" in params:
        raise errors.bad_combination()
    if "symbol" in params:
        return [_market(exchange, params["symbol"])]
    if "symbols" in params:
        try:
            names = json.loads(params["symbols"])
        except ValueError:
            names = None
        if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
            raise errors.illegal_characters("symbols", _SYMBOLS_LEGAL)
        return [_market(exchange, name) for name in names]
    return None


def _one_or_all(
    exchange: PaperExchange, params: QueryParams, render: Callable[[SymbolMarket], dict[str, Any]]
) -> Response:
    selected = _selected(exchange, params)
    if selected is not None and "symbol" in params:
        return _json(render(selected[0]))
    return _json([render(m) for m in (selected or exchange.markets.values())])


@router.get("/ping")
async def ping() -> Response:
    return _json({})


@router.get("/time")
async def server_time() -> Response:
    return _json({"serverTime": wall_ms()})


@router.get("/exchangeInfo")
async def exchange_info(request: Request) -> Response:
    exchange = exchange_of(request)
    selected = _selected(exchange, request.query_params) or list(exchange.markets.values())
    return _json(
        {
            "timezone": "UTC",
            "serverTime": wall_ms(),
            "rateLimits": rate_limits(
                exchange.settings.paper_weight_limit_1m,
                exchange.settings.paper_orders_limit_10s,
                exchange.settings.paper_orders_limit_1d,
            ),
            "exchangeFilters": [],
            "symbols": [symbol_info(m.spec) for m in selected],
        }
    )  # fmt: skip


@router.get("/ticker/price")
async def ticker_price(request: Request) -> Response:
    return _one_or_all(
        exchange_of(request),
        request.query_params,
        lambda m: {"symbol": m.spec.symbol, "price": fmt(m.last_price)},
    )


@router.get("/ticker/bookTicker")
async def book_ticker(request: Request) -> Response:
    def render(m: SymbolMarket) -> dict[str, Any]:
        (bid, bid_qty), (ask, ask_qty) = m.book.top()
        return {"symbol": m.spec.symbol, "bidPrice": fmt(bid), "bidQty": fmt(bid_qty),
                "askPrice": fmt(ask), "askQty": fmt(ask_qty)}  # fmt: skip

    return _one_or_all(exchange_of(request), request.query_params, render)


@router.get("/ticker/24hr")
async def ticker_24hr(request: Request) -> Response:
    kind = request.query_params.get("type", "FULL")
    if kind not in ("FULL", "MINI"):
        raise errors.invalid_value("type")

    def render(m: SymbolMarket) -> dict[str, Any]:
        s = m.day_stats()
        out: dict[str, Any] = {"symbol": m.spec.symbol}
        if kind == "FULL":
            (bid, bid_qty), (ask, ask_qty) = m.book.top()
            last_qty = m.recent[-1].quantity if m.recent else s.volume * 0
            out |= {
                "priceChange": fmt(s.change), "priceChangePercent": str(s.change_percent),
                "weightedAvgPrice": fmt(s.weighted_average), "prevClosePrice": fmt(s.open),
                "lastPrice": fmt(s.last), "lastQty": fmt(last_qty), "bidPrice": fmt(bid),
                "bidQty": fmt(bid_qty), "askPrice": fmt(ask), "askQty": fmt(ask_qty),
            }  # fmt: skip
        else:
            out["lastPrice"] = fmt(s.last)
        return out | {
            "openPrice": fmt(s.open), "highPrice": fmt(s.high), "lowPrice": fmt(s.low),
            "volume": fmt(s.volume), "quoteVolume": fmt(s.quote_volume), "openTime": s.open_time,
            "closeTime": s.close_time, "firstId": s.first_trade_id, "lastId": s.last_trade_id,
            "count": s.trades,
        }  # fmt: skip

    return _one_or_all(exchange_of(request), request.query_params, render)


@router.get("/depth")
async def depth(request: Request) -> Response:
    exchange = exchange_of(request)
    market = _market(exchange, request.query_params.get("symbol"))
    limit = _uint(request.query_params, "limit", 100, 1, 5000) or 100
    bids, asks = market.book.depth(limit)
    return _json(
        {
            "lastUpdateId": market.book.update_id,
            "bids": [[fmt(p), fmt(q)] for p, q in bids],
            "asks": [[fmt(p), fmt(q)] for p, q in asks],
        }
    )


async def _klines(request: Request) -> Response:
    params = request.query_params
    market = _market(exchange_of(request), params.get("symbol"))
    interval_text = params.get("interval")
    if not interval_text:
        raise errors.mandatory("interval")
    try:
        interval = Interval(interval_text)
    except ValueError:
        raise errors.invalid_interval() from None
    start = _uint(params, "startTime", None, 0, 2**63)
    end = _uint(params, "endTime", None, 0, 2**63)
    limit = _uint(params, "limit", 500, 1, 1000) or 500
    rows = market.klines(interval, start, end, limit)
    return _json([k.rest_row() for k in rows])


router.add_api_route("/klines", _klines, methods=["GET"])
router.add_api_route("/uiKlines", _klines, methods=["GET"])


@router.get("/avgPrice")
async def avg_price(request: Request) -> Response:
    market = _market(exchange_of(request), request.query_params.get("symbol"))
    price, close_time = market.average_price(5)
    return _json({"mins": 5, "price": fmt(price), "closeTime": close_time})


def _trade_rows(chosen: list[Trade]) -> Response:
    return _json([
        {"id": t.id, "price": fmt(t.price), "qty": fmt(t.quantity), "quoteQty": fmt(t.price * t.quantity),
         "time": t.time, "isBuyerMaker": t.buyer_is_maker, "isBestMatch": True}
        for t in chosen
    ])  # fmt: skip


@router.get("/trades")
async def trades(request: Request) -> Response:
    market = _market(exchange_of(request), request.query_params.get("symbol"))
    limit = _uint(request.query_params, "limit", 500, 1, 1000) or 500
    return _trade_rows(list(market.recent)[-limit:])


@router.get("/historicalTrades")
async def historical_trades(request: Request) -> Response:
    """Older trades from ``fromId`` on: how a client fills a hole in the trade stream."""
    params = request.query_params
    market = _market(exchange_of(request), params.get("symbol"))
    limit = _uint(params, "limit", 500, 1, 1000) or 500
    from_id = _uint(params, "fromId", None, 0, 2**63)
    recent: list[Trade] = list(market.recent)
    if from_id is None:
        return _trade_rows(recent[-limit:])
    return _trade_rows([t for t in recent if t.id >= from_id][:limit])


@router.get("/aggTrades")
async def agg_trades(request: Request) -> Response:
    params = request.query_params
    market = _market(exchange_of(request), params.get("symbol"))
    limit = _uint(params, "limit", 500, 1, 1000) or 500
    from_id = _uint(params, "fromId", None, 0, 2**63)
    start = _uint(params, "startTime", None, 0, 2**63)
    end = _uint(params, "endTime", None, 0, 2**63)
    if from_id is not None and (start is not None or end is not None):
        raise errors.bad_combination()
    recent: list[Trade] = list(market.recent)
    if from_id is not None:
        chosen = [t for t in recent if t.id >= from_id][:limit]
    elif start is not None or end is not None:
        chosen = [t for t in recent if (start is None or t.time >= start) and (end is None or t.time <= end)]
        chosen = chosen[:limit]
    else:
        chosen = recent[-limit:]
    return _json([
        {"a": t.id, "p": fmt(t.price), "q": fmt(t.quantity), "f": t.id, "l": t.id, "T": t.time,
         "m": t.buyer_is_maker, "M": True}
        for t in chosen
    ])  # fmt: skip


async def market_data_middleware(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    """For ``/api/`` paths: injected latency and status faults, request weight, metrics."""
    path = request.url.path
    if not path.startswith("/api/"):
        return await call_next(request)
    exchange = getattr(request.app.state, "exchange", None)
    if not isinstance(exchange, PaperExchange):
        return await call_next(request)
    faults = exchange.faults.current
    if faults.latency_ms:
        await asyncio.sleep(faults.latency_ms / 1000)
    client = request.client.host if request.client else "unknown"
    used, reset_in_ms = exchange.weights.charge(
        client, weight_of(path, request.query_params, request.method), wall_ms()
    )
    if faults.rest_status is not None:
        response = errors.for_status(faults.rest_status, faults.retry_after_s).response()
    elif used > exchange.weights.limit:
        response = errors.too_much_weight(exchange.weights.limit, -(-reset_in_ms // 1000)).response()
    else:
        response = await call_next(request)
    response.headers["X-MBX-USED-WEIGHT-1M"] = str(used)
    route = path if response.status_code != 404 else "unknown"
    exchange.metrics.rest_requests.labels(route, str(response.status_code)).inc()
    return response
