"""A cast's money on the driver (billing/cast_money.py): settlements grouped in one transaction,
an expired hold voided and never settled, refusals that say why, and racing casts from two
processes that never overspend a budget."""

from __future__ import annotations

import asyncio
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from billing import (
    AccountInDebt,
    AccountKind,
    BudgetExceeded,
    Budgets,
    HoldNotPending,
    InsufficientCredits,
    Ledger,
    account_id,
)
from billing.cast_money import Settled, Settlement
from spell_mcp.database.engine import Database
from spell_mcp.platform import Platform
from tests.billing.money import (
    assert_books_balance,
    balance,
    chain_verifies,
    funded_caster,
    hold,
    now,
    settle,
    settle_all,
    void,
)

PRICE = 1_000
USER = "user:alice"
FEE = account_id(AccountKind.PLATFORM_REVENUE)


async def test_settlements_grouped_in_one_transaction_each_get_their_own_transfer(platform: Platform) -> None:
    caster = await funded_caster(platform, "caster", 10 * PRICE)
    holds = [await hold(platform.db, caster, PRICE, f"cast_{n}") for n in range(5)]
    await void(platform.db, holds[2])  # one is gone meanwhile
    outcomes = await settle_all(platform.db, [Settlement(held, ((FEE, PRICE),)) for held in holds])
    assert isinstance(outcomes[2], HoldNotPending)
    settled = [outcome for outcome in outcomes if isinstance(outcome, Settled)]
    assert len(settled) == 4 and len({outcome.transfer_id for outcome in settled}) == 4
    assert len({outcome.entry_hash for outcome in settled}) == 4
    assert await balance(platform, caster) == (6 * PRICE, 0)
    await assert_books_balance(platform)
    await chain_verifies(platform)


async def test_an_expired_hold_is_voided_not_settled(platform: Platform) -> None:
    caster = await funded_caster(platform, "caster", 10 * PRICE)
    held = await hold(platform.db, caster, PRICE, ttl=timedelta(seconds=-1))
    with pytest.raises(HoldNotPending):
        await settle(platform.db, held, [(FEE, PRICE)])
    await void(platform.db, held)
    assert await balance(platform, caster) == (10 * PRICE, 0)


async def test_refusals_say_which_limit_and_how_much_is_left(platform: Platform) -> None:
    caster = await funded_caster(platform, "alice", 2 * PRICE)
    await platform.db.write(lambda s: Budgets(s).set(USER, daily_cap_micros=PRICE))
    await hold(platform.db, caster, PRICE, "cast_1", subjects=(USER,))
    with pytest.raises(BudgetExceeded) as over_cap:
        await hold(platform.db, caster, PRICE, "cast_2", subjects=(USER,))
    assert (over_cap.value.limit, over_cap.value.spent, over_cap.value.held) == ("your daily cap", 0, PRICE)
    await platform.db.write(lambda s: Budgets(s).set(USER, daily_cap_micros=None))
    await hold(platform.db, caster, PRICE, "cast_3", subjects=(USER,))
    with pytest.raises(InsufficientCredits) as short:
        await hold(platform.db, caster, PRICE, "cast_4", subjects=(USER,))
    assert short.value.available == 0 and not isinstance(short.value, AccountInDebt)
    # Refused holds changed nothing.
    assert await balance(platform, caster) == (2 * PRICE, 2 * PRICE)


async def test_a_caster_in_debt_is_told_so(platform: Platform) -> None:
    caster = await funded_caster(platform, "alice", 0)

    def owe(session: Session) -> None:
        ledger = Ledger(session)
        debt = ledger.open_account(AccountKind.CASTER_DEBT, "alice")
        ledger.transfer("dispute", "test", [(debt, -500), (FEE, 500)])

    await platform.db.write(owe)
    with pytest.raises(AccountInDebt) as refused:
        await hold(platform.db, caster, PRICE)
    assert refused.value.debt == 500


# -- racing casts from two processes -----------------------------------------------------------


def _race(url: str, caster: str, first: int, count: int) -> int:
    """In a process of its own: `count` casts at once, each a hold then a settlement. How many
    went through."""

    async def race() -> int:
        db = Database(url)

        async def attempt(n: int) -> bool:
            try:
                held = await hold(db, caster, PRICE, f"cast_{n}", subjects=(USER,))
                await settle(db, held, [(FEE, PRICE)])
                return True
            except (BudgetExceeded, InsufficientCredits):
                return False

        try:
            return sum(await asyncio.gather(*(attempt(n) for n in range(first, first + count))))
        finally:
            await db.dispose()

    return asyncio.run(race())


@pytest.mark.processes
async def test_casts_racing_from_two_processes_never_overspend(platform: Platform) -> None:
    affordable, racers = 37, 200
    caster = await funded_caster(platform, "alice", 1_000 * PRICE)
    await platform.db.write(lambda s: Budgets(s).set(USER, daily_cap_micros=affordable * PRICE))
    url = platform.settings.resolved_database_url()
    spawn = multiprocessing.get_context("spawn")
    loop = asyncio.get_running_loop()
    with ProcessPoolExecutor(2, mp_context=spawn) as processes:
        halves = [
            loop.run_in_executor(processes, _race, url, caster, first, racers // 2)
            for first in (0, racers // 2)
        ]
        through = await asyncio.gather(*halves)
    assert sum(through) == affordable
    assert await balance(platform, caster) == ((1_000 - affordable) * PRICE, 0)
    windows = await platform.db.read(lambda s: Budgets(s).windows(USER, now()))
    assert [(w["spent_micros"], w["held_micros"]) for w in windows] == [(affordable * PRICE, 0)]
    await assert_books_balance(platform)
    await chain_verifies(platform)
