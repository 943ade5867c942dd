"""Keyset paging, newest first: the rows after a page's last (time, id) are those older, or as
old with a lower id, so a page never repeats or skips a row written meanwhile."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, or_


def older_than(at: Any, identity: Any, after: tuple[datetime, str] | None) -> list[ColumnElement[bool]]:
    """The conditions on the columns `at` and `identity` for the rows after `after` (none: all)."""
    if after is None:
        return []
    moment, last_id = after
    return [or_(at < moment, and_(at == moment, identity < last_id))]
