"""A spell is suspended for its own misbehaviour, not for one caster's inputs: the violations of
its maker's casts count one by one, each other caster's once, however many their casts made."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from spell_mcp import audit
from spell_mcp.accounts.keys import Caster
from spell_mcp.bootstrap import register_directory
from spell_mcp.catalog.violations import suspend_repeat_offenders
from spell_mcp.payments.grants import create_user_with_credits
from spell_mcp.platform import Platform
from tests import wasm_modules as wat
from tests.spellbook import write_spell

FETCHER = "com.acme.fetcher"
THRESHOLD = 10
# The most requests one cast may make, all of them refused: the most violations a cast records.
REFUSED_REQUESTS = 16


@pytest.fixture
def platform(dev_platform: Platform) -> Platform:
    """A platform in dev mode, where spells register unsigned."""
    return dev_platform


async def new_caster(platform: Platform) -> Caster:
    made = await platform.db.write(
        lambda session: create_user_with_credits(session, audit.CONSOLE, "someone", credits_micros=1_000_000)
    )
    return Caster(made.user_id, None, False)


async def publish_fetcher(platform: Platform, tmp_path: Path) -> Caster:
    """A $0.001 spell that may reach api.example.com, and asks elsewhere as often as a cast may
    (as a spell that fetches the URLs it is given would, given the wrong ones); its maker."""
    maker = await new_caster(platform)
    wasm = wat.requests_then_writes("https://elsewhere.example/", "", times=REFUSED_REQUESTS)
    policy = 'net_allow = ["api.example.com"]'
    write_spell(tmp_path / "spells", FETCHER, wasm, price_usd="0.001", policy=policy)
    assert await register_directory(platform, tmp_path / "spells", maker.user_id) == [f"{FETCHER} 1.0.0"]
    return maker


async def cast(platform: Platform, caster: Caster) -> None:
    done = await platform.casts.cast(caster, FETCHER, {}, via="rest")
    assert len(done.usage.policy_violations) == REFUSED_REQUESTS


async def sweep(platform: Platform) -> list[str]:
    now = datetime.now(UTC)
    return await platform.db.write(
        lambda session: suspend_repeat_offenders(
            session, now, threshold=THRESHOLD, window=timedelta(hours=24)
        )
    )


async def test_one_caster_cannot_get_a_makers_spell_suspended(platform: Platform, tmp_path: Path) -> None:
    await publish_fetcher(platform, tmp_path)
    hostile = await new_caster(platform)
    for _ in range(3):
        await cast(platform, hostile)  # 48 violations, all of one caster's making
    assert await sweep(platform) == []
    await cast(platform, await new_caster(platform))  # the spell still serves everyone


async def test_many_casters_seeing_a_spell_misbehave_suspend_it(platform: Platform, tmp_path: Path) -> None:
    await publish_fetcher(platform, tmp_path)
    for _ in range(THRESHOLD - 1):
        await cast(platform, await new_caster(platform))
    assert await sweep(platform) == []
    await cast(platform, await new_caster(platform))
    assert await sweep(platform) == [FETCHER]


async def test_the_makers_own_casts_count_each_violation(platform: Platform, tmp_path: Path) -> None:
    maker = await publish_fetcher(platform, tmp_path)
    await cast(platform, maker)
    assert await sweep(platform) == [FETCHER]
