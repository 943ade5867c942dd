"""A cap counts everything spent in its window, whenever it was set: a daily cap set at noon
counts the morning's casts, a key's cap the key's casts before it, and no burst of casts right
after (nor one that was already under way) spends past it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from spell_mcp import audit
from spell_mcp.accounts.keys import Caster
from spell_mcp.bootstrap import register_directory
from spell_mcp.payments.budgets import set_budget, standing_of
from spell_mcp.payments.grants import create_user_with_credits
from spell_mcp.platform import Platform
from tests import wasm_modules as wat
from tests.spell_mcp.payments.shop import Shop, cast
from tests.spellbook import write_spell

PRICE = 100  # dev.spell.echo's, in micro-USD


def day_window(status: dict[str, Any]) -> tuple[int, int]:
    (day,) = [window for window in status["windows"] if window["period"] == "day"]
    return day["spent_micros"], day["cap_micros"]


def test_a_daily_cap_set_after_some_casts_counts_them(shop: Shop) -> None:
    caster = shop.new_caster(1_000_000)
    for _ in range(3):
        assert cast(shop, caster).status_code == 200
    capped = shop.call(caster, "PUT", "/v1/users/me/budget", {"daily_cap_micros": 5 * PRICE})
    assert capped.status_code == 200, capped.text
    assert day_window(capped.json()) == (3 * PRICE, 5 * PRICE)
    assert [cast(shop, caster).status_code for _ in range(2)] == [200, 200]
    refused = cast(shop, caster)
    assert (refused.status_code, refused.json()["code"]) == (402, "budget_exceeded")
    assert day_window(shop.call(caster, "GET", "/v1/users/me/budget").json()) == (5 * PRICE, 5 * PRICE)
    shop.assert_ledger_sound()


def test_a_keys_monthly_cap_set_after_its_casts_counts_them_and_no_other_keys(shop: Shop) -> None:
    owner = shop.new_caster(1_000_000)
    agent = shop.call(owner, "POST", "/v1/keys", {"name": "agent", "scopes": ["cast"]}).json()
    assert cast(shop, owner).status_code == 200  # the owner's own key: not the agent's spending
    for _ in range(3):
        assert cast(shop, agent["key"]).status_code == 200
    capped = shop.call(owner, "PUT", f"/v1/keys/{agent['id']}/budget", {"monthly_cap_micros": 4 * PRICE})
    assert capped.status_code == 200, capped.text
    (month,) = capped.json()["windows"]
    assert (month["period"], month["spent_micros"]) == ("month", 3 * PRICE)
    assert cast(shop, agent["key"]).status_code == 200
    assert cast(shop, agent["key"]).json()["code"] == "budget_exceeded"
    assert cast(shop, owner).status_code == 200
    shop.assert_ledger_sound()


def test_a_burst_of_casts_right_after_a_cap_is_set_never_spends_past_it(shop: Shop) -> None:
    caster = shop.new_caster(1_000_000)
    for _ in range(3):
        assert cast(shop, caster).status_code == 200
    shop.call(caster, "PUT", "/v1/users/me/budget", {"daily_cap_micros": 10 * PRICE})
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: cast(shop, caster), range(24)))
    codes = sorted(answer.json().get("code", "ok") for answer in answers)
    assert codes == ["budget_exceeded"] * 17 + ["ok"] * 7
    assert day_window(shop.call(caster, "GET", "/v1/users/me/budget").json()) == (10 * PRICE, 10 * PRICE)
    shop.assert_ledger_sound()


class PausedAfterChecks:
    """A transaction that stops after its first statement (a cast's checks, which read whether the
    caster has budgets) until told to go on."""

    def __init__(self, tx: Any, checked: asyncio.Event, go_on: asyncio.Event) -> None:
        self.tx, self.backend = tx, tx.backend
        self.checked, self.go_on = checked, go_on

    async def fetchrow(self, sql: str, *args: Any) -> Any:
        row = await self.tx.fetchrow(sql, *args)
        if not self.checked.is_set():
            self.checked.set()
            await self.go_on.wait()
        return row

    def __getattr__(self, name: str) -> Any:
        return getattr(self.tx, name)


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
async def test_a_cast_under_way_when_a_cap_is_set_counts_against_it(
    dev_platform: Platform, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cast read that its caster had no budget; the cap was set before it held the price.
    (PostgreSQL only: SQLite runs the whole cast transaction under its write lock.)"""
    platform = dev_platform
    made = await platform.db.write(
        lambda session: create_user_with_credits(session, audit.CONSOLE, "caster", credits_micros=1_000_000)
    )
    caster = Caster(made.user_id, None, False)
    write_spell(tmp_path / "spells", "test.spell.paid", wat.writes("{}"), price_usd="0.001")
    await register_directory(platform, tmp_path / "spells", made.user_id)
    await platform.casts.cast(caster, "test.spell.paid", {}, via="rest")  # spent before the cap

    checked, go_on = asyncio.Event(), asyncio.Event()
    plain = platform.db.transaction
    paused: list[bool] = []

    async def pausing(work: Callable[[Any], Awaitable[Any]]) -> Any:
        if paused:
            return await plain(work)
        paused.append(True)
        return await plain(lambda tx: work(PausedAfterChecks(tx, checked, go_on)))

    monkeypatch.setattr(platform.db, "transaction", pausing)
    under_way = asyncio.create_task(platform.casts.cast(caster, "test.spell.paid", {}, via="rest"))
    await asyncio.wait_for(checked.wait(), 30)
    actor = audit.Actor(caster.user_id, via="rest")
    await set_budget(platform, caster, actor, {"daily_cap_micros": 2_000})
    go_on.set()
    await asyncio.wait_for(under_way, 30)

    _, [state] = await standing_of(platform.db, caster)
    [day] = state.windows
    assert (day["spent_micros"], day["held_micros"]) == (2_000, 0)
