"""Cursor pagination for every list: by position, not offsets, so a page never repeats or
skips an item when others are added meanwhile.

A cursor is opaque to clients: the sort key (large lists, paged in SQL) or the identity (small
lists, ordered in Python) of the last item of the previous page, encoded. A cursor that was not
made here is refused with `request_invalid`.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Annotated, Any, TypeVar

from fastapi import Query

from spell_mcp.errors import SpellError

T = TypeVar("T")
DEFAULT_LIMIT = 50
MAX_LIMIT = 200

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page.")]
Cursor = Annotated[
    str | None,
    Query(max_length=500, description="`next_cursor` of the previous page; omit for the first page."),
]


NOT_OUR_CURSOR = "the cursor is not one this API gave out; start without one"


def encode_cursor(position: Sequence[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(position), separators=(",", ":")).encode()).decode()


def decode_cursor(cursor: str | None, width: int) -> list[Any] | None:
    """The position a cursor stands for, or None for the first page."""
    if cursor is None:
        return None
    try:
        position = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, UnicodeError):
        position = None
    if (
        not isinstance(position, list)
        or len(position) != width
        or not all(isinstance(part, str | int) for part in position)
    ):
        raise SpellError("request_invalid", NOT_OUR_CURSOR)
    return position


def decode_time_cursor(cursor: str | None) -> tuple[datetime, str] | None:
    """The (time, id) position a cursor of a newest-first list stands for (`time_position` made
    it), or None for the first page."""
    position = decode_cursor(cursor, 2)
    if position is None:
        return None
    try:
        moment = datetime.fromisoformat(str(position[0]))
    except ValueError:
        raise SpellError("request_invalid", NOT_OUR_CURSOR) from None
    if moment.tzinfo is None:
        raise SpellError("request_invalid", NOT_OUR_CURSOR)
    return moment, str(position[1])


def time_position(moment: datetime, identity: str) -> tuple[str, str]:
    return moment.isoformat(), identity


def page(
    rows: Sequence[T], limit: int, position_of: Callable[[T], Sequence[Any]]
) -> tuple[list[T], str | None]:
    """Cut `rows` (fetched with limit + 1) to one page, and the cursor of the next one."""
    if len(rows) <= limit:
        return list(rows), None
    kept = list(rows[:limit])
    return kept, encode_cursor(position_of(kept[-1]))


def page_after(
    items: Sequence[T], limit: int, cursor: str | None, identity_of: Callable[[T], str]
) -> tuple[list[T], str | None]:
    """One page of a list ordered in Python: the items after the one the cursor names."""
    start = 0
    position = decode_cursor(cursor, 1)
    if position is not None:
        identities = [identity_of(item) for item in items]
        if position[0] not in identities:
            raise SpellError("request_invalid", "the list changed since that cursor was made; start again")
        start = identities.index(position[0]) + 1
    return page(items[start:], limit, lambda item: (identity_of(item),))
