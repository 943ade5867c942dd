"""The database: units of work on SQLite or PostgreSQL, and migrations (Alembic).

Code that touches the database is written once, as plain functions of a synchronous SQLAlchemy
`Session`, and handed to `Database.read` or `Database.write`, which run it as one transaction:

- SQLite runs the whole transaction in one worker thread (pysqlite). A thread hop per statement
  (aiosqlite) costs about 0.4 ms each here, a hop per transaction about as much once; code that
  already runs in a worker thread (a cast) runs its transactions right there (`transaction_here`).
  Writes run one at a time per process and begin with `BEGIN IMMEDIATE`, so a transaction that
  reads and then writes never fails on a lock upgrade; across processes the busy timeout queues
  writers (with long tails: several processes want PostgreSQL).
- PostgreSQL runs it through asyncpg on the event loop (`AsyncSession.run_sync`), one network
  round trip per statement and no thread at all.

A cast's own transactions skip SQLAlchemy: `transaction` and `transaction_here` run coroutines over
the driver (spell_mcp/database/driver.py), a tenth of the cost per statement.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import sqlite3
import threading
from collections.abc import Callable, Coroutine
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import anyio
import anyio.from_thread
import anyio.to_thread
import asyncpg
from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import PoolResetState

from billing.cast_money import Tx
from spell_mcp.database.checkpoints import NO_AUTOMATIC_CHECKPOINTS, Checkpointer
from spell_mcp.database.driver import AsyncpgTx, SQLiteTx, open_sqlite, run_to_end

MIGRATIONS = Path(__file__).parent / "migrations"
T = TypeVar("T")
Work = Callable[[Session], T]
TxWork = Callable[[Tx], Coroutine[Any, Any, T]]


class Database:
    def __init__(self, url: str, *, threads: int = 8) -> None:
        parsed = make_url(url)
        self.backend = parsed.get_backend_name()
        self._sync: Engine | None = None
        self._async: AsyncEngine | None = None
        if self.backend == "sqlite":
            self._sync = _sqlite_engine(parsed.set(drivername="sqlite").render_as_string(hide_password=False))
            self._readers = sessionmaker(self._sync, expire_on_commit=False)
            self._writers = sessionmaker(self._sync.execution_options(immediate=True), expire_on_commit=False)
            self._readers_threads = anyio.CapacityLimiter(threads)
            # One writer at a time, in this process and across processes: writers wait on this
            # lock, where SQLite's own busy handler would make them sleep and retry (long tails).
            # Async writers also queue in order for one thread, so that waiting writers do not
            # hold threads.
            self._sqlite_path = parsed.database or ""
            self._write_lock = WriterLock(self._sqlite_path)
            self._writer_thread = anyio.CapacityLimiter(1)
            self._driver_connections: list[sqlite3.Connection] = []
            self._thread_connection = threading.local()
            self._checkpoints = Checkpointer(partial(open_sqlite, self._sqlite_path))
        elif self.backend == "postgresql":
            self._async = create_async_engine(
                parsed.set(drivername="postgresql+asyncpg"), pool_size=10, max_overflow=10, pool_pre_ping=True
            )
            self._sessions = async_sessionmaker(self._async, class_=AsyncSession, expire_on_commit=False)
            self._dsn = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
            # asyncpg's pool belongs to the event loop that made it.
            self._pool: asyncpg.Pool | None = None
            self._pool_loop: asyncio.AbstractEventLoop | None = None
            self._pool_opening: asyncio.Task[asyncpg.Pool] | None = None
        else:
            raise ValueError(f"unsupported database {self.backend!r}: use SQLite or PostgreSQL")

    async def read(self, work: Work[T]) -> T:
        """Run `work` in a transaction that is rolled back at the end."""
        return await self._run(work, write=False)

    async def write(self, work: Work[T]) -> T:
        """Run `work` in a transaction committed when it returns and rolled back if it raises."""
        return await self._run(work, write=True)

    async def transaction(self, work: TxWork[T]) -> T:
        """Run `work` over the driver in a transaction committed when it returns and rolled back
        if it raises."""
        if self._sync is not None:
            run = partial(self._sqlite_driver_transaction, work)
            return await anyio.to_thread.run_sync(run, limiter=self._writer_thread)
        pool = self._pool
        if pool is None or self._pool_loop is not asyncio.get_running_loop():
            pool = await self._open_pool()
        async with pool.acquire() as connection, connection.transaction():
            return await work(AsyncpgTx(connection))

    def transaction_here(self, work: TxWork[T]) -> T:
        """`transaction`, called from a worker thread: on SQLite in that thread (no hop), on
        PostgreSQL on the event loop."""
        if self._sync is not None:
            return self._sqlite_driver_transaction(work)
        return anyio.from_thread.run(self.transaction, work)

    def _sqlite_driver_transaction(self, work: TxWork[T]) -> T:
        connection: sqlite3.Connection | None = getattr(self._thread_connection, "connection", None)
        if connection is None:
            connection = self._thread_connection.connection = open_sqlite(self._sqlite_path)
            self._driver_connections.append(connection)
        with self._write_lock:
            connection.execute("BEGIN IMMEDIATE")
            try:
                result: T = run_to_end(work(SQLiteTx(connection)))
                connection.execute("COMMIT")
            except BaseException:
                # A COMMIT refused (a deferred foreign key: migration 0021) leaves it open.
                if connection.in_transaction:
                    connection.execute("ROLLBACK")
                raise
            return result

    async def _open_pool(self) -> asyncpg.Pool:
        """This event loop's pool, opened by the first caller while the others wait for it."""
        loop = asyncio.get_running_loop()
        opening = self._pool_opening
        failed = (
            opening is not None
            and opening.done()
            and (opening.cancelled() or opening.exception() is not None)
        )
        if opening is None or failed or opening.get_loop() is not loop:  # none yet, or try again
            if self._pool is not None:
                self._pool.terminate()  # its loop is gone
                self._pool = None
            opening = self._pool_opening = loop.create_task(self._create_pool())
        pool: asyncpg.Pool = await asyncio.shield(opening)
        self._pool, self._pool_loop = pool, loop
        return pool

    async def _create_pool(self) -> asyncpg.Pool:
        return await asyncpg.create_pool(self._dsn, min_size=1, max_size=8, reset=_keep_session)

    def _sqlite_transaction(self, work: Work[T], *, write: bool) -> T:
        if not write:
            with self._readers() as session:  # closing it rolls back
                return work(session)
        with self._write_lock, self._writers() as session:
            result = work(session)
            session.commit()
            return result

    async def _run(self, work: Work[T], *, write: bool) -> T:
        if self._sync is not None:
            limiter = self._writer_thread if write else self._readers_threads
            return await anyio.to_thread.run_sync(
                partial(self._sqlite_transaction, work, write=write), limiter=limiter
            )
        async with self._sessions() as session:
            result = await session.run_sync(work)
            if write:
                await session.commit()
            return result

    def commit_marks(self) -> tuple[int, ...] | None:
        """On SQLite, marks that change whenever any process commits (the database file's and its
        write-ahead log's identity, size and modification time), for a reader to skip reading what
        cannot have changed; None on PostgreSQL."""
        if self._sync is None:
            return None
        marks: list[int] = []
        for path in (self._sqlite_path, f"{self._sqlite_path}-wal"):
            try:
                found = os.stat(path)
            except FileNotFoundError:
                marks.append(-1)
            else:
                marks += [found.st_ino, found.st_size, found.st_mtime_ns]
        return tuple(marks)

    async def migrate(self, revision: str = "head") -> None:
        """Bring the schema to `revision` (the newest by default)."""
        upgrade = partial(_upgrade, revision=revision)
        if self._sync is not None:
            sync_engine = self._sync

            def upgrade_sqlite() -> None:
                with sync_engine.begin() as connection:
                    upgrade(connection)

            await anyio.to_thread.run_sync(upgrade_sqlite)
            return
        assert self._async is not None
        async with self._async.begin() as connection:
            await connection.run_sync(upgrade)

    async def dispose(self) -> None:
        if self._sync is not None:
            self._sync.dispose()
            for connection in self._driver_connections:
                connection.close()
            self._driver_connections.clear()
            self._write_lock.close()
            self._checkpoints.stop()
        if self._async is not None:
            await self._async.dispose()
        if self.backend == "postgresql" and self._pool is not None:
            if self._pool_loop is asyncio.get_running_loop():
                await self._pool.close()
            else:
                self._pool.terminate()
            self._pool = self._pool_loop = self._pool_opening = None


async def _keep_session(_connection: asyncpg.Connection) -> None:
    """What the pool does to a connection handed back, beyond rolling back a transaction left
    open (which asyncpg always does): nothing. Its default runs `RESET ALL`, `UNLISTEN *`, … in
    a round trip of its own on every release, two per cast, for session state the driver path
    never sets (no SET, LISTEN, cursors or advisory locks)."""


class WriterLock:
    """Mutual exclusion of SQLite writers: a thread lock within the process, then an advisory
    lock (flock) on a file beside the database across processes. The kernel wakes the next
    waiter the moment the lock is free: no writer ever sees "database is locked", and none
    sleeps longer than the writer ahead of it takes."""

    def __init__(self, database_path: str) -> None:
        self._threads = threading.Lock()
        self._path = f"{database_path}.writer-lock" if database_path not in ("", ":memory:") else None
        self._fd: int | None = None

    def __enter__(self) -> None:
        self._threads.acquire()
        if self._path is None:
            return
        try:
            if self._fd is None:
                self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
            fcntl.flock(self._fd, fcntl.LOCK_EX)
        except BaseException:
            self._threads.release()
            raise

    def __exit__(self, *_exc: object) -> None:
        try:
            if self._fd is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._threads.release()

    def close(self) -> None:
        with self._threads:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None


def _sqlite_engine(url: str) -> Engine:
    engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event below issue BEGIN, not the driver.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        # WAL lets readers proceed while one writer commits; foreign keys are off by default.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(NO_AUTOMATIC_CHECKPOINTS)
        cursor.close()

    @event.listens_for(engine, "reset")
    def _end_refused_commit(dbapi_connection: Any, _record: Any, state: PoolResetState) -> None:
        # SQLAlchemy takes a failed COMMIT for the end of its transaction, but SQLite keeps open a
        # transaction whose COMMIT it refused (a deferred foreign key: migration 0021).
        if state.transaction_was_reset and dbapi_connection.in_transaction:
            dbapi_connection.rollback()

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        immediate = connection.get_execution_options().get("immediate", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def _upgrade(connection: Connection, revision: str = "head") -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)
