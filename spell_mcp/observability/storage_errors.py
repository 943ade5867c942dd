"""Telling a storage failure from any other: what `spell_storage_errors_total` counts."""

from __future__ import annotations

import sqlite3

import asyncpg
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from spell_mcp.observability import metrics


def count_if_storage(error: BaseException) -> None:
    """Count `error` (or what it was raised from) if the database or Redis failed."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, RedisError):
            metrics.STORAGE_ERRORS.labels("redis").inc()
            return
        if isinstance(seen, SQLAlchemyError | asyncpg.PostgresError | asyncpg.InterfaceError | sqlite3.Error):
            metrics.STORAGE_ERRORS.labels("database").inc()
            return
        seen = seen.__cause__ or seen.__context__
