"""Erasing a caster stops their spending in the erasure's own transaction: every pending hold is
released through the ledger's one void (billing/cast_money.py) and every running cast recorded as
failed, uncharged; an erasure refused changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session
from sqlmodel import col, select

from billing import AccountKind, Hold, account_id
from spell_mcp import audit
from spell_mcp.database.tables import Cast
from spell_mcp.errors import SpellError
from spell_mcp.payments.grants import create_user_with_credits
from spell_mcp.platform import Platform
from spell_mcp.privacy import holds
from spell_mcp.privacy.erasure import erase
from tests.billing.money import assert_books_balance, balance, chain_verifies, hold

CREDITS = 1_000_000
GRACE = timedelta(days=90)


def running_cast(session: Session, caster_id: str, cast_id: str, hold_id: str) -> None:
    session.add(
        Cast(
            id=cast_id,
            caster_id=caster_id,
            spell_key="test.spell",
            spell_version="1.0.0",
            module_digest="0" * 64,
            status="running",
            price_micros=1_000,
            hold_id=hold_id,
            input_sha256="f" * 64,
            via="rest",
            created_at=datetime.now(UTC),
        )
    )


async def caster_mid_cast(platform: Platform) -> tuple[str, str, list[str]]:
    """A caster with two casts running, each holding its price: (user id, credits, hold ids)."""
    user_id = (
        await platform.db.write(
            lambda s: create_user_with_credits(s, audit.CONSOLE, "caster", credits_micros=CREDITS)
        )
    ).user_id
    credits = account_id(AccountKind.CASTER_CREDITS, user_id)
    holds_ = []
    for n in range(2):
        cast_id = f"cast_{n}"
        hold_id = await hold(platform.db, credits, 1_000, cast_id, subjects=[f"user:{user_id}"])
        await platform.db.write(lambda s, c=cast_id, h=hold_id: running_cast(s, user_id, c, h))
        holds_.append(hold_id)
    return user_id, credits, holds_


async def test_an_erasure_releases_every_hold_and_fails_every_running_cast(platform: Platform) -> None:
    user_id, credits, hold_ids = await caster_mid_cast(platform)
    assert await balance(platform, credits) == (CREDITS, 2_000)
    await platform.db.write(lambda s: erase(s, user_id, datetime.now(UTC), GRACE))
    assert await balance(platform, credits) == (CREDITS, 0)
    statuses = select(col(Hold.status)).where(col(Hold.id).in_(hold_ids))
    assert await platform.db.read(lambda s: list(s.execute(statuses).scalars())) == ["voided", "voided"]
    outcomes = select(col(Cast.status), col(Cast.error_code))
    casts = await platform.db.read(lambda s: [tuple(row) for row in s.execute(outcomes)])
    assert casts == [("failed", "cast_interrupted")] * 2
    await assert_books_balance(platform)
    await chain_verifies(platform)


async def test_an_erasure_refused_releases_nothing(platform: Platform) -> None:
    user_id, credits, _holds = await caster_mid_cast(platform)
    now = datetime.now(UTC)
    await platform.db.write(lambda s: holds.place(s, audit.SYSTEM, "user", user_id, "dispute", now))
    with pytest.raises(SpellError, match="legal hold"):
        await platform.db.write(lambda s: erase(s, user_id, now, GRACE))
    assert await balance(platform, credits) == (CREDITS, 2_000)
