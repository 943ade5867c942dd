"""Money into and out of a caster's credits from outside the platform: operator grants, top-ups
paid through a payment provider, refunds, and disputes. Each is one balanced transfer.

Signs: an account's balance is what the platform holds for its owner, so the sources of money
from outside (`operator_grants`, `provider_clearing`) go negative as money comes in, and
`payment_fees` goes negative by what the provider charged.

Two rules a finance team relies on:
- Whatever comes in repays the caster's debt first: credits are never spendable while the
  caster owes anything (a cast's hold is refused with `AccountInDebt`, billing/cast_money.py).
- Whatever goes out takes the caster's available credits first (never those held by running
  casts), and what they do not cover becomes debt: nothing is silently written off.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from billing.accounts import AccountKind, account_id
from billing.errors import InsufficientCredits
from billing.ledger import Ledger
from billing.models import Account, LedgerEntry, table_of

Legs = list[tuple[str, int]]


@dataclass(frozen=True, slots=True)
class CasterMoney:
    """A caster's money as a person sees it."""

    balance: int
    held: int
    debt: int
    frozen: int

    @property
    def available(self) -> int:
        return max(self.balance - self.held, 0) if self.debt == 0 else 0


class Payments:
    """Postings on an open session; nothing here commits."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.ledger = Ledger(session)

    def money(self, caster_id: str) -> CasterMoney:
        balance, held = self.ledger.balance(account_id(AccountKind.CASTER_CREDITS, caster_id))
        return CasterMoney(
            balance=balance,
            held=held,
            debt=-self._balance(AccountKind.CASTER_DEBT, caster_id),
            frozen=self._balance(AccountKind.CASTER_FROZEN, caster_id),
        )

    # -- in ----------------------------------------------------------------------------------

    def grant(self, caster_id: str, amount: int, reference: str) -> str:
        """Credits an operator gives (or, negative, takes back: never more than is available)."""
        source = account_id(AccountKind.OPERATOR_GRANTS)
        if amount > 0:
            return self.ledger.transfer(
                "grant", reference, [(source, -amount), *self._into(caster_id, amount)]
            )
        if amount == 0:
            raise ValueError("a grant must move money")
        credits = account_id(AccountKind.CASTER_CREDITS, caster_id)
        balance, held = self.ledger.balance(credits)
        if balance - held < -amount:
            raise InsufficientCredits(-amount, balance - held)
        return self.ledger.transfer("grant", reference, [(credits, amount), (source, -amount)])

    def top_up(self, caster_id: str, *, credits: int, tax: int, fee: int, reference: str) -> str:
        """A paid top-up: `credits` (before tax) to the caster, `tax` owed to the tax
        authorities, and the provider's `fee` an expense of the platform."""
        if credits <= 0 or tax < 0 or fee < 0:
            raise ValueError("a top-up brings credits, and no negative tax or fee")
        clearing = self._platform(AccountKind.PROVIDER_CLEARING)
        legs: Legs = [
            (clearing, -(credits + tax)),
            (self._platform(AccountKind.TAX_LIABILITY), tax),
            *self._into(caster_id, credits),
        ]
        transfer = self.ledger.transfer("top_up", reference, legs)
        if fee:
            self.provider_fee(fee, reference)
        return transfer

    def provider_fee(self, fee: int, reference: str) -> str:
        """What the provider kept of a payment: an expense of the platform (also of a payment it
        paid back in full, whose fee the provider does not return)."""
        clearing, fees = (
            self._platform(AccountKind.PROVIDER_CLEARING),
            self._platform(AccountKind.PAYMENT_FEES),
        )
        return self.ledger.transfer("payment_fee", reference, [(clearing, fee), (fees, -fee)])

    # -- out ---------------------------------------------------------------------------------

    def refund(self, caster_id: str, *, credits: int, tax: int, reference: str) -> str:
        """Money paid back to the caster's card: the credits it bought (into debt where they
        were spent) and the tax collected on them."""
        if credits < 0 or tax < 0 or credits + tax == 0:
            raise ValueError("a refund takes back a positive amount")
        legs: Legs = [
            (self._platform(AccountKind.PROVIDER_CLEARING), credits + tax),
            (self._platform(AccountKind.TAX_LIABILITY), -tax),
            *self._out_of(caster_id, credits),
        ]
        return self.ledger.transfer("refund", reference, legs)

    def freeze(self, caster_id: str, credits: int, reference: str) -> str:
        """A payment is disputed: its credits cannot be spent until the dispute closes."""
        frozen = self._owned(AccountKind.CASTER_FROZEN, caster_id)
        return self.ledger.transfer(
            "dispute", reference, [*self._out_of(caster_id, credits), (frozen, credits)]
        )

    def dispute_won(self, caster_id: str, credits: int, reference: str) -> str:
        frozen = self._owned(AccountKind.CASTER_FROZEN, caster_id)
        return self.ledger.transfer(
            "dispute_won", reference, [(frozen, -credits), *self._into(caster_id, credits)]
        )

    def dispute_lost(self, caster_id: str, *, credits: int, tax: int, reference: str) -> str:
        """The card's issuer took the payment back: the frozen credits and the tax on them leave."""
        legs: Legs = [
            (self._owned(AccountKind.CASTER_FROZEN, caster_id), -credits),
            (self._platform(AccountKind.TAX_LIABILITY), -tax),
            (self._platform(AccountKind.PROVIDER_CLEARING), credits + tax),
        ]
        return self.ledger.transfer("dispute_lost", reference, legs)

    def refund_cast(self, caster_id: str, cast_transfer: str, reference: str) -> str:
        """Undo a settled cast exactly: the caster gets its price back (repaying any debt first),
        and the maker's share and the platform's fee leave their accounts, even when the maker's
        earnings were already paid out: then they go negative, and the next payouts make it up."""
        entries = table_of(LedgerEntry)
        legs = self.session.execute(
            select(entries.c.account_id, entries.c.amount).where(
                entries.c.transfer_id == cast_transfer, entries.c.kind == "cast"
            )
        ).all()
        credits = account_id(AccountKind.CASTER_CREDITS, caster_id)
        price = -sum(int(amount) for account, amount in legs if account == credits)
        if price <= 0:
            raise ValueError(f"transfer {cast_transfer} is no cast paid from {caster_id}'s credits")
        back: Legs = [(account, -int(amount)) for account, amount in legs if account != credits]
        return self.ledger.transfer("cast_refund", reference, [*back, *self._into(caster_id, price)])

    # -- legs --------------------------------------------------------------------------------

    def _into(self, caster_id: str, amount: int) -> Legs:
        """`amount` coming to a caster: its debt is repaid first, the rest becomes credits."""
        legs: Legs = []
        if repaid := min(amount, -self._balance(AccountKind.CASTER_DEBT, caster_id)):
            legs.append((self._owned(AccountKind.CASTER_DEBT, caster_id), repaid))
        return [*legs, (account_id(AccountKind.CASTER_CREDITS, caster_id), amount - repaid)]

    def _out_of(self, caster_id: str, amount: int) -> Legs:
        """`amount` leaving a caster: from its available credits, the rest as debt."""
        credits = account_id(AccountKind.CASTER_CREDITS, caster_id)
        balance, held = self.ledger.balance(credits)
        taken = min(amount, max(balance - held, 0))
        legs: Legs = [(credits, -taken)]
        if shortfall := amount - taken:
            legs.append((self._owned(AccountKind.CASTER_DEBT, caster_id), -shortfall))
        return legs

    def _owned(self, kind: AccountKind, caster_id: str) -> str:
        return self.ledger.open_account(kind, caster_id)

    def _platform(self, kind: AccountKind) -> str:
        return self.ledger.open_account(kind)

    def _balance(self, kind: AccountKind, owner_id: str) -> int:
        account = self.session.get(Account, account_id(kind, owner_id))
        return int(account.balance) if account is not None else 0
