"""The read routes' JSON, serialised once.

A route that returns a pydantic model is validated and serialised again by FastAPI; on lists of
fifty orders that was most of a request's CPU. The read queries (``user_reads``) select rows
already shaped as the response models' items (decimals as plain text, ids as text, the API's
names); what is computed here (P&L) is built as the models write it (``trading_schemas``:
decimals as plain strings, times as ISO 8601 with ``Z``). ``json_response`` hands the body over
as a finished ``Response``, which FastAPI passes through. The routes keep ``response_model`` for
the OpenAPI document; tests hold the JSON to the models' own serialisation of the same rows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import orjson
from fastapi import Response

from shared.domain.pnl import MarketPnl, QuoteTotals
from shared.messages.base import plain_decimal

Row = Mapping[str, Any]
"""An asyncpg record (or any mapping) with the columns a builder names."""
JsonObject = dict[str, object]

_OPTIONS = orjson.OPT_UTC_Z
"""UTC times end in ``Z``, as pydantic writes them; the database returns every time in UTC."""


def json_response(body: object, status_code: int = 200) -> Response:
    """``body`` as a finished JSON response (FastAPI neither validates nor serialises it again)."""
    content = orjson.dumps(body, option=_OPTIONS)
    return Response(content, status_code=status_code, media_type="application/json")


def _text(value: Decimal | None) -> str | None:
    return None if value is None else plain_decimal(value)


def market_pnl_json(pnl: MarketPnl) -> JsonObject:
    """``MarketPnlPublic``'s JSON."""
    return {
        "venue": pnl.venue, "symbol": pnl.symbol, "quote": pnl.quote,
        "quantity": plain_decimal(pnl.quantity), "realised": plain_decimal(pnl.realised),
        "unrealised": _text(pnl.unrealised), "total": _text(pnl.total), "price": _text(pnl.price),
        "price_at": pnl.price_at,
    }  # fmt: skip


def quote_totals_json(totals: QuoteTotals) -> JsonObject:
    """``QuoteTotalsPublic``'s JSON."""
    return {
        "quote": totals.quote,
        "realised": plain_decimal(totals.realised),
        "unrealised": plain_decimal(totals.unrealised),
        "total": plain_decimal(totals.total),
        "unpriced": list(totals.unpriced),
    }


def page_json(rows: Sequence[Row], limit: int, offset: int) -> JsonObject:
    """``Page``'s JSON of ``rows`` (each already its item's JSON), which hold up to ``limit + 1``
    rows from ``offset`` (the extra one only says that a next page exists), as
    ``pagination.page_of`` builds it."""
    return {
        "data": [dict(row) for row in rows[:limit]],
        "limit": limit,
        "offset": offset,
        "next_offset": offset + limit if len(rows) > limit else None,
    }


__all__ = ["JsonObject", "Row", "json_response", "market_pnl_json", "page_json", "quote_totals_json"]
