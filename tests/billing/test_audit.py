"""The ledger is tamper-evident: `audit` (and `spell ledger verify`) finds any change to it."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from billing import AccountKind, Ledger, account_id, audit
from spell_mcp.platform import Platform
from tests.billing.money import hold, settle, void


async def busy_ledger(platform: Platform) -> None:
    """Grants, settled and voided casts: a ledger with some history."""

    def accounts(session: Session) -> tuple[str, str]:
        ledger = Ledger(session)
        caster = ledger.open_account(AccountKind.CASTER_CREDITS, "caster")
        ledger.grant(caster, 10_000, "grant-1")
        return caster, ledger.open_account(AccountKind.MAKER_EARNINGS, "maker")

    caster, maker = await platform.db.write(accounts)
    fee = account_id(AccountKind.PLATFORM_REVENUE)
    for n in range(5):
        held = await hold(platform.db, caster, 333, f"cast_{n}")
        if n % 2:
            await void(platform.db, held)
        else:
            await settle(platform.db, held, [(maker, 266), (fee, 67)])
    await hold(platform.db, caster, 100, "cast_running")


async def tamper(platform: Platform, statement: str) -> None:
    """What someone with write access to the database could do, append-only triggers aside."""

    def run(session: Session) -> None:
        if platform.db.backend == "postgresql":
            session.execute(text("ALTER TABLE ledger_entries DISABLE TRIGGER ledger_entries_append_only"))
        else:
            session.execute(text("DROP TRIGGER ledger_entries_no_update"))
            session.execute(text("DROP TRIGGER ledger_entries_no_delete"))
        session.execute(text(statement))

    await platform.db.write(run)


async def test_an_untouched_ledger_verifies(platform: Platform) -> None:
    await busy_ledger(platform)
    report = await platform.db.read(audit)
    assert report.ok, report.problems
    assert report.entries == 2 + 3 * 3 and report.unchained == 0


@pytest.mark.parametrize(
    ("statement", "finding"),
    [
        ("UPDATE ledger_entries SET amount = amount + 1 WHERE seq = 4", "chain broken at entry seq 4"),
        (
            "UPDATE ledger_entries SET account_id = 'platform_revenue' WHERE seq = 4",
            "chain broken at entry seq 4",
        ),
        (
            "DELETE FROM ledger_entries WHERE seq = (SELECT MAX(seq) FROM ledger_entries)",
            "entries were removed",
        ),
        ("DELETE FROM ledger_entries WHERE seq = 3", "chain broken at entry seq 4"),
    ],
    ids=["amount", "payee", "last-entry-removed", "middle-entry-removed"],
)
async def test_a_changed_or_removed_entry_is_found(platform: Platform, statement: str, finding: str) -> None:
    await busy_ledger(platform)
    await tamper(platform, statement)
    report = await platform.db.read(audit)
    assert not report.ok
    assert any(finding in problem for problem in report.problems), report.problems


async def test_a_balance_that_disagrees_with_its_entries_is_found(platform: Platform) -> None:
    await busy_ledger(platform)
    await platform.db.write(
        lambda session: session.execute(
            text("UPDATE accounts SET balance = balance + 5 WHERE id = 'caster_credits:caster'")
        )
    )
    report = await platform.db.read(audit)
    assert report.problems == ["account caster_credits:caster: balance 9006; its entries sum to 9001"]
