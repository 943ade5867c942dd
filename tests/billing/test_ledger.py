"""The ledger never loses a micro-dollar, and holds never overspend, on every backend."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import col, select

from billing import (
    Account,
    AccountKind,
    HoldNotPending,
    InsufficientCredits,
    Ledger,
    LedgerEntry,
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
    async with platform.sessions.begin() as session:
        ledger = Ledger(session)
        account = await ledger.open_account(AccountKind.CASTER_CREDITS, owner)
        if credits:
            await ledger.grant(account, credits, reference="test")
    return account


async def assert_books_balance(platform: Platform) -> None:
    """Every balance is the sum of its entries, and all balances sum to zero."""
    async with platform.sessions() as session:
        accounts = (await session.execute(select(Account))).scalars().all()
        sums = dict(
            (
                await session.execute(
                    select(col(LedgerEntry.account_id), func.sum(col(LedgerEntry.amount))).group_by(
                        col(LedgerEntry.account_id)
                    )
                )
            ).all()
        )
    assert sum(a.balance for a in accounts) == 0
    for account in accounts:
        assert account.balance == int(sums.get(account.id, 0)), account.id


async def test_settling_a_hold_pays_maker_and_platform_exactly(platform: Platform) -> None:
    caster = await funded_caster(platform, "caster", 1_000)
    async with platform.sessions.begin() as session:
        ledger = Ledger(session)
        maker = await ledger.open_account(AccountKind.MAKER_EARNINGS, "maker")
        fee = await ledger.open_account(AccountKind.PLATFORM_REVENUE)
        hold = await ledger.reserve(caster, 333, "cast_1", TTL)
        assert await ledger.balance(caster) == (1_000, 333)
        split = split_price(333, 8000)
        await ledger.settle(hold, [(maker, split.maker_share), (fee, split.platform_fee)])
    async with platform.sessions() as session:
        ledger = Ledger(session)
        assert await ledger.balance(caster) == (667, 0)
        assert await ledger.balance(maker) == (266, 0)
        assert await ledger.balance(fee) == (67, 0)
    await assert_books_balance(platform)


async def test_voiding_a_hold_charges_nothing(platform: Platform) -> None:
    caster = await funded_caster(platform, "caster", 1_000)
    async with platform.sessions.begin() as session:
        ledger = Ledger(session)
        hold = await ledger.reserve(caster, 400, "cast_1", TTL)
        await ledger.void(hold)
        assert await ledger.balance(caster) == (1_000, 0)
    await assert_books_balance(platform)


async def test_a_hold_closes_once(platform: Platform) -> None:
    caster = await funded_caster(platform, "caster", 1_000)
    async with platform.sessions.begin() as session:
        ledger = Ledger(session)
        fee = await ledger.open_account(AccountKind.PLATFORM_REVENUE)
        hold = await ledger.reserve(caster, 100, "cast_1", TTL)
        await ledger.settle(hold, [(fee, 100)])
        with pytest.raises(HoldNotPending):
            await ledger.settle(hold, [(fee, 100)])
        with pytest.raises(HoldNotPending):
            await ledger.void(hold)
    async with platform.sessions() as session:
        assert await Ledger(session).balance(caster) == (900, 0)


async def test_a_reserve_beyond_available_credits_is_refused(platform: Platform) -> None:
    caster = await funded_caster(platform, "caster", 1_000)
    async with platform.sessions.begin() as session:
        ledger = Ledger(session)
        await ledger.reserve(caster, 700, "cast_1", TTL)
        with pytest.raises(InsufficientCredits) as refused:
            await ledger.reserve(caster, 301, "cast_2", TTL)
    assert (refused.value.needed, refused.value.available) == (301, 300)


async def test_racing_reserves_never_overspend(platform: Platform) -> None:
    price, affordable, racers = 1_000, 17, 60
    caster = await funded_caster(platform, "caster", price * affordable + price - 1)

    async def attempt(n: int) -> bool:
        try:
            async with platform.sessions.begin() as session:
                await Ledger(session).reserve(caster, price, f"cast_{n}", TTL)
            return True
        except InsufficientCredits:
            return False

    granted = await asyncio.gather(*(attempt(n) for n in range(racers)))
    assert sum(granted) == affordable
    async with platform.sessions() as session:
        balance, held = await Ledger(session).balance(caster)
    assert held == price * affordable
    assert balance - held == price - 1


async def test_the_database_refuses_to_rewrite_the_ledger(platform: Platform) -> None:
    await funded_caster(platform, "caster", 1_000)
    for statement in ("UPDATE ledger_entries SET amount = amount + 1", "DELETE FROM ledger_entries"):
        with pytest.raises(DBAPIError, match="append-only"):
            async with platform.sessions.begin() as session:
                await session.execute(text(statement))
    await assert_books_balance(platform)


async def test_the_database_refuses_holds_beyond_a_casters_credits(platform: Platform) -> None:
    caster = await funded_caster(platform, "caster", 1_000)
    with pytest.raises(IntegrityError):
        async with platform.sessions.begin() as session:
            await session.execute(text("UPDATE accounts SET held = 1001 WHERE id = :id"), {"id": caster})
