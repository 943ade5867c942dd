"""A queued cast is held, then run by whoever takes it from the queue: settled exactly once
however often it is delivered, released when it cannot run, bounded per caster, and told to the
caster's webhook when it ends."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

import anyio
import pytest
from sqlalchemy import func, select, update
from standardwebhooks.webhooks import Webhook

from billing import Ledger
from billing.models import LedgerEntry
from registry.models import SpellVersion
from spell_mcp import audit
from spell_mcp.accounts.keys import Caster
from spell_mcp.bootstrap import register_directory
from spell_mcp.casting.held import HeldCast, NewerFormat
from spell_mcp.database.tables import Cast, WebhookDelivery
from spell_mcp.errors import SpellError
from spell_mcp.housekeeping import sweep
from spell_mcp.payments.grants import create_user_with_credits
from spell_mcp.platform import Platform
from spell_mcp.queueing import LocalQueue, QueueUnavailable, submit
from spell_mcp.settings import Settings
from tests import wasm_modules as wat
from tests.conftest import Database
from tests.spell_mcp.casting import test_budget_alerts as alerts
from tests.spellbook import write_spell

PRICE = 10_000  # write_spell's default price, $0.01
CREDITS = 1_000_000
# The webhook receiver, and a platform whose network gate reaches it (test_budget_alerts.py).
ca = alerts.ca
receiver = alerts.receiver
platform = alerts.platform


async def a_caster(platform: Platform, tmp_path: Path) -> Caster:
    owner = await platform.db.write(
        lambda session: create_user_with_credits(session, audit.CONSOLE, "caster", credits_micros=CREDITS)
    )
    write_spell(tmp_path / "spells", "test.spell.priced", wat.writes('{"ok":true}'))
    write_spell(tmp_path / "spells", "test.spell.exit", wat.exits(3))
    await register_directory(platform, tmp_path / "spells", owner.user_id)
    return Caster(owner.user_id, None, False)


async def money(platform: Platform, caster: Caster) -> tuple[int, int]:
    """The caster's balance and what is held of it."""
    return await platform.db.read(lambda session: Ledger(session).balance(caster.credits_account))


async def the_cast(platform: Platform, cast_id: str) -> Cast:
    return await platform.db.read(lambda session: session.get(Cast, cast_id))


async def transfers_of(platform: Platform, cast_id: str) -> int:
    """How many transfers of the ledger settle this cast."""
    query = select(func.count(func.distinct(LedgerEntry.transfer_id))).where(LedgerEntry.reference == cast_id)
    return await platform.db.read(lambda session: session.execute(query).scalar_one())


async def events(platform: Platform, caster: Caster) -> list[WebhookDelivery]:
    query = select(WebhookDelivery).where(WebhookDelivery.user_id == caster.user_id)
    return await platform.db.read(lambda session: list(session.execute(query).scalars()))


async def test_a_held_cast_is_charged_when_it_runs_and_never_again(
    platform: Platform, tmp_path: Path
) -> None:
    caster = await a_caster(platform, tmp_path)
    held = await platform.casts.hold(caster, "test.spell.priced", {}, version=None, via="rest")
    assert (await the_cast(platform, held.cast_id)).status == "running"
    assert await money(platform, caster) == (CREDITS, PRICE)  # held, not yet charged

    assert await platform.casts.resume(held) == "succeeded"
    cast = await the_cast(platform, held.cast_id)
    assert (cast.status, cast.charged_micros, cast.output) == ("succeeded", PRICE, {"ok": True})
    assert await money(platform, caster) == (CREDITS - PRICE, 0)

    # Delivered again (at-least-once): found gone, nothing runs, nothing is charged.
    assert await platform.casts.resume(held) == "gone"
    assert await money(platform, caster) == (CREDITS - PRICE, 0)
    assert await transfers_of(platform, held.cast_id) == 1


async def test_a_cast_delivered_twice_at_once_is_charged_once(platform: Platform, tmp_path: Path) -> None:
    caster = await a_caster(platform, tmp_path)
    held = await platform.casts.hold(caster, "test.spell.priced", {}, version=None, via="rest")
    outcomes: list[str] = []

    async def deliver() -> None:
        outcomes.append(await platform.casts.resume(held))

    async with anyio.create_task_group() as workers:
        workers.start_soon(deliver)
        workers.start_soon(deliver)
    assert "succeeded" in outcomes
    cast = await the_cast(platform, held.cast_id)
    assert (cast.status, cast.charged_micros) == ("succeeded", PRICE)
    assert await money(platform, caster) == (CREDITS - PRICE, 0)
    assert await transfers_of(platform, held.cast_id) == 1


async def test_a_held_cast_that_fails_or_is_abandoned_is_never_charged(
    platform: Platform, tmp_path: Path
) -> None:
    caster = await a_caster(platform, tmp_path)
    failing = await platform.casts.hold(caster, "test.spell.exit", {}, version=None, via="rest")
    assert await platform.casts.resume(failing) == "failed"
    assert (await the_cast(platform, failing.cast_id)).error_code == "spell_failed"

    abandoned = await platform.casts.hold(caster, "test.spell.priced", {}, version=None, via="rest")
    await platform.casts.abandon(abandoned, "the queue stopped")
    cast = await the_cast(platform, abandoned.cast_id)
    assert (cast.status, cast.error_code, cast.charged_micros) == ("failed", "cast_interrupted", 0)
    assert await platform.casts.resume(abandoned) == "gone"  # its message arrives after all
    assert await money(platform, caster) == (CREDITS, 0)


async def test_a_held_cast_of_a_version_yanked_meanwhile_fails_uncharged(
    platform: Platform, tmp_path: Path
) -> None:
    caster = await a_caster(platform, tmp_path)
    held = await platform.casts.hold(caster, "test.spell.priced", {}, version=None, via="rest")
    yank = update(SpellVersion).where(SpellVersion.spell_key == "test.spell.priced").values(yanked=True)
    await platform.db.write(lambda session: session.execute(yank))
    platform.lookups.forget_spells()
    assert await platform.casts.resume(held) == "failed"
    cast = await the_cast(platform, held.cast_id)
    assert (cast.status, cast.error_code, cast.charged_micros) == ("failed", "spell_not_found", 0)
    assert await money(platform, caster) == (CREDITS, 0)


async def test_a_casters_queued_casts_are_bounded(database: Database, tmp_path: Path) -> None:
    settings = Settings(
        home=tmp_path / "home", database_url=database.url, dev_mode=True, max_queued_per_caster=2
    )
    platform = await Platform.open(settings)
    try:
        caster = await a_caster(platform, tmp_path)
        hold = partial(platform.casts.hold, caster, "test.spell.priced", {}, version=None, via="rest")
        held = [await hold(), await hold()]
        with pytest.raises(SpellError) as refused:
            await hold()
        assert refused.value.code == "rate_limited" and refused.value.headers["Retry-After"]
        assert await money(platform, caster) == (CREDITS, 2 * PRICE)  # the refused one holds nothing
        await platform.casts.resume(held[0])  # one finishes: room for another
        await hold()
        # A cast waited for is not a queued cast: it is bounded by the in-flight cap instead.
        await platform.casts.cast(caster, "test.spell.priced", {}, via="rest")
    finally:
        await platform.close()


async def test_a_cast_the_queue_cannot_take_is_released_at_once(platform: Platform, tmp_path: Path) -> None:
    caster = await a_caster(platform, tmp_path)
    full = LocalQueue(capacity=1)
    first = await submit(platform.casts, full, caster, "test.spell.priced", {}, version=None, via="rest")
    with pytest.raises(SpellError) as refused:
        await submit(platform.casts, full, caster, "test.spell.priced", {}, version=None, via="rest")
    assert refused.value.code == "overloaded" and refused.value.headers["Retry-After"]
    assert await money(platform, caster) == (CREDITS, PRICE)  # only the first is held
    casts = await platform.db.read(lambda session: list(session.execute(select(Cast)).scalars()))
    refused_cast = next(cast for cast in casts if cast.id != first)
    assert (refused_cast.status, refused_cast.error_code) == ("failed", "cast_interrupted")

    # Stopped, the queue releases what it never ran.
    with anyio.CancelScope() as scope:
        scope.cancel()
        await full.work(platform.casts, workers=1)
    assert (await the_cast(platform, first)).status == "failed"
    assert await money(platform, caster) == (CREDITS, 0)
    with pytest.raises(QueueUnavailable):
        await full.put(
            HeldCast.decode(
                (
                    await platform.casts.hold(caster, "test.spell.priced", {}, version=None, via="rest")
                ).encode()
            )
        )


async def test_the_end_of_a_queued_cast_is_told_to_the_casters_webhook_once(
    platform: Platform, tmp_path: Path, receiver: alerts.Receiver
) -> None:
    caster = await a_caster(platform, tmp_path)
    secret = await alerts.hook(platform, caster, receiver.url())
    await platform.casts.cast(caster, "test.spell.priced", {}, via="rest")  # waited for: not told
    succeeded = await platform.casts.hold(caster, "test.spell.priced", {}, version=None, via="rest")
    failed = await platform.casts.hold(caster, "test.spell.exit", {}, version=None, via="rest")
    for held in (succeeded, failed, succeeded):  # the first delivered twice
        await platform.casts.resume(held)
    assert await alerts.send_due(platform) == 2
    told = {
        event["data"]["cast_id"]: event
        for event in (Webhook(secret).verify(body, headers) for headers, body in receiver.requests)
    }
    assert told[succeeded.cast_id]["type"] == "cast.succeeded"
    assert told[succeeded.cast_id]["data"]["receipt"]["signature"]
    assert told[failed.cast_id]["type"] == "cast.failed"
    assert told[failed.cast_id]["data"]["error"]["code"] == "spell_failed"
    assert len(await events(platform, caster)) == 2


async def test_a_queued_cast_whose_hold_expires_unrun_is_told_as_failed(
    platform: Platform, tmp_path: Path, receiver: alerts.Receiver
) -> None:
    caster = await a_caster(platform, tmp_path)
    await alerts.hook(platform, caster, receiver.url())
    held = await platform.casts.hold(caster, "test.spell.priced", {}, version=None, via="rest")
    later = datetime.now(UTC) + timedelta(seconds=platform.settings.hold_ttl_s + 1)
    assert await sweep(platform, later) == [held.cast_id]  # no worker ran it in time
    assert await money(platform, caster) == (CREDITS, 0)
    [told] = await events(platform, caster)
    assert (told.event_type, told.payload["cast_id"]) == ("cast.failed", held.cast_id)
    assert told.payload["error"]["code"] == "cast_interrupted"
    assert await platform.casts.resume(held) == "gone"  # its message, delivered at last


def test_a_message_that_is_not_a_held_cast_is_refused() -> None:
    good = HeldCast(
        cast_id="cast_" + "0" * 32,
        caster_id="user",
        spell_key="test.spell.priced",
        spell_version="1.0.0",
        module_digest="a" * 64,
        input="{}",
        input_sha256=hashlib.sha256(b"{}").hexdigest(),
        hold_id="hold",
        via="rest",
    )
    assert HeldCast.decode(good.encode()) == good
    tampered = good.encode().replace(b'"input":"{}"', b'"input":"{\\"x\\":1}"')
    for hostile in (
        tampered,  # an input that is not the one whose hash the cast recorded
        good.encode().replace(b'"format":1', b'"format":0'),
        good.encode().replace(b"}", b',"charge":0}', 1)[:-1] + b"}",
        good.encode().replace(b'"cast_' + b"0" * 32, b'"../../etc'),
        b"not json",
        b"[]",
        b'{"format": 2}',
    ):
        with pytest.raises(ValueError):
            HeldCast.decode(hostile)
    # A newer server's message is not garbage: a worker leaves it for a newer worker.
    for newer in (
        good.encode().replace(b'"format":1', b'"format":2'),
        good.encode().replace(b'"format":1', b'"format":2,"priority":"high"'),
    ):
        with pytest.raises(NewerFormat):
            HeldCast.decode(newer)
