"""Casts that outlive their hold, are cancelled, or cannot be settled are never charged."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import anyio
import pytest
from sqlalchemy import text
from sqlmodel import select

from billing import Ledger
from spell_mcp import audit
from spell_mcp.accounts.keys import Caster
from spell_mcp.bootstrap import register_directory
from spell_mcp.database.tables import Cast
from spell_mcp.errors import SpellError
from spell_mcp.payments.grants import create_user_with_credits
from spell_mcp.platform import Platform
from spell_mcp.settings import Settings
from tests import wasm_modules as wat
from tests.conftest import Database, redis_url
from tests.spellbook import write_spell


async def test_a_cast_that_finishes_after_its_hold_expired_is_free(
    database: Database, tmp_path: Path
) -> None:
    # A hold lives one second; the spell spins longer (as a stalled server would make it).
    settings = Settings(
        home=tmp_path / "home",
        database_url=database.url,
        dev_mode=True,
        hold_ttl_s=1,
        fuel_per_cast=60_000_000_000,
    )
    platform = await Platform.open(settings)
    try:
        owner = await platform.db.write(
            lambda session: create_user_with_credits(
                session, audit.CONSOLE, "caster", credits_micros=1_000_000
            )
        )
        write_spell(
            tmp_path / "spells", "test.spell.slow", wat.spins_then_writes(3_000_000_000), timeout_ms=20_000
        )
        assert await register_directory(platform, tmp_path / "spells", owner.user_id) == [
            "test.spell.slow 1.0.0"
        ]
        caster = Caster(owner.user_id, None, False)
        with pytest.raises(SpellError) as refused:
            await platform.casts.cast(caster, "test.spell.slow", {}, via="rest")
        assert refused.value.code == "cast_interrupted"
        balance, held = await platform.db.read(
            lambda session: Ledger(session).balance(caster.credits_account)
        )
        assert (balance, held) == (1_000_000, 0)
        cast = await platform.db.read(lambda session: session.execute(select(Cast)).scalar_one())
        assert (cast.status, cast.error_code, cast.charged_micros, cast.receipt) == (
            "failed",
            "cast_interrupted",
            0,
            None,
        )
    finally:
        await platform.close()


async def test_when_redis_admits_what_the_database_refuses_the_state_is_reloaded(
    database: Database, tmp_path: Path
) -> None:
    # Redis believes the caster is rich (stale state); the database, which has the last word,
    # knows it has $0.005 for a $0.01 spell.
    settings = Settings(
        home=tmp_path / "home", database_url=database.url, dev_mode=True, redis_url=redis_url()
    )
    platform = await Platform.open(settings)
    try:
        assert platform.casts.fast_holds is not None
        owner = await platform.db.write(
            lambda session: create_user_with_credits(session, audit.CONSOLE, "caster", credits_micros=5_000)
        )
        write_spell(tmp_path / "spells", "test.spell.dear", wat.writes("{}"), price_usd="0.01")
        await register_directory(platform, tmp_path / "spells", owner.user_id)
        caster = Caster(owner.user_id, None, False)
        redis = platform.casts.fast_holds.redis
        stale = f"spell:money:acct:{caster.credits_account}"
        await redis.set(stale, 10**12, px=60_000)

        with pytest.raises(SpellError) as refused:
            await platform.casts.cast(caster, "test.spell.dear", {}, via="rest")
        assert refused.value.code == "insufficient_credits"
        assert not await redis.exists(stale)  # dropped, to be loaded again
        # The next cast is refused by Redis itself, now knowing what the database knows.
        with pytest.raises(SpellError) as again:
            await platform.casts.cast(caster, "test.spell.dear", {}, via="rest")
        assert again.value.extra["available_micros"] == 5_000
        assert int(await redis.get(stale)) == 5_000
    finally:
        await platform.close()


async def eventually(condition: Callable[[], bool]) -> None:
    """Until `condition` holds (the cast service has no event to wait on)."""
    with anyio.fail_after(10):
        while not condition():  # noqa: ASYNC110
            await anyio.sleep(0.01)


async def test_a_cast_cancelled_while_it_waits_for_a_thread_is_never_charged(
    database: Database, tmp_path: Path
) -> None:
    # One cast thread, taken by a long cast: the second cast waits for it, and is cancelled there.
    settings = Settings(home=tmp_path / "home", database_url=database.url, dev_mode=True, cast_threads=1)
    platform = await Platform.open(settings)
    try:
        owner = await platform.db.write(
            lambda session: create_user_with_credits(
                session, audit.CONSOLE, "caster", credits_micros=1_000_000
            )
        )
        write_spell(
            tmp_path / "spells", "test.spell.slow", wat.spins_then_writes(3_000_000_000), timeout_ms=20_000
        )
        await register_directory(platform, tmp_path / "spells", owner.user_id)
        caster = Caster(owner.user_id, None, False)

        async with anyio.create_task_group() as casts:
            running, waiting = anyio.CancelScope(), anyio.CancelScope()

            async def cast(scope: anyio.CancelScope) -> None:
                with scope:
                    await platform.casts.cast(caster, "test.spell.slow", {}, via="rest")

            casts.start_soon(cast, running)
            await eventually(lambda: platform.casts.threads.limiter.borrowed_tokens == 1)
            casts.start_soon(cast, waiting)
            await eventually(lambda: platform.casts.threads.waiting == 1)
            waiting.cancel()
            await anyio.sleep(0.1)
            running.cancel()

        # The running cast was recorded as cancelled and its hold voided. The waiting one either
        # never began (SQLite: its hold is taken in the thread it waited for) or was cancelled
        # likewise (PostgreSQL: its hold was taken on the event loop before it waited).
        recorded = await platform.db.read(lambda session: session.execute(select(Cast)).scalars().all())
        outcomes = [(cast.status, cast.error_code, cast.charged_micros) for cast in recorded]
        expected = 1 if database.backend == "sqlite" else 2
        assert outcomes == [("failed", "cast_cancelled", 0)] * expected
        balance = await platform.db.read(lambda session: Ledger(session).balance(caster.credits_account))
        assert balance == (1_000_000, 0)
    finally:
        await platform.close()


async def test_a_cast_whose_settlement_fails_is_recorded_failed_and_costs_nothing(
    database: Database, tmp_path: Path
) -> None:
    # The maker's earnings account is gone (a broken store): the settlement's ledger entry for it
    # fails its foreign key, and the whole settling transaction with it.
    settings = Settings(home=tmp_path / "home", database_url=database.url, dev_mode=True)
    platform = await Platform.open(settings)
    try:
        owner = await platform.db.write(
            lambda session: create_user_with_credits(
                session, audit.CONSOLE, "caster", credits_micros=1_000_000
            )
        )
        write_spell(tmp_path / "spells", "test.spell.paid", wat.writes("{}"), price_usd="0.001")
        await register_directory(platform, tmp_path / "spells", owner.user_id)
        maker_account = f"maker_earnings:{owner.user_id}"
        await platform.db.write(
            lambda session: session.execute(
                text("DELETE FROM accounts WHERE id = :id"), {"id": maker_account}
            )
        )
        caster = Caster(owner.user_id, None, False)
        with pytest.raises(Exception):  # noqa: B017 (the database's own error: the cast's caller sees a 500)
            await platform.casts.cast(caster, "test.spell.paid", {}, via="rest")
        recorded = await platform.db.read(lambda session: session.execute(select(Cast)).scalar_one())
        assert (recorded.status, recorded.error_code, recorded.charged_micros) == (
            "failed",
            "internal_error",
            0,
        )
        balance = await platform.db.read(lambda session: Ledger(session).balance(caster.credits_account))
        assert balance == (1_000_000, 0)
    finally:
        await platform.close()
