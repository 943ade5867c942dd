"""Transactions on the driver: committed when the work returns, rolled back when it raises, on
both backends; and a PostgreSQL that could not be reached at first is tried again."""

from __future__ import annotations

import anyio
import pytest
from sqlalchemy import text

from billing.cast_money import Tx
from spell_mcp.database.engine import Database
from tests import conftest

INSERT = "INSERT INTO budgets (subject, daily_cap_micros) VALUES (?, ?)"


async def count(db: Database) -> int:
    return int(
        await db.read(lambda session: session.execute(text("SELECT count(*) FROM budgets")).scalar_one())
    )


async def test_work_that_returns_commits_and_work_that_raises_leaves_nothing(
    database: conftest.Database,
) -> None:
    db = Database(database.url)
    try:
        await db.migrate()

        async def add(tx: Tx) -> int:
            return await tx.execute(INSERT, "user:a", 10)

        assert await db.transaction(add) == 1

        async def add_then_fail(tx: Tx) -> None:
            await tx.execute(INSERT, "user:b", 10)
            raise RuntimeError("after the insert")

        with pytest.raises(RuntimeError):
            await db.transaction(add_then_fail)
        assert await count(db) == 1
    finally:
        await db.dispose()


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)  # a pool is PostgreSQL's
async def test_a_postgresql_that_could_not_be_reached_is_tried_again(database: conftest.Database) -> None:
    db = Database(database.url)
    try:
        await db.migrate()
        reachable = db._dsn
        db._dsn = reachable.replace(":5432/", ":1/")  # nothing listens on port 1
        with pytest.raises(OSError):
            await db.transaction(lambda tx: tx.fetchrow("SELECT 1"))
        db._dsn = reachable  # the server is back
        assert await db.transaction(lambda tx: tx.fetchrow("SELECT 1")) == (1,)
    finally:
        await db.dispose()


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
async def test_a_connection_handed_back_mid_transaction_carries_none_of_it_to_the_next(
    database: conftest.Database,
) -> None:
    # The pool does not reset session state on release (the driver path sets none), but a
    # transaction cut short, by an error or a cancellation, never leaks into the next one.
    db = Database(database.url)
    try:
        await db.migrate()
        started = anyio.Event()

        async def insert_then_wait(tx: Tx) -> None:
            await tx.execute(INSERT, "user:cut", 10)
            started.set()
            await anyio.sleep_forever()

        async with anyio.create_task_group() as tasks:
            tasks.start_soon(db.transaction, insert_then_wait)
            await started.wait()
            tasks.cancel_scope.cancel()

        seen: list[tuple[int, ...] | None] = []

        async def look(tx: Tx) -> None:
            # A connection still inside the cut transaction would see its own insert.
            seen.append(await tx.fetchrow("SELECT count(*) FROM budgets WHERE subject = 'user:cut'"))
            await anyio.sleep(0.05)  # held a moment, so that the pool opens every connection

        async with anyio.create_task_group() as tasks:
            for _ in range(8):  # as many as the pool holds
                tasks.start_soon(db.transaction, look)
        assert seen == [(0,)] * 8
        assert await count(db) == 0
    finally:
        await db.dispose()
