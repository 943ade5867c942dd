"""The ledger never loses a micro-dollar, and holds never overspend, on every backend: through
the one path that holds, settles and voids (billing/cast_money.py) and through `Ledger`'s
transfers, which run the same statements in a session."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from billing import (
    AccountKind,
    HoldNotPending,
    InsufficientCredits,
    Ledger,
    account_id,
    cast_money,
    split_price,
)
from billing.cast_money import Tx
from spell_mcp.platform import Platform
from tests.billing.money import (
    REFUSED,
    assert_books_balance,
    balance,
    chain_verifies,
    funded_caster,
    hold,
    now,
    settle,
    void,
)

FEE = account_id(AccountKind.PLATFORM_REVENUE)


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


async def test_settling_a_hold_pays_maker_and_platform_exactly(platform: Platform) -> None:
    caster = await funded_caster(platform, "caster", 1_000)
    maker = await platform.db.write(lambda s: Ledger(s).open_account(AccountKind.MAKER_EARNINGS, "maker"))
    held = await hold(platform.db, caster, 333)
    assert await balance(platform, caster) == (1_000, 333)
    split = split_price(333, 8000)
    settled = await settle(platform.db, held, [(maker, split.maker_share), (FEE, split.platform_fee)])
    assert len(settled.entry_hash) == 64
    assert await balance(platform, caster) == (667, 0)
    assert await balance(platform, maker) == (266, 0)
    assert await balance(platform, FEE) == (67, 0)
    await assert_books_balance(platform)
    await chain_verifies(platform)


async def test_voiding_a_hold_charges_nothing(platform: Platform) -> None:
    caster = await funded_caster(platform, "caster", 1_000)
    await void(platform.db, await hold(platform.db, caster, 400))
    assert await balance(platform, caster) == (1_000, 0)
    await assert_books_balance(platform)


async def test_a_hold_closes_once(platform: Platform) -> None:
    caster = await funded_caster(platform, "caster", 1_000)
    held = await hold(platform.db, caster, 100)
    await settle(platform.db, held, [(FEE, 100)])
    with pytest.raises(HoldNotPending):
        await settle(platform.db, held, [(FEE, 100)])
    with pytest.raises(HoldNotPending):
        await void(platform.db, held)
    assert await balance(platform, caster) == (900, 0)


async def test_a_reserve_beyond_available_credits_is_refused(platform: Platform) -> None:
    caster = await funded_caster(platform, "caster", 1_000)
    await hold(platform.db, caster, 700, "cast_1")
    with pytest.raises(InsufficientCredits) as refused:
        await hold(platform.db, caster, 301, "cast_2")
    assert (refused.value.needed, refused.value.available) == (301, 300)


async def test_a_refused_transaction_leaves_nothing_behind(platform: Platform) -> None:
    caster = await funded_caster(platform, "caster", 1_000)

    async def reserve_then_fail(tx: Tx) -> None:
        await cast_money.reserve(
            tx, caster, 500, "cast_1", ttl=timedelta(minutes=5), budget_subjects=(), now=now()
        )
        raise RuntimeError("the cast could not be recorded")

    with pytest.raises(RuntimeError):
        await platform.db.transaction(reserve_then_fail)
    assert await balance(platform, caster) == (1_000, 0)


async def test_racing_reserves_never_overspend(platform: Platform) -> None:
    price, affordable, racers = 1_000, 17, 60
    caster = await funded_caster(platform, "caster", price * affordable + price - 1)

    async def attempt(n: int) -> bool:
        try:
            await hold(platform.db, caster, price, f"cast_{n}")
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


async def test_no_money_moves_to_an_account_that_does_not_exist(platform: Platform) -> None:
    caster = await funded_caster(platform, "caster", 1_000)
    held = await hold(platform.db, caster, 100)
    with pytest.raises(REFUSED, match=r"(?i)foreign key"):
        await settle(platform.db, held, [("maker_earnings:nobody", 100)])
    assert await balance(platform, caster) == (1_000, 100)
    with pytest.raises(ValueError, match="no ledger account"):
        await platform.db.write(
            lambda session: Ledger(session).transfer("refund", "test", [(caster, -1), ("nobody", 1)])
        )
    assert await balance(platform, caster) == (1_000, 100)
    await assert_books_balance(platform)


async def test_a_transfer_whose_legs_do_not_sum_to_zero_is_refused_by_the_code(platform: Platform) -> None:
    caster = await funded_caster(platform, "caster", 1_000)
    with pytest.raises(ValueError, match="sum to zero"):
        await platform.db.write(
            lambda session: Ledger(session).transfer("refund", "test", [(caster, -1), (FEE, 2)])
        )
    assert await balance(platform, caster) == (1_000, 0)


async def test_transfers_of_a_session_and_of_the_driver_extend_one_chain(platform: Platform) -> None:
    caster = await funded_caster(platform, "caster", 1_000)
    await settle(platform.db, await hold(platform.db, caster, 100), [(FEE, 100)])

    def refund(session: Session) -> str:
        ledger = Ledger(session)
        return ledger.transfer("cast_refund", "cast", [(FEE, -100), (caster, 100), (FEE, 0)])

    await platform.db.write(refund)
    await settle(platform.db, await hold(platform.db, caster, 50), [(FEE, 50)])
    assert await balance(platform, caster) == (950, 0)
    await assert_books_balance(platform)
    await chain_verifies(platform)


async def test_expired_holds_are_voided_and_can_no_longer_be_settled(platform: Platform) -> None:
    caster = await funded_caster(platform, "caster", 1_000)
    stale = await hold(platform.db, caster, 100, "cast_stale", ttl=timedelta(0))
    live = await hold(platform.db, caster, 200, "cast_live")
    with pytest.raises(HoldNotPending, match="expired"):
        await settle(platform.db, stale, [(FEE, 100)])
    swept = await platform.db.transaction(lambda tx: cast_money.expire_holds(tx, now()))
    assert swept == [(stale, "cast_stale")]
    assert await balance(platform, caster) == (1_000, 200)
    assert await platform.db.transaction(lambda tx: cast_money.expire_holds(tx, now())) == []
    await settle(platform.db, live, [(FEE, 200)])
    assert await balance(platform, caster) == (800, 0)
    await assert_books_balance(platform)


async def test_an_accounts_pending_holds_are_voided_at_once(platform: Platform) -> None:
    caster = await funded_caster(platform, "caster", 1_000)
    other = await funded_caster(platform, "other", 1_000)
    settled = await hold(platform.db, caster, 100, "cast_settled")
    await settle(platform.db, settled, [(FEE, 100)])
    pending = [await hold(platform.db, caster, 200, f"cast_{n}") for n in range(2)]
    untouched = await hold(platform.db, other, 300, "cast_other")
    voided = await platform.db.transaction(lambda tx: cast_money.void_pending(tx, caster))
    assert sorted(voided) == sorted((hold_id, f"cast_{n}") for n, hold_id in enumerate(pending))
    assert await balance(platform, caster) == (900, 0)
    assert await balance(platform, other) == (1_000, 300)
    await settle(platform.db, untouched, [(FEE, 300)])
    await assert_books_balance(platform)
