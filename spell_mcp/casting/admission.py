"""Admission before the database: with Redis (billing/fast_holds.py) a cast's price is held there
first, across processes, against the caster's credits and the budget windows it counts against, so
that a refusal costs no transaction. The database, which holds the price next, has the last word:
when it refuses what Redis or memory (spell_mcp/casting/lookups.py) admitted, they forget it."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial

import anyio

from billing import AccountInDebt, AccountKind, BudgetExceeded, InsufficientCredits, account_id, cast_money
from billing.budgets import WindowHold, windows_of
from billing.fast_holds import FastHolds
from billing.payments import Payments
from spell_mcp.accounts.keys import Caster
from spell_mcp.casting.context import CastContext
from spell_mcp.casting.lookups import Lookups
from spell_mcp.casting.refusals import money_refusal
from spell_mcp.database.engine import Database
from spell_mcp.errors import MONEY_REFUSALS, SpellError
from spell_mcp.settings import Settings


class Admission:
    def __init__(
        self, settings: Settings, db: Database, lookups: Lookups, fast_holds: FastHolds | None
    ) -> None:
        self.settings = settings
        self.db = db
        self.lookups = lookups
        self.fast_holds = fast_holds

    async def windows(self, caster: Caster, price: int) -> list[WindowHold]:
        """With Redis, the budget windows a price counts against (none for a free cast); the caps
        from memory when they were read a moment ago (the database reads them again)."""
        if self.fast_holds is None or price <= 0:
            return []
        subjects = caster.budget_subjects
        caps = self.lookups.caps(subjects)
        if caps is None:
            caps = await self.db.transaction(partial(cast_money.budget_caps, subjects=subjects))
            self.lookups.remember_caps(subjects, caps)
        try:
            return windows_of(caps, price, datetime.now(UTC))
        except BudgetExceeded as exc:
            raise money_refusal(exc, price, can_buy=self.settings.payments_enabled) from None

    async def admit(self, caster: Caster, cast: CastContext) -> bool:
        """With Redis: hold the cast's price there first. Whether Redis holds it (then `settle`
        or `release` it)."""
        price = cast.spell.price_micros
        if self.fast_holds is None or price <= 0:
            return False
        try:
            return await self.fast_holds.admit(cast.cast_id, caster.credits_account, price, cast.windows)
        except (InsufficientCredits, BudgetExceeded) as exc:
            refusal: InsufficientCredits | BudgetExceeded = exc
            if isinstance(exc, InsufficientCredits) and exc.available <= 0:
                # Redis knows credits, not debt: a caster with nothing may owe money (one read,
                # only for a refusal of a caster who has nothing left).
                debt = await self.db.read(lambda session: Payments(session).money(caster.user_id).debt)
                if debt:
                    refusal = AccountInDebt(price, debt)
            raise money_refusal(refusal, price, can_buy=self.settings.payments_enabled) from None

    async def settle(self, cast_id: str) -> None:
        """The cast Redis held was paid."""
        if self.fast_holds is not None:
            await self.fast_holds.settle(cast_id)

    async def release(self, cast_id: str) -> None:
        """The cast Redis held (if it did) was not paid: give its amount back."""
        if self.fast_holds is not None:
            await self.fast_holds.release(cast_id)

    async def refused(
        self, exc: BaseException, caster: Caster, cast: CastContext, *, fast_held: bool
    ) -> None:
        """A cast ended in `exc` before it was paid: give back what Redis held, and forget what
        Redis or memory said of the caster's money, the spell or the key when the database
        disagreed."""
        if fast_held and self.fast_holds is not None:
            with anyio.CancelScope(shield=True):
                await self.fast_holds.release(cast.cast_id)
                if isinstance(exc, SpellError) and exc.code in MONEY_REFUSALS:
                    # Redis admitted what the database refused: its state is stale.
                    await self.fast_holds.forget(caster.credits_account, cast.windows)
        if isinstance(exc, SpellError) and exc.code == "spell_not_found":
            self.lookups.forget_spells()  # remembered as castable, no longer is
        if isinstance(exc, SpellError) and exc.code == "unauthenticated" and caster.key_id:
            self.lookups.forget_key(caster.key_id)

    async def credits_changed(self, caster_id: str) -> None:
        """Money came in (a top-up, a grant, a refund of a cast): what Redis remembers of the
        caster's credits is stale, and would refuse casts the credits now cover."""
        if self.fast_holds is not None:
            await self.fast_holds.forget(account_id(AccountKind.CASTER_CREDITS, caster_id), [])
