"""The database itself refuses to commit a transfer whose legs do not sum to zero, whoever writes
it: legs written by hand, in plain SQL, are refused at commit on both backends, over the driver
and through a session; balanced ones commit. (PostgreSQL checks with a deferred constraint
trigger; SQLite with a seal per transfer that a deferred foreign key requires: migration 0021.)"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import anyio
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from billing import AccountKind, Ledger, account_id, audit
from billing.cast_money import Tx
from spell_mcp.database.engine import Database as Storage
from spell_mcp.platform import Platform
from tests.billing.money import REFUSED, assert_books_balance, balance, chain_verifies, funded_caster
from tests.conftest import Database

FEE = account_id(AccountKind.PLATFORM_REVENUE)
LEG = (
    "INSERT INTO ledger_entries (transfer_id, account_id, amount, kind, reference, created_at) "
    "VALUES (?, ?, ?, 'by_hand', NULL, ?)"
)
SEAL = "INSERT INTO ledger_transfers (id) VALUES (?)"


async def by_hand(tx: Tx, transfer_id: str, legs: Sequence[tuple[str, int]], *, seal: bool = True) -> None:
    """A transfer's legs, one statement each; on SQLite its seal after them, as the ledger writes
    it (billing/cast_money.py)."""
    for account, amount in legs:
        await tx.execute(LEG, transfer_id, account, amount, datetime.now(UTC))
    if seal and tx.backend == "sqlite":
        await tx.execute(SEAL, transfer_id)


async def legs_of(platform: Platform, transfer_id: str) -> list[int]:
    query = text("SELECT amount FROM ledger_entries WHERE transfer_id = :id ORDER BY id")
    return await platform.db.read(lambda s: [int(a) for a in s.execute(query, {"id": transfer_id}).scalars()])


async def test_a_transfer_whose_legs_do_not_sum_to_zero_is_never_committed(platform: Platform) -> None:
    caster = await funded_caster(platform, "caster", 1_000)
    with pytest.raises(REFUSED, match="sum to"):
        await platform.db.transaction(lambda tx: by_hand(tx, "tr_short", [(caster, -100), (FEE, 99)]))
    assert await legs_of(platform, "tr_short") == []
    assert await balance(platform, caster) == (1_000, 0)
    # The platform goes on: the failed transaction left nothing open.
    await platform.db.write(lambda s: Ledger(s).transfer("refund", "test", [(caster, -100), (FEE, 100)]))
    await assert_books_balance(platform)
    await chain_verifies(platform)


async def test_a_balanced_transfer_written_by_hand_commits(platform: Platform) -> None:
    caster = await funded_caster(platform, "caster", 1_000)
    legs = [(caster, -100), (FEE, 60), (FEE, 40)]
    await platform.db.transaction(lambda tx: by_hand(tx, "tr_even", legs))
    assert await legs_of(platform, "tr_even") == [-100, 60, 40]


async def test_legs_are_summed_at_commit_not_at_each_statement(platform: Platform) -> None:
    caster = await funded_caster(platform, "caster", 1_000)

    async def leg_by_leg(tx: Tx) -> None:
        # Unbalanced after the first statement; balanced by the last.
        await by_hand(tx, "tr_steps", [(caster, -100)], seal=False)
        await by_hand(tx, "tr_steps", [(FEE, 100)])

    await platform.db.transaction(leg_by_leg)
    assert await legs_of(platform, "tr_steps") == [-100, 100]


async def test_a_session_commits_no_unbalanced_transfer_either(platform: Platform) -> None:
    caster = await funded_caster(platform, "caster", 1_000)

    def unbalanced(session: Session) -> None:
        for account, amount in ((caster, -100), (FEE, 101)):
            session.execute(
                text(
                    "INSERT INTO ledger_entries (transfer_id, account_id, amount, kind, created_at) "
                    "VALUES ('tr_long', :account, :amount, 'by_hand', :now)"
                ),
                {"account": account, "amount": amount, "now": datetime.now(UTC)},
            )
        if platform.db.backend == "sqlite":
            session.execute(text("INSERT INTO ledger_transfers (id) VALUES ('tr_long')"))

    with pytest.raises(IntegrityError, match="sum to"):
        await platform.db.write(unbalanced)
    assert await legs_of(platform, "tr_long") == []


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
async def test_on_sqlite_a_transfer_commits_only_sealed_and_a_seal_is_final(platform: Platform) -> None:
    caster = await funded_caster(platform, "caster", 1_000)
    even = [(caster, -100), (FEE, 100)]

    def unsealed_then_sealed() -> None:
        # Legs without their seal: refused at commit, balanced or not; and the thread's
        # connection is not left inside the refused transaction.
        with pytest.raises(REFUSED, match="FOREIGN KEY"):
            platform.db.transaction_here(lambda tx: by_hand(tx, "tr_open", even, seal=False))
        platform.db.transaction_here(lambda tx: by_hand(tx, "tr_next", even))

    await anyio.to_thread.run_sync(unsealed_then_sealed)
    with pytest.raises(IntegrityError, match="FOREIGN KEY"):
        await platform.db.write(
            lambda s: s.execute(
                text(
                    "INSERT INTO ledger_entries (transfer_id, account_id, amount, kind, created_at) "
                    "VALUES ('tr_open', :account, 0, 'by_hand', :now)"
                ),
                {"account": caster, "now": datetime.now(UTC)},
            )
        )
    assert await legs_of(platform, "tr_open") == []
    assert await legs_of(platform, "tr_next") == [-100, 100]
    # A seal for a transfer without legs is refused too.
    with pytest.raises(REFUSED, match="sum to zero"):
        await platform.db.transaction(lambda tx: tx.execute(SEAL, "tr_nothing"))
    await platform.db.transaction(lambda tx: by_hand(tx, "tr_sealed", [(caster, -100), (FEE, 100)]))
    # A leg added to a sealed transfer, even one that would balance with another, is refused.
    with pytest.raises(REFUSED, match="sealed"):
        await platform.db.transaction(lambda tx: by_hand(tx, "tr_sealed", [(caster, -1)], seal=False))
    for statement in ("UPDATE ledger_transfers SET id = 'tr_other'", "DELETE FROM ledger_transfers"):
        with pytest.raises(REFUSED, match="append-only"):
            await platform.db.transaction(lambda tx, sql=statement: tx.execute(sql))
    assert await legs_of(platform, "tr_sealed") == [-100, 100]


async def test_a_ledger_with_history_is_upgraded_with_its_transfers_sealed(empty_database: Database) -> None:
    store = Storage(empty_database.url)
    try:
        await store.migrate("0020")

        def history(session: Session) -> None:
            now = datetime.now(UTC)
            for ident, balance_ in (("a", -100), ("b", 100)):
                session.execute(
                    text("INSERT INTO accounts (id, kind, balance, held) VALUES (:id, 'test', :balance, 0)"),
                    {"id": ident, "balance": balance_},
                )
            session.execute(
                text("INSERT INTO ledger_tip (id, seq, hash) VALUES (1, 0, :genesis)"), {"genesis": "0" * 64}
            )
            for ident, amount in (("a", -100), ("b", 100)):
                session.execute(
                    text(
                        "INSERT INTO ledger_entries (transfer_id, account_id, amount, kind, created_at) "
                        "VALUES ('tr_old', :id, :amount, 'old', :now)"
                    ),
                    {"id": ident, "amount": amount, "now": now},
                )

        await store.write(history)
        await store.migrate()
        await store.write(lambda s: Ledger(s).transfer("refund", "new", [("b", -30), ("a", 30)]))
        if empty_database.backend == "sqlite":
            with pytest.raises(REFUSED, match="sealed"):
                await store.transaction(lambda tx: by_hand(tx, "tr_old", [("a", 0)], seal=False))
        with pytest.raises(DBAPIError, match="append-only"):
            await store.write(lambda s: s.execute(text("DELETE FROM ledger_entries")))
        assert (await store.read(lambda s: Ledger(s).balance("a"))) == (-70, 0)
        report = await store.read(audit)
        assert report.ok and (report.entries, report.unchained) == (4, 2), report.problems
    finally:
        await store.dispose()
