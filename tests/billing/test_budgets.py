"""Budgets are never overspent: caps per UTC day and month and per cast, for a caster and a key,
atomically with the credit hold (billing/cast_money.py), also under racing casts."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from billing import AccountKind, BudgetExceeded, Budgets, InsufficientCredits, account_id
from billing.budgets import CrossedAlert
from spell_mcp.platform import Platform
from tests.billing.money import assert_books_balance, balance, funded_caster, hold, settle, void

PRICE = 1_000
USER = "user:alice"
KEY = "key:agent"
FEE = account_id(AccountKind.PLATFORM_REVENUE)


async def set_caps(platform: Platform, subject: str, **caps: int | None) -> None:
    await platform.db.write(lambda session: Budgets(session).set(subject, **caps))


async def reserve(platform: Platform, caster: str, n: int, subjects: tuple[str, ...] = (USER, KEY)) -> str:
    return await hold(platform.db, caster, PRICE, f"cast_{n}", subjects=subjects)


async def spend(platform: Platform, hold_id: str) -> list[CrossedAlert]:
    """Settle the hold; the budget alerts it crossed."""
    return (await settle(platform.db, hold_id, [(FEE, PRICE)])).alerts_crossed


async def test_a_daily_cap_refuses_the_cast_that_would_cross_it(platform: Platform) -> None:
    caster = await funded_caster(platform, "alice", 100 * PRICE)
    await set_caps(platform, USER, daily_cap_micros=2 * PRICE)
    await spend(platform, await reserve(platform, caster, 1))
    await reserve(platform, caster, 2)  # held, not yet settled: it counts too
    with pytest.raises(BudgetExceeded) as refused:
        await reserve(platform, caster, 3)
    error = refused.value
    assert (error.limit, error.cap, error.spent, error.held) == ("your daily cap", 2 * PRICE, PRICE, PRICE)
    tomorrow = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    assert error.resets_at == tomorrow
    # The refused cast held nothing: credits and budget are as they were.
    assert await balance(platform, caster) == (99 * PRICE, PRICE)


async def test_a_key_has_caps_of_its_own_and_the_tightest_cap_wins(platform: Platform) -> None:
    caster = await funded_caster(platform, "alice", 100 * PRICE)
    await set_caps(platform, USER, monthly_cap_micros=10 * PRICE)
    await set_caps(platform, KEY, daily_cap_micros=1 * PRICE, per_cast_max_micros=5 * PRICE)
    await reserve(platform, caster, 1)
    with pytest.raises(BudgetExceeded, match="key agent's daily cap"):
        await reserve(platform, caster, 2)
    await reserve(platform, caster, 3, subjects=(USER,))  # another key of the same caster
    await set_caps(platform, KEY, per_cast_max_micros=PRICE - 1)
    with pytest.raises(BudgetExceeded, match="per-cast maximum"):
        await reserve(platform, caster, 4)


async def test_voided_casts_give_their_budget_back(platform: Platform) -> None:
    caster = await funded_caster(platform, "alice", 100 * PRICE)
    await set_caps(platform, USER, daily_cap_micros=PRICE)
    await void(platform.db, await reserve(platform, caster, 1))
    await spend(platform, await reserve(platform, caster, 2))
    windows = await platform.db.read(lambda session: Budgets(session).windows(USER, datetime.now(UTC)))
    assert [(w["period"], w["spent_micros"], w["held_micros"]) for w in windows] == [("day", PRICE, 0)]


async def test_alerts_at_50_80_and_100_percent_are_recorded_once(platform: Platform) -> None:
    caster = await funded_caster(platform, "alice", 100 * PRICE)
    await set_caps(platform, USER, daily_cap_micros=10 * PRICE)
    crossed = []
    for n in range(10):
        crossed += await spend(platform, await reserve(platform, caster, n, subjects=(USER,)))
    assert [(a.window.subject, a.window.period, a.threshold, a.spent) for a in crossed] == [
        (USER, "day", 50, 5 * PRICE),
        (USER, "day", 80, 8 * PRICE),
        (USER, "day", 100, 10 * PRICE),
    ]
    alerts = await platform.db.read(lambda session: Budgets(session).alerts(USER))
    assert sorted(a.threshold for a in alerts) == [50, 80, 100]


async def test_racing_casts_never_overspend_a_budget(platform: Platform) -> None:
    affordable, racers = 37, 200
    caster = await funded_caster(platform, "alice", 1_000 * PRICE)
    await set_caps(platform, USER, daily_cap_micros=affordable * PRICE)

    async def attempt(n: int) -> bool:
        try:
            await spend(platform, await reserve(platform, caster, n, subjects=(USER,)))
            return True
        except (BudgetExceeded, InsufficientCredits):
            return False

    results = await asyncio.gather(*(attempt(n) for n in range(racers)))
    assert sum(results) == affordable
    assert await balance(platform, caster) == ((1_000 - affordable) * PRICE, 0)
    await assert_books_balance(platform)
