"""The Redis fast path for holds: one atomic decision per cast across processes, mirroring the
database, rebuilt from it, and never the only guard."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from functools import partial

import pytest
from redis.asyncio import Redis

from billing import BudgetExceeded, Budgets, InsufficientCredits
from billing.budgets import WindowHold, window_start
from billing.fast_holds import DatabaseState, FastHolds, database_state
from spell_mcp.platform import Platform
from tests.billing.money import funded_caster, hold
from tests.conftest import redis_url

PRICE = 1_000
USER = "user:alice"


@pytest.fixture
async def redis() -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url())
    try:
        yield client
    finally:
        await client.aclose()


def fast_holds(platform: Platform, redis: Redis, state_ttl_s: float = 60) -> FastHolds:
    async def load(account: str, windows: Sequence[WindowHold]) -> DatabaseState:
        return await platform.db.read(partial(database_state, account, windows))

    # A prefix of its own, so that tests never see each other's state.
    return FastHolds(redis, load, hold_ttl_s=300, state_ttl_s=state_ttl_s, prefix=f"test:{uuid.uuid4().hex}:")


async def daily_window(platform: Platform, cap: int) -> WindowHold:
    await platform.db.write(lambda session: Budgets(session).set(USER, daily_cap_micros=cap))
    return WindowHold(USER, "day", window_start("day", datetime.now(UTC)), cap)


async def test_a_hold_is_counted_until_it_is_released(platform: Platform, redis: Redis) -> None:
    caster = await funded_caster(platform, "alice", 2 * PRICE)
    holds = fast_holds(platform, redis)
    assert await holds.admit("cast_1", caster, PRICE, [])
    assert await holds.admit("cast_2", caster, PRICE, [])
    with pytest.raises(InsufficientCredits) as refused:
        await holds.admit("cast_3", caster, PRICE, [])
    assert refused.value.available == 0
    await holds.release("cast_1")
    await holds.release("cast_1")  # twice: given back once
    assert await holds.admit("cast_4", caster, PRICE, [])
    with pytest.raises(InsufficientCredits):
        await holds.admit("cast_5", caster, PRICE, [])


async def test_a_budget_window_counts_held_then_spent(platform: Platform, redis: Redis) -> None:
    caster = await funded_caster(platform, "alice", 100 * PRICE)
    window = await daily_window(platform, 2 * PRICE)
    holds = fast_holds(platform, redis)
    assert await holds.admit("cast_1", caster, PRICE, [window])
    await holds.settle("cast_1")
    await holds.settle("cast_1")  # idempotent
    assert await holds.admit("cast_2", caster, PRICE, [window])
    with pytest.raises(BudgetExceeded) as refused:
        await holds.admit("cast_3", caster, PRICE, [window])
    error = refused.value
    assert (error.limit, error.cap, error.spent, error.held) == ("your daily cap", 2 * PRICE, PRICE, PRICE)
    assert error.resets_at is not None and error.resets_at > datetime.now(UTC)
    # A settled hold stays spent: releasing it later gives nothing back.
    await holds.release("cast_1")
    with pytest.raises(BudgetExceeded):
        await holds.admit("cast_4", caster, PRICE, [window])


async def test_state_is_loaded_from_the_database_when_redis_has_none(
    platform: Platform, redis: Redis
) -> None:
    caster = await funded_caster(platform, "alice", 3 * PRICE)
    window = await daily_window(platform, 10 * PRICE)
    # The database already holds one cast's price: Redis, starting empty, must see it.
    await hold(platform.db, caster, PRICE, "cast_db", subjects=[USER])
    holds = fast_holds(platform, redis)
    assert await holds.admit("cast_1", caster, PRICE, [window])
    assert await holds.admit("cast_2", caster, PRICE, [window])
    with pytest.raises(InsufficientCredits):
        await holds.admit("cast_3", caster, PRICE, [window])
    # Redis restarted (its keys are gone): the next cast rebuilds the state from the database,
    # where none of the two Redis-only holds exists.
    await redis.delete(*[key async for key in redis.scan_iter(match=f"{holds._prefix}*")])
    assert await holds.admit("cast_4", caster, PRICE, [window])


async def test_racing_admissions_admit_exactly_what_the_budget_allows(
    platform: Platform, redis: Redis
) -> None:
    caster = await funded_caster(platform, "alice", 1_000 * PRICE)
    window = await daily_window(platform, 37 * PRICE)
    # Two processes' worth of clients, each with its own connection pool, on the same state.
    other = Redis.from_url(redis_url())
    try:
        first = fast_holds(platform, redis)
        second = FastHolds(other, first._load_state, hold_ttl_s=300, prefix=first._prefix)

        async def attempt(n: int) -> bool:
            try:
                return await (first if n % 2 else second).admit(f"cast_{n}", caster, PRICE, [window])
            except BudgetExceeded:
                return False

        admitted = await asyncio.gather(*(attempt(n) for n in range(200)))
    finally:
        await other.aclose()
    assert admitted.count(True) == 37


async def test_without_redis_the_database_decides_alone(platform: Platform) -> None:
    caster = await funded_caster(platform, "alice", PRICE)
    unreachable = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.5)
    try:
        holds = fast_holds(platform, unreachable)
        assert await holds.admit("cast_1", caster, PRICE, []) is False
        await holds.release("cast_1")  # quietly does nothing
    finally:
        await unreachable.aclose()
