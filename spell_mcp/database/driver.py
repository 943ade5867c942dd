"""Transactions on the database driver itself, for the few on a cast's path (billing/cast_money.py).

The same code serves both backends: it is written as coroutines over a `Tx`. On PostgreSQL they
run on the event loop against asyncpg, whose statements are prepared once per connection. On
SQLite, `sqlite3` never waits, so the coroutine never suspends: it is driven to its end right in
the calling thread (`run_to_end`), under the process's writer lock, with no event loop at all.
(Inside an ORM session's transaction the same coroutines run through `billing.tx.SessionTx`.)
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

import asyncpg

from billing.tx import numbered, sqlite_value
from billing.tx import run_to_end as run_to_end
from spell_mcp.database.checkpoints import NO_AUTOMATIC_CHECKPOINTS


class SQLiteTx:
    backend = "sqlite"

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection = connection

    async def execute(self, sql: str, *args: Any) -> int:
        return self._connection.execute(sql, tuple(map(sqlite_value, args))).rowcount

    async def fetchrow(self, sql: str, *args: Any) -> tuple[Any, ...] | None:
        rows = self._connection.execute(sql, tuple(map(sqlite_value, args))).fetchall()
        return tuple(rows[0]) if rows else None

    async def fetch(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in self._connection.execute(sql, tuple(map(sqlite_value, args)))]

    async def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        self._connection.executemany(sql, [tuple(map(sqlite_value, row)) for row in rows])


def open_sqlite(path: str) -> sqlite3.Connection:
    """A connection configured as the SQLAlchemy engine's are (spell_mcp/database/engine.py)."""
    connection = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute("PRAGMA foreign_keys=ON")
    connection.execute(NO_AUTOMATIC_CHECKPOINTS)
    return connection


def _count(status: str) -> int:
    # "UPDATE 1", "INSERT 0 1", "DELETE 3": the last number is the rows changed.
    last = status.rpartition(" ")[2]
    return int(last) if last.isdigit() else 0


class AsyncpgTx:
    backend = "postgresql"

    def __init__(self, connection: asyncpg.Connection) -> None:
        self._connection = connection

    async def execute(self, sql: str, *args: Any) -> int:
        return _count(await self._connection.execute(numbered(sql), *args))

    async def fetchrow(self, sql: str, *args: Any) -> tuple[Any, ...] | None:
        row = await self._connection.fetchrow(numbered(sql), *args)
        return tuple(row) if row is not None else None

    async def fetch(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in await self._connection.fetch(numbered(sql), *args)]

    async def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        await self._connection.executemany(numbered(sql), rows)
