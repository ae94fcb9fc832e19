"""One page shape for every list the API returns: ``limit``/``offset`` in, ``next_offset`` out.

A route fetches one row more than asked: its presence is how ``next_offset`` knows there is a next
page, without a second query to count. Lists are newest first with ids breaking ties, so a page
boundary never repeats or skips a row (rows added meanwhile shift later pages, as with any offset).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Annotated, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel, Field

MAX_LIMIT = 200
DEFAULT_LIMIT = 50
MAX_OFFSET = 1_000_000

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description=f"Items per page, 1-{MAX_LIMIT}.")]
Offset = Annotated[
    int, Query(ge=0, le=MAX_OFFSET, description="Items to skip: a previous page's next_offset.")
]

T = TypeVar("T")
R = TypeVar("R")


class Page(BaseModel, Generic[T]):
    """A page of a list, newest first."""

    data: list[T]
    limit: int = Field(examples=[DEFAULT_LIMIT])
    offset: int = Field(examples=[0])
    next_offset: int | None = Field(
        description="The offset of the next page; null when this page is the last.", examples=[50]
    )


def page_of(rows: Sequence[R], limit: int, offset: int, convert: Callable[[R], T]) -> Page[T]:
    """The page of ``rows``, which holds up to ``limit + 1`` rows from ``offset`` (the extra one
    only says that a next page exists)."""
    more = len(rows) > limit
    return Page[T](
        data=[convert(row) for row in rows[:limit]],
        limit=limit,
        offset=offset,
        next_offset=offset + limit if more else None,
    )


__all__ = ["DEFAULT_LIMIT", "MAX_LIMIT", "MAX_OFFSET", "Limit", "Offset", "Page", "page_of"]
