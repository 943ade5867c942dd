"""`spell ledger verify`: recompute the hash chain and every balance from the entries."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from billing.chain import GENESIS, link
from billing.models import Account, Hold, LedgerEntry, LedgerTip, table_of

_entries = table_of(LedgerEntry)


@dataclass
class AuditReport:
    entries: int = 0
    unchained: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def audit(session: Session, *, batch: int = 5000) -> AuditReport:
    """Walk the chain in order, then compare balances and holds with what the rows imply.
    Reports the first broken entry of the chain and every account that does not add up."""
    report = AuditReport()
    head = GENESIS
    last_seq = 0
    totals: dict[str, int] = defaultdict(int)
    chain_broken = False
    query = select(_entries).order_by(_entries.c.seq.is_(None).desc(), _entries.c.seq, _entries.c.id)
    for row in session.execute(query.execution_options(yield_per=batch)).mappings():
        report.entries += 1
        totals[row["account_id"]] += int(row["amount"])
        if row["seq"] is None:
            report.unchained += 1  # written before the chain existed
            continue
        if chain_broken:
            continue
        expected = link(head, dict(row))
        if row["seq"] != last_seq + 1 or row["prev_hash"] != head or row["hash"] != expected:
            report.problems.append(
                f"chain broken at entry seq {row['seq']} (transfer {row['transfer_id']}): "
                "its contents or its place in the chain were changed"
            )
            chain_broken = True
            continue
        head, last_seq = expected, row["seq"]
    tip = session.get(LedgerTip, 1)
    if not chain_broken and tip is not None and (tip.seq, tip.hash) != (last_seq, head):
        report.problems.append(
            f"chain head says entry {tip.seq}, the entries end at {last_seq}: entries were removed"
        )
    if sum(totals.values()) != 0:
        report.problems.append(f"entries do not sum to zero (off by {sum(totals.values())} micro-USD)")
    held: dict[str, int] = defaultdict(int)
    for hold in session.execute(select(Hold).where(col(Hold.status) == "pending")).scalars():
        held[hold.account_id] += hold.amount
    for account in session.execute(select(Account).order_by(col(Account.id))).scalars():
        posted, pending = totals.get(account.id, 0), held.get(account.id, 0)
        if account.balance != posted:
            report.problems.append(
                f"account {account.id}: balance {account.balance}; its entries sum to {posted}"
            )
        if account.held != pending:
            report.problems.append(
                f"account {account.id}: {account.held} held; its pending holds sum to {pending}"
            )
    return report
