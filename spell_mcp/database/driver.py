"""Transactions on the database driver itself, for the few on a cast's path (billing/cast_money.py).

The same code serves both backends: it is written as coroutines over a `Tx`. On PostgreSQL they
run on the event loop against asyncpg, whose statements are prepared once per connection. On
SQLite, `sqlite3` never waits, so the coroutine never suspends: it is driven to its end right in
the calling thread (`run_to_end`), under the process's writer lock, with no event loop at all.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Coroutine, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, TypeVar

import asyncpg

from spell_mcp.database.checkpoints import NO_AUTOMATIC_CHECKPOINTS

T = TypeVar("T")


def run_to_end(coroutine: Coroutine[Any, Any, T]) -> T:
    """The result of a coroutine that never suspends, run in this thread."""
    try:
        coroutine.send(None)
    except StopIteration as done:
        result: T = done.value
        return result
    coroutine.close()
    raise RuntimeError("a SQLite transaction awaited something other than the database")


def _sqlite_value(value: Any) -> Any:
    # Timestamps as SQLAlchemy stores them on SQLite (UTC, no zone), so both write the same text
    # and comparisons between them hold.
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
    return value


class SQLiteTx:
    backend = "sqlite"

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection = connection

    async def execute(self, sql: str, *args: Any) -> int:
        return self._connection.execute(sql, tuple(map(_sqlite_value, args))).rowcount

    async def fetchrow(self, sql: str, *args: Any) -> tuple[Any, ...] | None:
        rows = self._connection.execute(sql, tuple(map(_sqlite_value, args))).fetchall()
        return tuple(rows[0]) if rows else None

    async def fetch(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in self._connection.execute(sql, tuple(map(_sqlite_value, args)))]

    async def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        self._connection.executemany(sql, [tuple(map(_sqlite_value, row)) for row in rows])


def open_sqlite(path: str) -> sqlite3.Connection:
    """A connection configured as the SQLAlchemy engine's are (spell_mcp/database/engine.py)."""
    connection = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute("PRAGMA foreign_keys=ON")
    connection.execute(NO_AUTOMATIC_CHECKPOINTS)
    return connection


@lru_cache(maxsize=256)
def _numbered(sql: str) -> str:
    """`?` placeholders as PostgreSQL's `$1`, `$2`, …"""
    parts = sql.split("?")
    numbered = [parts[0]]
    for index, part in enumerate(parts[1:], start=1):
        numbered.append(f"${index}{part}")
    return "".join(numbered)


def _count(status: str) -> int:
    # "UPDATE 1", "INSERT 0 1", "DELETE 3": the last number is the rows changed.
    last = status.rpartition(" ")[2]
    return int(last) if last.isdigit() else 0


class AsyncpgTx:
    backend = "postgresql"

    def __init__(self, connection: asyncpg.Connection) -> None:
        self._connection = connection

    async def execute(self, sql: str, *args: Any) -> int:
        return _count(await self._connection.execute(_numbered(sql), *args))

    async def fetchrow(self, sql: str, *args: Any) -> tuple[Any, ...] | None:
        row = await self._connection.fetchrow(_numbered(sql), *args)
        return tuple(row) if row is not None else None

    async def fetch(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in await self._connection.fetch(_numbered(sql), *args)]

    async def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        await self._connection.executemany(_numbered(sql), rows)
