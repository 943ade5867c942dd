"""Cursor pagination for every list: by position, not offsets, so a page never repeats or
skips an item when others are added meanwhile.

A cursor is opaque to clients: the sort key (large lists, paged in SQL) or the identity (small
lists, ordered in Python) of the last item of the previous page, encoded as a JSON list of
strings. Every list reads its cursor through one of the decoders below, which check each part as
the list's query will use it (a time in range, a row id, printable text): a cursor that was not
made here is refused with `request_invalid`, whatever it holds, before it reaches a query.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Annotated, Any, TypeVar

from fastapi import Query

from spell_mcp.errors import SpellError
from spell_mcp.rest.bodies import in_utc

T = TypeVar("T")
DEFAULT_LIMIT = 50
MAX_LIMIT = 200

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page.")]
Cursor = Annotated[
    str | None,
    Query(max_length=500, description="`next_cursor` of the previous page; omit for the first page."),
]


NOT_OUR_CURSOR = "the cursor is not one this API gave out; start without one"
# The parts of the cursors made here: times, ids, keys, versions and periods, all short.
MAX_PART = 200
ROW_ID = re.compile(r"[0-9]{1,18}")  # a positive integer within a 64-bit column


def encode_cursor(position: Sequence[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(position), separators=(",", ":")).encode()).decode()


def decode_cursor(cursor: str | None, width: int) -> list[str] | None:
    """The position a cursor stands for (`width` strings, each printable text), or None for the
    first page."""
    if cursor is None:
        return None
    try:
        position = json.loads(base64.urlsafe_b64decode(cursor.encode("ascii")))
    except (ValueError, UnicodeError):
        position = None
    if not isinstance(position, list) or len(position) != width or not all(map(_is_part, position)):
        raise SpellError("request_invalid", NOT_OUR_CURSOR)
    return position


def _is_part(part: Any) -> bool:
    """Text a cursor made here could hold: short, and printable (no NUL, no lone surrogate)."""
    return isinstance(part, str) and len(part) <= MAX_PART and part.isprintable()


def decode_time_cursor(cursor: str | None) -> tuple[datetime, str] | None:
    """The (time, id) position a cursor of a newest-first list stands for (`time_position` made
    it), or None for the first page."""
    position = decode_cursor(cursor, 2)
    if position is None:
        return None
    try:
        moment = in_utc(datetime.fromisoformat(position[0]))
    except ValueError:
        raise SpellError("request_invalid", NOT_OUR_CURSOR) from None
    return moment, position[1]


def decode_id_cursor(cursor: str | None) -> int | None:
    """The row id a cursor of a list ordered by id stands for (`id_position` made it), or None
    for the first page."""
    position = decode_cursor(cursor, 1)
    if position is None:
        return None
    if not ROW_ID.fullmatch(position[0]):
        raise SpellError("request_invalid", NOT_OUR_CURSOR)
    return int(position[0])


def decode_day_cursor(cursor: str | None) -> str | None:
    """The day (2026-11-30) a cursor of a list by day stands for, or None for the first page."""
    position = decode_cursor(cursor, 1)
    if position is None:
        return None
    try:
        return date.fromisoformat(position[0]).isoformat()
    except ValueError:
        raise SpellError("request_invalid", NOT_OUR_CURSOR) from None


def time_position(moment: datetime, identity: str) -> tuple[str, str]:
    return moment.isoformat(), identity


def id_position(row_id: int | None) -> tuple[str]:
    return (str(row_id),)


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
