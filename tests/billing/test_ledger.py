"""The ledger never loses a micro-dollar, and holds never overspend, on every backend."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session
from sqlmodel import col, select

from billing import (
    Account,
    AccountKind,
    HoldNotPending,
    InsufficientCredits,
    Ledger,
    LedgerEntry,
    account_id,
    split_price,
)
from spell_mcp.platform import Platform

TTL = timedelta(minutes=5)


@given(price=st.integers(min_value=0, max_value=10**15), share=st.integers(min_value=0, max_value=10_000))
def test_a_split_always_adds_up_to_the_price(price: int, share: int) -> None:
    split = split_price(price, share)
    assert split.maker_share + split.platform_fee == price
    assert 0 <= split.maker_share <= price
    # The remainder of the integer division goes to the platform, never more than 1 micro-USD.
    assert price * share / 10_000 - 1 < split.maker_share <= price * share / 10_000


def test_a_split_refuses_negative_prices_and_impossible_shares() -> None:
    with pytest.raises(ValueError):
        split_price(-1, 8000)
    with pytest.raises(ValueError):
        split_price(100, 10_001)


async def funded_caster(platform: Platform, owner: str, credits: int) -> str:
    def fund(session: Session) -> str:
        ledger = Ledger(session)
        account = ledger.open_account(AccountKind.CASTER_CREDITS, owner)
        if credits:
            ledger.grant(account, credits, reference="test")
        return account

    return await platform.db.write(fund)


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


async def balance(platform: Platform, account: str) -> tuple[int, int]:
    return await platform.db.read(lambda session: Ledger(session).balance(account))


async def test_settling_a_hold_pays_maker_and_platform_exactly(platform: Platform) -> None:
    caster = await funded_caster(platform, "caster", 1_000)

    def cast(session: Session) -> tuple[str, str]:
        ledger = Ledger(session)
        maker = ledger.open_account(AccountKind.MAKER_EARNINGS, "maker")
        fee = account_id(AccountKind.PLATFORM_REVENUE)
        hold = ledger.reserve(caster, 333, "cast_1", TTL)
        assert ledger.balance(caster) == (1_000, 333)
        split = split_price(333, 8000)
        ledger.settle(hold, [(maker, split.maker_share), (fee, split.platform_fee)])
        return maker, fee

    maker, fee = await platform.db.write(cast)
    assert await balance(platform, caster) == (667, 0)
    assert await balance(platform, maker) == (266, 0)
    assert await balance(platform, fee) == (67, 0)
    await assert_books_balance(platform)


async def test_voiding_a_hold_charges_nothing(platform: Platform) -> None:
    caster = await funded_caster(platform, "caster", 1_000)

    def void(session: Session) -> None:
        ledger = Ledger(session)
        ledger.void(ledger.reserve(caster, 400, "cast_1", TTL))

    await platform.db.write(void)
    assert await balance(platform, caster) == (1_000, 0)
    await assert_books_balance(platform)


async def test_a_hold_closes_once(platform: Platform) -> None:
    caster = await funded_caster(platform, "caster", 1_000)
    fee = account_id(AccountKind.PLATFORM_REVENUE)
    hold = await platform.db.write(lambda session: Ledger(session).reserve(caster, 100, "cast_1", TTL))
    await platform.db.write(lambda session: Ledger(session).settle(hold, [(fee, 100)]))
    with pytest.raises(HoldNotPending):
        await platform.db.write(lambda session: Ledger(session).settle(hold, [(fee, 100)]))
    with pytest.raises(HoldNotPending):
        await platform.db.write(lambda session: Ledger(session).void(hold))
    assert await balance(platform, caster) == (900, 0)


async def test_a_reserve_beyond_available_credits_is_refused(platform: Platform) -> None:
    caster = await funded_caster(platform, "caster", 1_000)
    await platform.db.write(lambda session: Ledger(session).reserve(caster, 700, "cast_1", TTL))
    with pytest.raises(InsufficientCredits) as refused:
        await platform.db.write(lambda session: Ledger(session).reserve(caster, 301, "cast_2", TTL))
    assert (refused.value.needed, refused.value.available) == (301, 300)


async def test_a_refused_transaction_leaves_nothing_behind(platform: Platform) -> None:
    caster = await funded_caster(platform, "caster", 1_000)

    def reserve_then_fail(session: Session) -> None:
        Ledger(session).reserve(caster, 500, "cast_1", TTL)
        raise RuntimeError("the cast could not be recorded")

    with pytest.raises(RuntimeError):
        await platform.db.write(reserve_then_fail)
    assert await balance(platform, caster) == (1_000, 0)


async def test_racing_reserves_never_overspend(platform: Platform) -> None:
    price, affordable, racers = 1_000, 17, 60
    caster = await funded_caster(platform, "caster", price * affordable + price - 1)

    async def attempt(n: int) -> bool:
        try:
            await platform.db.write(lambda session: Ledger(session).reserve(caster, price, f"cast_{n}", TTL))
            return True
        except InsufficientCredits:
            return False

    granted = await asyncio.gather(*(attempt(n) for n in range(racers)))
    assert sum(granted) == affordable
    balance_now, held = await balance(platform, caster)
    assert held == price * affordable
    assert balance_now - held == price - 1


async def test_the_database_refuses_to_rewrite_the_ledger(platform: Platform) -> None:
    await funded_caster(platform, "caster", 1_000)
    for statement in ("UPDATE ledger_entries SET amount = amount + 1", "DELETE FROM ledger_entries"):
        with pytest.raises(DBAPIError, match="append-only"):
            await platform.db.write(lambda session, sql=statement: session.execute(text(sql)))
    await assert_books_balance(platform)


async def test_the_database_refuses_holds_beyond_a_casters_credits(platform: Platform) -> None:
    caster = await funded_caster(platform, "caster", 1_000)
    with pytest.raises(IntegrityError):
        await platform.db.write(
            lambda session: session.execute(
                text("UPDATE accounts SET held = 1001 WHERE id = :id"), {"id": caster}
            )
        )


async def test_a_transfer_to_a_missing_account_is_refused(platform: Platform) -> None:
    caster = await funded_caster(platform, "caster", 1_000)
    hold = await platform.db.write(lambda session: Ledger(session).reserve(caster, 100, "cast_1", TTL))
    with pytest.raises(ValueError, match="no ledger account"):
        await platform.db.write(
            lambda session: Ledger(session).settle(hold, [("maker_earnings:nobody", 100)])
        )
    assert await balance(platform, caster) == (1_000, 100)


async def test_expired_holds_are_voided_and_can_no_longer_be_settled(platform: Platform) -> None:
    caster = await funded_caster(platform, "caster", 1_000)
    fee = account_id(AccountKind.PLATFORM_REVENUE)
    stale = await platform.db.write(
        lambda session: Ledger(session).reserve(caster, 100, "cast_stale", timedelta(0))
    )
    live = await platform.db.write(lambda session: Ledger(session).reserve(caster, 200, "cast_live", TTL))
    with pytest.raises(HoldNotPending, match="expired"):
        await platform.db.write(lambda session: Ledger(session).settle(stale, [(fee, 100)]))
    swept = await platform.db.write(lambda session: Ledger(session).expire_holds(datetime.now(UTC)))
    assert swept == [(stale, "cast_stale")]
    assert await balance(platform, caster) == (1_000, 200)
    await platform.db.write(lambda session: Ledger(session).settle(live, [(fee, 200)]))
    assert await balance(platform, caster) == (800, 0)
    await assert_books_balance(platform)
