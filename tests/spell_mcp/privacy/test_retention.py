"""Retention with an injected clock: what is past its period goes (input hashes and logs after
90 days, files after 30, budget history and the audit trail after a year, an erased user's
records after their grace), what a legal hold covers stays, a file whose bytes a spell or a
newer cast still uses stays, and of the processes that find the job due, one runs it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import anyio
import pytest
from sqlalchemy.orm import Session
from sqlmodel import col, select

from registry import SpellVersion
from spell_mcp import audit
from spell_mcp.accounts.users import create_user
from spell_mcp.bootstrap import register_directory
from spell_mcp.database.tables import AuditEvent, Cast, LegalHold, User
from spell_mcp.operations.retention_job import run_if_due
from spell_mcp.platform import Platform
from spell_mcp.privacy import retention

# The clock the job is given. Today: the audit trail's trigger judges an event's age by the
# database's own clock, and refuses to delete one younger than a year by it.
NOW = datetime.now(UTC)
DAY = timedelta(days=1)


def add_cast(
    session: Session, caster: str, spell: str, age: timedelta, *, files: list[str], log: str | None
) -> str:
    cast_id = f"cast_{len(list(session.execute(select(Cast.id))))}_{caster[-4:]}"
    session.add(
        Cast(
            id=cast_id,
            caster_id=caster,
            spell_key=spell,
            spell_version="1.0.0",
            module_digest="0" * 64,
            status="succeeded",
            price_micros=0,
            input_sha256="f" * 64,
            artifacts=[{"name": f"f{i}", "size": 1, "sha256": digest} for i, digest in enumerate(files)],
            receipt={"cast_id": cast_id},
            log=log,
            via="rest",
            created_at=NOW - age,
        )
    )
    return cast_id


async def test_what_is_past_its_period_goes_and_nothing_else(platform: Platform, built_spells: Path) -> None:
    caster = (await platform.db.write(lambda s: create_user(s, "caster"))).user_id
    held_user = (await platform.db.write(lambda s: create_user(s, "held"))).user_id
    erased = (await platform.db.write(lambda s: create_user(s, "gone"))).user_id
    await register_directory(platform, built_spells, caster)
    echo_module = await platform.db.read(
        lambda s: s.execute(
            select(col(SpellVersion.module_digest)).where(col(SpellVersion.spell_key) == "dev.spell.echo")
        ).scalar_one()
    )
    old_file, shared_file = platform.blobs.put(b"old report"), platform.blobs.put(b"shared report")
    # A cast can make a spell write a file byte for byte equal to somebody's module.
    forged = platform.blobs.put(platform.blobs.get(echo_module))
    assert forged == echo_module

    def fill(session: Session) -> dict[str, str]:
        ids = {
            "old": add_cast(
                session, caster, "dev.spell.echo", 100 * DAY, files=[old_file, forged], log="old log"
            ),
            "month": add_cast(session, caster, "dev.spell.echo", 40 * DAY, files=[shared_file], log="recent"),
            "new": add_cast(session, caster, "dev.spell.echo", 1 * DAY, files=[shared_file], log="new"),
            "held": add_cast(session, held_user, "dev.spell.echo", 100 * DAY, files=[], log="evidence"),
            "held_spell": add_cast(session, caster, "dev.spell.textstats", 100 * DAY, files=[], log="kept"),
            "erased": add_cast(session, erased, "dev.spell.echo", 10 * DAY, files=[], log=None),
        }
        session.add(LegalHold(id="lh_1", target_type="user", target_id=held_user, reason="r", created_at=NOW))
        session.add(
            LegalHold(
                id="lh_2", target_type="spell", target_id="dev.spell.textstats", reason="r", created_at=NOW
            )
        )
        user = session.get(User, erased)
        assert user is not None
        user.status, user.purge_after = "erased", NOW - DAY
        old = NOW - 400 * DAY
        audit.record(session, audit.Actor(caster), "key.created", "key", "k_old", now=old)
        audit.record(session, audit.Actor(held_user), "key.created", "key", "k_held", now=old)
        audit.record(session, audit.Actor(caster), "key.revoked", "key", "k_new", now=NOW - 10 * DAY)
        return ids

    ids = await platform.db.write(fill)
    planned = await platform.db.read(lambda s: retention.run(s, platform.blobs, NOW, dry_run=True))
    assert planned.as_dict() == {
        "input_hashes": 1,  # "old" (held user's and held spell's are kept)
        "artifacts": 2,  # "old" and "month"
        "artifact_files": 1,  # old_file; shared_file is in "new", forged is the echo module
        "execution_logs": 1,
        "webhook_deliveries": 0,
        "budget_history": 0,
        "audit_trail": 1,  # the held user's old event stays
        "policy_violations": 0,
        "erased_users_purged": 1,
    }
    nothing_yet = await platform.db.read(lambda s: s.get(Cast, ids["old"]))
    assert nothing_yet is not None and nothing_yet.log == "old log", "a dry run removes nothing"

    removed = await platform.db.write(lambda s: retention.run(s, platform.blobs, NOW, dry_run=False))
    assert removed == planned
    casts = await platform.db.read(lambda s: {c.id: c for c in s.execute(select(Cast)).scalars()})
    old = casts[ids["old"]]
    assert (old.input_sha256, old.receipt, old.log, old.artifacts) == ("", None, None, None)
    month = casts[ids["month"]]
    assert month.artifacts is None and month.log == "recent"  # files keep 30 days, logs 90
    assert casts[ids["held"]].log == "evidence" and casts[ids["held"]].input_sha256 == "f" * 64
    assert casts[ids["held_spell"]].log == "kept"
    assert ids["erased"] not in casts
    assert platform.blobs.get(shared_file) == b"shared report"
    assert platform.blobs.get(echo_module), "a module is never removed as somebody's file"
    with pytest.raises(KeyError):
        platform.blobs.get(old_file)
    targets = await platform.db.read(lambda s: sorted(s.execute(select(col(AuditEvent.target_id))).scalars()))
    assert "k_old" not in targets and {"k_held", "k_new"} <= set(targets)

    again = await platform.db.write(lambda s: retention.run(s, platform.blobs, NOW, dry_run=False))
    assert again == retention.Removed(), "a second run finds nothing left to do"


async def test_of_the_processes_that_find_retention_due_one_runs_it(platform: Platform) -> None:
    outcomes: list[retention.Removed | None] = []

    async def one_process() -> None:
        outcomes.append(await run_if_due(platform.db, platform.blobs, NOW))

    async with anyio.create_task_group() as processes:
        for _ in range(3):
            processes.start_soon(one_process)
    assert sum(outcome is not None for outcome in outcomes) == 1
