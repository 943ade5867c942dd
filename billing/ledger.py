"""The double-entry ledger and two-phase holds.

Every movement of money is a transfer: two or more `LedgerEntry` legs that sum to zero, with the
accounts' cached `balance` updated in the same transaction. A cast reserves its price first
(a hold that succeeds only if balance - held covers it, decided by one conditional UPDATE so
that racing casts can never overspend), then settles (caster pays maker share + platform fee)
or voids (the caster pays nothing).
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from billing.budgets import Budgets, CrossedAlert, WindowHold
from billing.chain import GENESIS, link
from billing.errors import AccountInDebt, HoldNotPending, InsufficientCredits
from billing.models import Account, Hold, LedgerEntry, LedgerTip, table_of

BASIS_POINTS = 10_000


class AccountKind(enum.StrEnum):
    CASTER_CREDITS = "caster_credits"
    MAKER_EARNINGS = "maker_earnings"
    PLATFORM_REVENUE = "platform_revenue"
    # Source of credits an operator grants by hand (the embedded default has no payments).
    OPERATOR_GRANTS = "operator_grants"
    # Money held for the platform by its payment provider (Stripe): negative while it holds it.
    PROVIDER_CLEARING = "provider_clearing"
    # Sales tax collected on top-ups, owed to tax authorities.
    TAX_LIABILITY = "tax_liability"
    # What the payment provider charged the platform for taking payments.
    PAYMENT_FEES = "payment_fees"
    # What a caster owes (never positive): credits taken back after they were spent.
    CASTER_DEBT = "caster_debt"
    # A caster's credits frozen while a payment is disputed.
    CASTER_FROZEN = "caster_frozen"
    # Makers' earnings sent to their payout accounts (positive by what was sent).
    PAYOUT_CLEARING = "payout_clearing"


@dataclass(frozen=True, slots=True)
class Split:
    maker_share: int
    platform_fee: int


def split_price(price: int, maker_share_bps: int) -> Split:
    """Split a price by integer division; the remainder goes to the platform, so the parts
    always add up to the price exactly."""
    if price < 0 or not 0 <= maker_share_bps <= BASIS_POINTS:
        raise ValueError("price must be >= 0 and the share within 0..10000 basis points")
    maker = price * maker_share_bps // BASIS_POINTS
    return Split(maker_share=maker, platform_fee=price - maker)


def account_id(kind: AccountKind, owner_id: str | None = None) -> str:
    return f"{kind.value}:{owner_id}" if owner_id else kind.value


@dataclass(frozen=True, slots=True)
class _ClosedHold:
    account_id: str
    amount: int
    reference: str
    windows: list[WindowHold]


def _now() -> datetime:
    return datetime.now(UTC)


# Statements are built once: building one costs more than running it on SQLite.
_accounts = table_of(Account)
_holds = table_of(Hold)
_entries = table_of(LedgerEntry)
_BALANCE = select(_accounts.c.balance, _accounts.c.held).where(_accounts.c.id == bindparam("account"))
_RESERVE = (
    update(_accounts)
    .where(
        _accounts.c.id == bindparam("account"), _accounts.c.balance - _accounts.c.held >= bindparam("amount")
    )
    .values(held=_accounts.c.held + bindparam("amount"))
)
_RELEASE = (
    update(_accounts)
    .where(_accounts.c.id == bindparam("account"))
    .values(held=_accounts.c.held - bindparam("amount"))
)
_MOVE = (
    update(_accounts)
    .where(_accounts.c.id == bindparam("account"))
    .values(balance=_accounts.c.balance + bindparam("amount"))
)
_INSERT_HOLD = insert(_holds)
# Conditional on `pending` so that two closers can never both succeed.
_CLOSE_HOLD = (
    update(_holds)
    .where(_holds.c.id == bindparam("hold"), _holds.c.status == "pending")
    .values(status=bindparam("new_status"))
    .returning(_holds.c.account_id, _holds.c.amount, _holds.c.reference, _holds.c.windows)
)
# A hold past its expiry can only be voided: the sweeper may already be releasing it.
_CLOSE_LIVE_HOLD = _CLOSE_HOLD.where(_holds.c.expires_at > bindparam("now"))
_EXPIRED_HOLDS = (
    select(_holds.c.id, _holds.c.reference)
    .where(_holds.c.status == "pending", _holds.c.expires_at <= bindparam("now"))
    .order_by(_holds.c.expires_at)
    .limit(bindparam("limit"))
)
_INSERT_ENTRIES = insert(_entries)
_tip = table_of(LedgerTip)
# Serialises transfers on PostgreSQL (SQLite serialises every writer anyway), so the chain
# never forks: each transfer extends the head it read.
_LOCK_TIP = select(_tip.c.seq, _tip.c.hash).where(_tip.c.id == 1).with_for_update()
_MOVE_TIP = update(_tip).where(_tip.c.id == 1).values(seq=bindparam("new_seq"), hash=bindparam("new_hash"))


class Ledger:
    """Ledger operations on an open session. Nothing here commits: the caller owns the transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session
        # The chain hash of the last entry this ledger wrote (receipts quote it).
        self.last_entry_hash: str | None = None
        # Budget alerts the last settle crossed.
        self.alerts_crossed: list[CrossedAlert] = []

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
        return self._transfer("grant", reference, [(source, -amount), (to_account, amount)])

    def reserve(
        self, account: str, amount: int, reference: str, ttl: timedelta, budget_subjects: Sequence[str] = ()
    ) -> str:
        """Hold `amount` of the account's credits and of every budget of `budget_subjects`, or
        raise `InsufficientCredits` / `BudgetExceeded` (the caller's transaction then rolls back).

        One conditional UPDATE per limit decides, so racing reserves can never overspend.
        """
        if amount <= 0:
            raise ValueError("a hold must be positive")
        if _rowcount(self.session.execute(_RESERVE, {"account": account, "amount": amount})) != 1:
            balance, held = self.balance(account)
            owner = account.partition(":")[2]
            debt = self.session.get(Account, account_id(AccountKind.CASTER_DEBT, owner)) if owner else None
            if debt is not None and debt.balance < 0:
                raise AccountInDebt(amount, -debt.balance)
            raise InsufficientCredits(amount, balance - held)
        now = _now()
        windows = Budgets(self.session).hold(list(budget_subjects), amount, now)
        hold_id = f"hold_{uuid.uuid4().hex}"
        self.session.execute(
            _INSERT_HOLD,
            {
                "id": hold_id,
                "account_id": account,
                "amount": amount,
                "status": "pending",
                "reference": reference,
                "created_at": now,
                "expires_at": now + ttl,
                "windows": [window.as_dict() for window in windows],
            },
        )
        return hold_id

    def settle(self, hold_id: str, payees: Sequence[tuple[str, int]]) -> str:
        """Turn a pending hold into a transfer from the held account to `payees`.

        The payees' amounts must add up to the hold's amount.
        """
        hold = self._close_hold(hold_id, "settled", live_at=_now())
        if sum(amount for _, amount in payees) != hold.amount:
            raise ValueError("payees must add up to the held amount")
        legs = [(hold.account_id, -hold.amount), *((acct, amt) for acct, amt in payees if amt)]
        transfer_id = self._transfer("cast", hold.reference, legs)
        self.alerts_crossed = Budgets(self.session).settle(hold.windows, hold.amount, _now())
        return transfer_id

    def void(self, hold_id: str) -> None:
        """Release a pending hold: the caster pays nothing."""
        hold = self._close_hold(hold_id, "voided")
        Budgets(self.session).release(hold.windows, hold.amount)

    def expire_holds(self, now: datetime, limit: int = 500) -> list[tuple[str, str]]:
        """Void pending holds that expired by `now` (a crashed server never leaves money stuck).
        Returns (hold id, reference) of each one voided."""
        expired = self.session.execute(_EXPIRED_HOLDS, {"now": now, "limit": limit}).all()
        voided = []
        for hold_id, reference in expired:
            try:
                self.void(hold_id)
            except HoldNotPending:
                continue  # settled or voided meanwhile by its own cast
            voided.append((hold_id, reference))
        return voided

    def _close_hold(self, hold_id: str, status: str, *, live_at: datetime | None = None) -> _ClosedHold:
        if live_at is None:
            closed = self.session.execute(_CLOSE_HOLD, {"hold": hold_id, "new_status": status})
        else:
            closed = self.session.execute(
                _CLOSE_LIVE_HOLD, {"hold": hold_id, "new_status": status, "now": live_at}
            )
        row = closed.one_or_none()
        if row is None:
            raise HoldNotPending(f"hold {hold_id} is not pending, or has expired")
        self.session.execute(_RELEASE, {"account": row.account_id, "amount": row.amount})
        return _ClosedHold(
            account_id=row.account_id,
            amount=int(row.amount),
            reference=row.reference,
            windows=[WindowHold.from_dict(w) for w in row.windows or []],
        )

    def transfer(self, kind: str, reference: str, legs: Sequence[tuple[str, int]]) -> str:
        """A balanced transfer between existing accounts (legs that sum to zero); zero legs are
        left out. Returns its id."""
        return self._transfer(kind, reference, [(account, amount) for account, amount in legs if amount])

    def _transfer(self, kind: str, reference: str, legs: Sequence[tuple[str, int]]) -> str:
        if sum(amount for _, amount in legs) != 0:
            raise ValueError("the legs of a transfer must sum to zero")
        transfer_id = f"tr_{uuid.uuid4().hex}"
        now = _now()
        for account, amount in legs:
            if _rowcount(self.session.execute(_MOVE, {"account": account, "amount": amount})) != 1:
                raise ValueError(f"no ledger account {account}")
        seq, head = self.session.execute(_LOCK_TIP).one()
        entries = []
        for account, amount in legs:
            seq += 1
            entry = {
                "seq": seq,
                "transfer_id": transfer_id,
                "account_id": account,
                "amount": amount,
                "kind": kind,
                "reference": reference,
                "created_at": now,
            }
            entry["prev_hash"], head = head, link(head, entry)
            entry["hash"] = head
            entries.append(entry)
        self.session.execute(_INSERT_ENTRIES, entries)
        self.session.execute(_MOVE_TIP, {"new_seq": seq, "new_hash": head})
        self.last_entry_hash = head
        return transfer_id


def _rowcount(result: Any) -> int:
    count: int = result.rowcount
    return count
