"""What the billing tests do with money: fund a caster, and hold, settle and void through the one
path every cast takes (billing/cast_money.py, on the driver); and what they check afterwards."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import asyncpg
from sqlalchemy import func
from sqlalchemy.orm import Session
from sqlmodel import col, select

from billing import Account, AccountKind, HoldNotPending, Ledger, LedgerEntry, audit, cast_money
from billing.cast_money import Settled, Settlement, Tx
from spell_mcp.database.engine import Database
from spell_mcp.platform import Platform

TTL = timedelta(minutes=5)
# What the database raises on the driver when it refuses a statement or a commit.
REFUSED = (sqlite3.IntegrityError, asyncpg.IntegrityConstraintViolationError)


def now() -> datetime:
    return datetime.now(UTC)


async def funded_caster(platform: Platform, owner: str, credits: int) -> str:
    def fund(session: Session) -> str:
        ledger = Ledger(session)
        account = ledger.open_account(AccountKind.CASTER_CREDITS, owner)
        if credits:
            ledger.grant(account, credits, reference="test")
        return account

    return await platform.db.write(fund)


async def hold(
    db: Database,
    account: str,
    amount: int,
    reference: str = "cast",
    *,
    subjects: Sequence[str] = (),
    ttl: timedelta = TTL,
) -> str:
    """A cast's hold, in a transaction of its own."""

    async def work(tx: Tx) -> str:
        return await cast_money.reserve(
            tx, account, amount, reference, ttl=ttl, budget_subjects=subjects, now=now()
        )

    return await db.transaction(work)


async def settle_all(db: Database, settlements: Sequence[Settlement]) -> list[Settled | HoldNotPending]:
    """Settlements grouped in one transaction, as a group commit makes them."""

    async def work(tx: Tx) -> list[Settled | HoldNotPending]:
        return await cast_money.settle_many(tx, settlements, now())

    return await db.transaction(work)


async def settle(db: Database, hold_id: str, payees: Sequence[tuple[str, int]]) -> Settled:
    """One settlement; raises `HoldNotPending` when the hold was no longer pending."""
    (outcome,) = await settle_all(db, [Settlement(hold_id, tuple(payees))])
    if isinstance(outcome, HoldNotPending):
        raise outcome
    return outcome


async def void(db: Database, hold_id: str) -> None:
    await db.transaction(lambda tx: cast_money.void(tx, hold_id))


async def balance(platform: Platform, account: str) -> tuple[int, int]:
    return await platform.db.read(lambda session: Ledger(session).balance(account))


async def assert_books_balance(platform: Platform) -> None:
    """Every balance is the sum of its entries, and all balances sum to zero."""

    def books(session: Session) -> tuple[list[Account], dict[str, int]]:
        accounts = list(session.execute(select(Account)).scalars().all())
        sums = session.execute(
            select(col(LedgerEntry.account_id), func.sum(col(LedgerEntry.amount))).group_by(
                col(LedgerEntry.account_id)
            )
        ).all()
        return accounts, {account: int(total) for account, total in sums}

    accounts, sums = await platform.db.read(books)
    assert sum(a.balance for a in accounts) == 0
    for account in accounts:
        assert account.balance == sums.get(account.id, 0), account.id


async def chain_verifies(platform: Platform) -> None:
    report = await platform.db.read(audit)
    assert report.ok, report.problems
