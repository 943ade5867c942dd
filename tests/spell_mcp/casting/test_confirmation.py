"""A cast priced above the confirmation threshold waits for the person: the lowest threshold of
the caster's and of the key's budgets applies, checked in the transaction that holds the price."""

from __future__ import annotations

from pathlib import Path

from billing import Budgets
from registry import SpellVersion
from spell_mcp import audit
from spell_mcp.accounts.keys import authenticate
from spell_mcp.bootstrap import register_directory
from spell_mcp.payments.grants import create_user_with_credits
from spell_mcp.platform import Platform
from tests import wasm_modules as wat
from tests.spellbook import write_spell

PRICE = 10_000  # write_spell's default price, $0.01


async def test_the_lowest_confirmation_threshold_of_caster_and_key_applies(
    dev_platform: Platform, tmp_path: Path
) -> None:
    platform = dev_platform
    user = await platform.db.write(
        lambda s: create_user_with_credits(s, audit.CONSOLE, "caster", credits_micros=10**9)
    )
    write_spell(tmp_path / "spells", "test.spell.priced", wat.writes("{}"))
    await register_directory(platform, tmp_path / "spells", user.user_id)
    caster = await platform.db.read(lambda s: authenticate(s, user.api_key))
    assert caster.key_id is not None
    asked: list[int] = []

    async def confirm(spell: SpellVersion, threshold: int) -> None:
        asked.append(threshold)

    async def caps(subject: str, **caps: int | None) -> None:
        await platform.db.write(lambda s: Budgets(s).set(subject, **caps))

    async def cast() -> None:
        await platform.casts.cast(caster, "test.spell.priced", {}, via="mcp", confirm=confirm)

    user, key = f"user:{caster.user_id}", f"key:{caster.key_id}"
    await cast()  # no threshold: nobody is asked
    await caps(user, confirm_above_micros=PRICE // 2)
    await cast()
    await caps(key, daily_cap_micros=10 * PRICE, confirm_above_micros=PRICE // 3)
    await cast()
    await caps(key, confirm_above_micros=None)
    await caps(user, confirm_above_micros=PRICE)
    await cast()  # the price is not above the threshold
    assert asked == [PRICE // 2, PRICE // 3]
