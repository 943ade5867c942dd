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

from sqlalchemy import insert, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from billing.errors import HoldNotPending, InsufficientCredits
from billing.models import Account, Hold, LedgerEntry

BASIS_POINTS = 10_000


class AccountKind(enum.StrEnum):
    CASTER_CREDITS = "caster_credits"
    MAKER_EARNINGS = "maker_earnings"
    PLATFORM_REVENUE = "platform_revenue"
    # Source of credits an operator grants by hand (the embedded default has no payments).
    OPERATOR_GRANTS = "operator_grants"


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


def _now() -> datetime:
    return datetime.now(UTC)


class Ledger:
    """Ledger operations on an open session. Nothing here commits."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def open_account(self, kind: AccountKind, owner_id: str | None = None) -> str:
        """Create the account if it does not exist yet; return its id."""
        ident = account_id(kind, owner_id)
        if await self.session.get(Account, ident) is None:
            self.session.add(Account(id=ident, kind=kind.value, owner_id=owner_id))
            await self.session.flush()
        return ident

    async def available(self, account: str) -> int:
        row = (
            await self.session.execute(
                select(col(Account.balance), col(Account.held)).where(col(Account.id) == account)
            )
        ).one()
        return int(row.balance - row.held)

    async def balance(self, account: str) -> tuple[int, int]:
        row = (
            await self.session.execute(
                select(col(Account.balance), col(Account.held)).where(col(Account.id) == account)
            )
        ).one()
        return int(row.balance), int(row.held)

    async def grant(self, to_account: str, amount: int, reference: str) -> str:
        """Operator-granted credits: from the grants account into a caster's credits."""
        if amount <= 0:
            raise ValueError("a grant must be positive")
        source = await self.open_account(AccountKind.OPERATOR_GRANTS)
        return await self._transfer("grant", reference, [(source, -amount), (to_account, amount)])

    async def reserve(self, account: str, amount: int, reference: str, ttl: timedelta) -> str:
        """Hold `amount` of the account's credits, or raise `InsufficientCredits`."""
        result = await self.session.execute(
            update(Account)
            .where(col(Account.id) == account, col(Account.balance) - col(Account.held) >= amount)
            .values(held=Account.held + amount)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise InsufficientCredits(amount, await self.available(account))
        hold_id = f"hold_{uuid.uuid4().hex}"
        now = _now()
        await self.session.execute(
            insert(Hold).values(
                id=hold_id,
                account_id=account,
                amount=amount,
                status="pending",
                reference=reference,
                created_at=now,
                expires_at=now + ttl,
            )
        )
        return hold_id

    async def settle(self, hold_id: str, payees: Sequence[tuple[str, int]]) -> str:
        """Turn a pending hold into a transfer from the held account to `payees`.

        The payees' amounts must add up to the hold's amount.
        """
        hold = await self._close_hold(hold_id, "settled")
        if sum(amount for _, amount in payees) != hold.amount:
            raise ValueError("payees must add up to the held amount")
        await self.session.execute(
            update(Account).where(col(Account.id) == hold.account_id).values(held=Account.held - hold.amount)
        )
        legs = [(hold.account_id, -hold.amount), *((acct, amt) for acct, amt in payees if amt)]
        return await self._transfer("cast", hold.reference, legs)

    async def void(self, hold_id: str) -> None:
        """Release a pending hold: the caster pays nothing."""
        hold = await self._close_hold(hold_id, "voided")
        await self.session.execute(
            update(Account).where(col(Account.id) == hold.account_id).values(held=Account.held - hold.amount)
        )

    async def _close_hold(self, hold_id: str, status: str) -> _ClosedHold:
        # Conditional on `pending` so that two closers can never both succeed.
        row = (
            await self.session.execute(
                update(Hold)
                .where(col(Hold.id) == hold_id, col(Hold.status) == "pending")
                .values(status=status)
                .returning(col(Hold.account_id), col(Hold.amount), col(Hold.reference))
            )
        ).one_or_none()
        if row is None:
            raise HoldNotPending(f"hold {hold_id} is not pending")
        return _ClosedHold(account_id=row.account_id, amount=int(row.amount), reference=row.reference)

    async def _transfer(self, kind: str, reference: str, legs: Sequence[tuple[str, int]]) -> str:
        if sum(amount for _, amount in legs) != 0:
            raise ValueError("the legs of a transfer must sum to zero")
        transfer_id = f"tr_{uuid.uuid4().hex}"
        now = _now()
        for account, amount in legs:
            await self.session.execute(
                update(Account).where(col(Account.id) == account).values(balance=Account.balance + amount)
            )
        await self.session.execute(
            insert(LedgerEntry),
            [
                {
                    "transfer_id": transfer_id,
                    "account_id": account,
                    "amount": amount,
                    "kind": kind,
                    "reference": reference,
                    "created_at": now,
                }
                for account, amount in legs
            ],
        )
        return transfer_id
