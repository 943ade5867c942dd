"""A cast's money on the driver (billing/cast_money.py) keeps every invariant of the ledger's own
reserve, settle and void: exact splits, the hash chain, budgets never overspent, a hold closed
once, also when settlements are grouped and when both paths race from two processes."""

from __future__ import annotations

import asyncio
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta

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
    audit,
    cast_money,
)
from billing.cast_money import Settled, Settlement, Tx
from spell_mcp.database.engine import Database
from spell_mcp.platform import Platform
from tests.billing.test_ledger import assert_books_balance, balance, funded_caster

TTL = timedelta(minutes=5)
PRICE = 1_000
USER = "user:alice"
FEE = account_id(AccountKind.PLATFORM_REVENUE)


def now() -> datetime:
    return datetime.now(UTC)


async def reserve(db: Database, caster: str, n: int, subjects: tuple[str, ...] = (USER,)) -> str:
    async def work(tx: Tx) -> str:
        return await cast_money.reserve(
            tx, caster, PRICE, f"cast_{n}", ttl=TTL, budget_subjects=subjects, now=now()
        )

    return await db.transaction(work)


async def settle(db: Database, *holds: str, payee: str = FEE) -> list[Settled | HoldNotPending]:
    orders = [Settlement(hold, ((payee, PRICE),)) for hold in holds]

    async def work(tx: Tx) -> list[Settled | HoldNotPending]:
        return await cast_money.settle_many(tx, orders, now())

    return await db.transaction(work)


async def chain_verifies(platform: Platform) -> None:
    report = await platform.db.read(audit)
    assert report.ok, report.problems


async def test_a_settlement_pays_its_payees_exactly_and_extends_the_chain(platform: Platform) -> None:
    caster = await funded_caster(platform, "caster", 10 * PRICE)
    maker = await platform.db.write(lambda s: Ledger(s).open_account(AccountKind.MAKER_EARNINGS, "maker"))
    hold = await reserve(platform.db, caster, 1, subjects=())
    assert await balance(platform, caster) == (10 * PRICE, PRICE)

    async def pay(tx: Tx) -> list[Settled | HoldNotPending]:
        return await cast_money.settle_many(tx, [Settlement(hold, ((maker, 701), (FEE, 299)))], now())

    (settled,) = await platform.db.transaction(pay)
    assert isinstance(settled, Settled) and len(settled.entry_hash) == 64
    assert await balance(platform, caster) == (9 * PRICE, 0)
    assert await balance(platform, maker) == (701, 0)
    assert await balance(platform, FEE) == (299, 0)
    await assert_books_balance(platform)
    await chain_verifies(platform)


async def test_settlements_grouped_in_one_transaction_each_get_their_own_transfer(platform: Platform) -> None:
    caster = await funded_caster(platform, "caster", 10 * PRICE)
    holds = [await reserve(platform.db, caster, n, subjects=()) for n in range(5)]
    await platform.db.transaction(lambda tx: cast_money.void(tx, holds[2]))  # one is gone meanwhile
    outcomes = await settle(platform.db, *holds)
    assert isinstance(outcomes[2], HoldNotPending)
    settled = [outcome for outcome in outcomes if isinstance(outcome, Settled)]
    assert len(settled) == 4 and len({outcome.transfer_id for outcome in settled}) == 4
    assert len({outcome.entry_hash for outcome in settled}) == 4
    assert await balance(platform, caster) == (6 * PRICE, 0)
    await assert_books_balance(platform)
    await chain_verifies(platform)


async def test_a_hold_is_closed_once(platform: Platform) -> None:
    caster = await funded_caster(platform, "caster", 10 * PRICE)
    hold = await reserve(platform.db, caster, 1)
    (first,) = await settle(platform.db, hold)
    assert isinstance(first, Settled)
    (again,) = await settle(platform.db, hold)
    assert isinstance(again, HoldNotPending)
    with pytest.raises(HoldNotPending):
        await platform.db.transaction(lambda tx: cast_money.void(tx, hold))
    assert await balance(platform, caster) == (9 * PRICE, 0)


async def test_an_expired_hold_is_voided_not_settled(platform: Platform) -> None:
    caster = await funded_caster(platform, "caster", 10 * PRICE)

    async def short(tx: Tx) -> str:
        return await cast_money.reserve(
            tx, caster, PRICE, "cast_1", ttl=timedelta(seconds=-1), budget_subjects=(), now=now()
        )

    hold = await platform.db.transaction(short)
    (outcome,) = await settle(platform.db, hold)
    assert isinstance(outcome, HoldNotPending)
    await platform.db.transaction(lambda tx: cast_money.void(tx, hold))
    assert await balance(platform, caster) == (10 * PRICE, 0)


async def test_refusals_say_what_the_ledgers_own_say(platform: Platform) -> None:
    caster = await funded_caster(platform, "alice", 2 * PRICE)
    await platform.db.write(lambda s: Budgets(s).set(USER, daily_cap_micros=PRICE))
    await reserve(platform.db, caster, 1)
    with pytest.raises(BudgetExceeded) as over_cap:
        await reserve(platform.db, caster, 2)
    assert (over_cap.value.limit, over_cap.value.spent, over_cap.value.held) == ("your daily cap", 0, PRICE)
    await platform.db.write(lambda s: Budgets(s).set(USER, daily_cap_micros=None))
    await reserve(platform.db, caster, 3)
    with pytest.raises(InsufficientCredits) as short:
        await reserve(platform.db, caster, 4)
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
        await reserve(platform.db, caster, 1)
    assert refused.value.debt == 500


# -- the same race through the ledger's own path and the driver's, from two processes ----------


def _race(url: str, path: str, caster: str, first: int, count: int) -> int:
    """In a process of its own: `count` casts at once, each a hold then a settlement, through
    the ORM ledger ("orm") or the driver ("driver"). How many went through."""

    async def race() -> int:
        db = Database(url)

        async def attempt(n: int) -> bool:
            try:
                if path == "orm":
                    reserve_orm = Ledger.reserve
                    hold = await db.write(
                        lambda s: reserve_orm(
                            Ledger(s), caster, PRICE, f"cast_{n}", TTL, budget_subjects=[USER]
                        )
                    )
                    await db.write(lambda s: Ledger(s).settle(hold, [(FEE, PRICE)]))
                else:
                    (outcome,) = await settle(db, await reserve(db, caster, n))
                    assert isinstance(outcome, Settled)
                return True
            except (BudgetExceeded, InsufficientCredits):
                return False

        try:
            return sum(await asyncio.gather(*(attempt(n) for n in range(first, first + count))))
        finally:
            await db.dispose()

    return asyncio.run(race())


async def test_both_paths_racing_from_two_processes_never_overspend(platform: Platform) -> None:
    affordable, racers = 37, 200
    caster = await funded_caster(platform, "alice", 1_000 * PRICE)
    await platform.db.write(lambda s: Budgets(s).set(USER, daily_cap_micros=affordable * PRICE))
    url = platform.settings.resolved_database_url()
    spawn = multiprocessing.get_context("spawn")
    loop = asyncio.get_running_loop()
    with ProcessPoolExecutor(2, mp_context=spawn) as processes:
        halves = [
            loop.run_in_executor(processes, _race, url, path, caster, first, racers // 2)
            for path, first in (("orm", 0), ("driver", racers // 2))
        ]
        through = await asyncio.gather(*halves)
    assert sum(through) == affordable
    assert await balance(platform, caster) == ((1_000 - affordable) * PRICE, 0)
    windows = await platform.db.read(lambda s: Budgets(s).windows(USER, now()))
    assert [(w["spent_micros"], w["held_micros"]) for w in windows] == [(affordable * PRICE, 0)]
    await assert_books_balance(platform)
    await chain_verifies(platform)
