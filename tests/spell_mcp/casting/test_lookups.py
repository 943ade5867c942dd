"""Keys and spells remembered in memory never let a revoked key or a withdrawn spell cost anyone
anything: the transaction that holds a cast's price checks both again."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from billing import Ledger
from registry.models import Spell
from spell_mcp import audit
from spell_mcp.accounts.users import NewUser
from spell_mcp.bootstrap import register_directory
from spell_mcp.database.tables import ApiKey
from spell_mcp.errors import SpellError
from spell_mcp.payments.grants import create_user_with_credits
from spell_mcp.platform import Platform
from spell_mcp.settings import Settings
from tests import wasm_modules as wat
from tests.conftest import Database
from tests.spellbook import write_spell

PRICE = 100


@pytest.fixture
async def platform(database: Database, tmp_path: Path) -> AsyncIterator[Platform]:
    settings = Settings(home=tmp_path / "home", database_url=database.url, dev_mode=True)
    opened = await Platform.open(settings)
    try:
        yield opened
    finally:
        await opened.close()


async def caster_with_a_spell(platform: Platform, tmp_path: Path) -> NewUser:
    user = await platform.db.write(
        lambda session: create_user_with_credits(session, audit.CONSOLE, "caster", credits_micros=1_000)
    )
    write_spell(tmp_path / "spells", "test.spell.kept", wat.writes('{"ok":true}'), price_usd="0.0001")
    await register_directory(platform, tmp_path / "spells", user.user_id)
    return user


async def balance(platform: Platform, user: NewUser) -> tuple[int, int]:
    caster = await platform.authenticate(user.api_key)
    return await platform.db.read(lambda session: Ledger(session).balance(caster.credits_account))


async def test_a_key_revoked_behind_the_servers_back_cannot_cast(platform: Platform, tmp_path: Path) -> None:
    user = await caster_with_a_spell(platform, tmp_path)
    caster = await platform.authenticate(user.api_key)
    await platform.casts.cast(caster, "test.spell.kept", {}, via="rest")

    # Revoked by another process that could not tell this one (no Redis): the key is still
    # remembered here, but the cast's own transaction refuses it.
    def revoke(session: Session) -> None:
        session.execute(update(ApiKey).values(revoked_at=datetime.now(UTC)))

    await platform.db.write(revoke)
    remembered = await platform.authenticate(user.api_key)
    with pytest.raises(SpellError) as refused:
        await platform.casts.cast(remembered, "test.spell.kept", {}, via="rest")
    assert refused.value.code == "unauthenticated"
    # Charged once, nothing left held; and the key is forgotten: the next request is refused.
    caster_balance = await platform.db.read(lambda session: Ledger(session).balance(caster.credits_account))
    assert caster_balance == (1_000 - PRICE, 0)
    with pytest.raises(SpellError) as forgotten:
        await platform.authenticate(user.api_key)
    assert forgotten.value.code == "unauthenticated"


async def test_a_spell_suspended_behind_the_servers_back_is_not_cast(
    platform: Platform, tmp_path: Path
) -> None:
    user = await caster_with_a_spell(platform, tmp_path)
    caster = await platform.authenticate(user.api_key)
    await platform.casts.cast(caster, "test.spell.kept", {}, via="rest")
    assert platform.lookups.spell("test.spell.kept", None) is not None

    def suspend(session: Session) -> None:
        session.execute(update(Spell).values(status="suspended"))

    await platform.db.write(suspend)
    for _ in range(2):  # remembered, then looked up again: refused both times
        with pytest.raises(SpellError) as refused:
            await platform.casts.cast(caster, "test.spell.kept", {}, via="rest")
        assert refused.value.code == "spell_not_found"
    assert await balance(platform, user) == (1_000 - PRICE, 0)


async def test_revoking_and_publishing_through_the_platform_forget_at_once(
    platform: Platform, tmp_path: Path
) -> None:
    user = await caster_with_a_spell(platform, tmp_path)
    caster = await platform.authenticate(user.api_key)
    await platform.casts.cast(caster, "test.spell.kept", {}, via="rest")
    assert platform.lookups.caster(user.api_key) is not None
    assert platform.lookups.spell("test.spell.kept", None) is not None

    await platform.announcer.tools_changed()
    assert platform.lookups.spell("test.spell.kept", None) is None
    assert caster.key_id is not None
    await platform.announcer.key_changed(caster.key_id)
    assert platform.lookups.caster(user.api_key) is None


async def test_a_key_is_remembered_only_until_it_expires(platform: Platform) -> None:
    user = await platform.db.write(lambda session: create_user_with_credits(session, audit.CONSOLE, "caster"))

    def expire(session: Session) -> None:
        session.execute(update(ApiKey).values(expires_at=datetime(2020, 1, 1, tzinfo=UTC)))

    caster = await platform.authenticate(user.api_key)
    platform.lookups.remember_caster(user.api_key, caster, datetime(2020, 1, 1, tzinfo=UTC))
    await platform.db.write(expire)
    with pytest.raises(SpellError) as refused:
        await platform.authenticate(user.api_key)
    assert "expired" in refused.value.detail
