"""The double-entry ledger's accounts and transfers, on an ORM session.

Every movement of money is a transfer: two or more `LedgerEntry` legs that sum to zero, with the
accounts' cached `balance` updated in the same transaction. Its statements are the money
module's (billing/cast_money.py), run in the session's transaction; a cast's own hold,
settlement and void run there too, on the database driver.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import bindparam, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

import billing.cast_money as cast_money
from billing.accounts import AccountKind, Split, account_id, split_price
from billing.chain import GENESIS
from billing.models import Account, LedgerTip, table_of
from billing.tx import in_session

__all__ = ["AccountKind", "Ledger", "Split", "account_id", "split_price"]

# Statements are built once: building one costs more than running it on SQLite.
_accounts = table_of(Account)
_BALANCE = select(_accounts.c.balance, _accounts.c.held).where(_accounts.c.id == bindparam("account"))


class Ledger:
    """Ledger operations on an open session. Nothing here commits: the caller owns the transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def open_platform_accounts(self) -> None:
        """The accounts every platform has, whoever its users are, and the chain's head."""
        for kind in (
            AccountKind.PLATFORM_REVENUE,
            AccountKind.OPERATOR_GRANTS,
            AccountKind.PROVIDER_CLEARING,
            AccountKind.TAX_LIABILITY,
            AccountKind.PAYMENT_FEES,
            AccountKind.PAYOUT_CLEARING,
        ):
            self.open_account(kind)
        if self.session.get(LedgerTip, 1) is None:
            self.session.add(LedgerTip(id=1, seq=0, hash=GENESIS))
            self.session.flush()

    def open_account(self, kind: AccountKind, owner_id: str | None = None) -> str:
        """Create the account if it does not exist yet; return its id. Two transactions opening
        the same account at once both succeed (the insert does nothing when it exists)."""
        ident = account_id(kind, owner_id)
        if self.session.get(Account, ident) is None:
            dialect = self.session.get_bind().dialect.name
            upsert = postgresql.insert if dialect == "postgresql" else sqlite.insert
            row = {"id": ident, "kind": kind.value, "owner_id": owner_id, "balance": 0, "held": 0}
            self.session.execute(upsert(_accounts).values(**row).on_conflict_do_nothing())
        return ident

    def balance(self, account: str) -> tuple[int, int]:
        """(posted balance, held by pending holds) of an account."""
        row = self.session.execute(_BALANCE, {"account": account}).one()
        return int(row.balance), int(row.held)

    def grant(self, to_account: str, amount: int, reference: str) -> str:
        """Operator-granted credits: from the grants account into a caster's credits."""
        if amount <= 0:
            raise ValueError("a grant must be positive")
        source = account_id(AccountKind.OPERATOR_GRANTS)
        return self.transfer("grant", reference, [(source, -amount), (to_account, amount)])

    def transfer(self, kind: str, reference: str, legs: Sequence[tuple[str, int]]) -> str:
        """A balanced transfer between existing accounts (legs that sum to zero); zero legs are
        left out. Returns its id."""
        now = datetime.now(UTC)
        return in_session(self.session, lambda tx: cast_money.transfer(tx, kind, reference, legs, now))
