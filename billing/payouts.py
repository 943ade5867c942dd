"""What a maker is owed and may be paid, and the postings of a payout.

A maker's earnings become payable once they are older than the refund window: the payable
amount is the earnings balance less what casts settled after the cutoff brought in. Clawbacks
(negative earnings) are already in the balance, so they come off the next payout, and a
negative balance pays nothing until later earnings cover it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from billing.accounts import AccountKind, account_id
from billing.ledger import Ledger
from billing.models import LedgerEntry, table_of

_entries = table_of(LedgerEntry)


@dataclass(frozen=True, slots=True)
class EarningsStatement:
    """A maker's earnings between two moments, and what is payable at the later one."""

    casts: int
    gross: int  # what casters paid for those casts
    earned: int  # the maker's share of it
    clawbacks: int  # earnings taken back (positive amount)
    payable: int

    @property
    def platform(self) -> int:
        return self.gross - self.earned


def statement(session: Session, maker_id: str, since: datetime | None, cutoff: datetime) -> EarningsStatement:
    earnings = account_id(AccountKind.MAKER_EARNINGS, maker_id)
    balance, _ = Ledger(session).balance(earnings)
    mine = _entries.c.account_id == earnings
    recent = session.execute(
        select(func.coalesce(func.sum(_entries.c.amount), 0)).where(
            mine, _entries.c.kind == "cast", _entries.c.amount > 0, _entries.c.created_at > cutoff
        )
    ).scalar_one()
    window = [mine, _entries.c.created_at <= cutoff]
    if since is not None:
        window.append(_entries.c.created_at > since)
    casts, earned = session.execute(
        select(func.count(), func.coalesce(func.sum(_entries.c.amount), 0)).where(
            *window, _entries.c.kind == "cast", _entries.c.amount > 0
        )
    ).one()
    clawbacks = session.execute(
        select(func.coalesce(func.sum(_entries.c.amount), 0)).where(
            *window, _entries.c.amount < 0, _entries.c.kind.notin_(("payout",))
        )
    ).scalar_one()
    # What casters paid for the same casts: the debit leg of each of those transfers.
    payer = aliased(_entries)
    maker_transfers = select(_entries.c.transfer_id).where(
        *window, _entries.c.kind == "cast", _entries.c.amount > 0
    )
    gross = session.execute(
        select(func.coalesce(func.sum(-payer.c.amount), 0)).where(
            payer.c.transfer_id.in_(maker_transfers), payer.c.amount < 0
        )
    ).scalar_one()
    return EarningsStatement(
        casts=int(casts),
        gross=int(gross),
        earned=int(earned),
        clawbacks=-int(clawbacks),
        payable=max(int(balance) - int(recent), 0),
    )


def pay_out(session: Session, maker_id: str, amount: int, reference: str) -> str:
    """Earnings leave for the maker's payout account."""
    ledger = Ledger(session)
    clearing = ledger.open_account(AccountKind.PAYOUT_CLEARING)
    earnings = account_id(AccountKind.MAKER_EARNINGS, maker_id)
    return ledger.transfer("payout", reference, [(earnings, -amount), (clearing, amount)])


def payout_returned(session: Session, maker_id: str, amount: int, reference: str) -> str:
    """A payout that did not reach the maker (failed, or reversed) is earnings again."""
    ledger = Ledger(session)
    clearing = ledger.open_account(AccountKind.PAYOUT_CLEARING)
    earnings = account_id(AccountKind.MAKER_EARNINGS, maker_id)
    return ledger.transfer("payout_returned", reference, [(clearing, -amount), (earnings, amount)])
