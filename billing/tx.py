"""Where the ledger's statements run: the money module's SQL (billing/cast_money.py) in any
transaction.

The statements that move money are written once, as coroutines over a `Tx` with `?` placeholders.
A cast runs them over the database driver (spell_mcp/database/driver.py). Everything else that
moves money (grants, top-ups, refunds, payouts, the holds an erasure releases) runs them inside
its own SQLAlchemy session's transaction through `SessionTx`, so that they commit or roll back
with the rest of its work. A `SessionTx` statement never suspends the coroutine (on PostgreSQL,
SQLAlchemy waits for asyncpg inside its own greenlet), so `run_to_end` drives the work to its end
right where it is called, on both backends.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, TypeVar

from sqlalchemy import CursorResult
from sqlalchemy.orm import Session

T = TypeVar("T")


def run_to_end(coroutine: Coroutine[Any, Any, T]) -> T:
    """The result of a coroutine that never suspends, run in this thread."""
    try:
        coroutine.send(None)
    except StopIteration as done:
        result: T = done.value
        return result
    coroutine.close()
    raise RuntimeError("a transaction's work awaited something other than its statements")


def sqlite_value(value: Any) -> Any:
    """A parameter as SQLite is given it: timestamps as SQLAlchemy stores them there (UTC, no
    zone), so that both write the same text and comparisons between them hold."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
    return value


@lru_cache(maxsize=256)
def numbered(sql: str) -> str:
    """`?` placeholders as PostgreSQL's `$1`, `$2`, …"""
    parts = sql.split("?")
    numbered = [parts[0]]
    for index, part in enumerate(parts[1:], start=1):
        numbered.append(f"${index}{part}")
    return "".join(numbered)


class SessionTx:
    """A `Tx` over the transaction of a SQLAlchemy session: its statements run on the session's
    connection, after the session's pending changes are flushed."""

    def __init__(self, session: Session) -> None:
        session.flush()
        self._connection = session.connection()
        self.backend = self._connection.dialect.name

    def _run(self, sql: str, args: Sequence[Any]) -> CursorResult[Any]:
        if self.backend == "postgresql":
            return self._connection.exec_driver_sql(numbered(sql), tuple(args))
        return self._connection.exec_driver_sql(sql, tuple(map(sqlite_value, args)))

    async def execute(self, sql: str, *args: Any) -> int:
        return self._run(sql, args).rowcount

    async def fetchrow(self, sql: str, *args: Any) -> tuple[Any, ...] | None:
        rows = self._run(sql, args).fetchall()
        return tuple(rows[0]) if rows else None

    async def fetch(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in self._run(sql, args)]

    async def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if not rows:
            return
        if self.backend == "postgresql":
            self._connection.exec_driver_sql(numbered(sql), [tuple(row) for row in rows])
        else:
            self._connection.exec_driver_sql(sql, [tuple(map(sqlite_value, row)) for row in rows])


def in_session(session: Session, work: Callable[[SessionTx], Coroutine[Any, Any, T]]) -> T:
    """Run `work` (statements of billing/cast_money.py) in the session's transaction, which its
    caller commits or rolls back."""
    return run_to_end(work(SessionTx(session)))
