"""The trail is append-only in the database itself: no event can be changed, and none deleted
before its year is over (only the retention job removes events, and only older ones)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError

from spell_mcp import audit
from spell_mcp.audit.reading import Which, events
from spell_mcp.database.engine import Database
from tests import conftest

SOMEONE = audit.Actor("usr_someone", "0123456789abcdef", via="rest", address_hash="ab" * 16)


async def test_an_event_can_be_neither_changed_nor_deleted_within_its_year(
    database: conftest.Database,
) -> None:
    db = Database(database.url)
    try:
        await db.migrate()
        old = datetime.now(UTC) - timedelta(days=400)
        await db.write(lambda session: audit.record(session, SOMEONE, "key.revoked", "key", "k1"))
        await db.write(lambda session: audit.record(session, SOMEONE, "key.created", "key", "k0", now=old))
        for tampering in (
            "UPDATE audit_events SET actor_id = 'usr_other'",
            "DELETE FROM audit_events WHERE target_id = 'k1'",
        ):
            with pytest.raises((IntegrityError, DBAPIError), match="append-only"):
                await db.write(lambda session, sql=tampering: session.execute(text(sql)))
        await db.write(
            lambda session: session.execute(text("DELETE FROM audit_events WHERE target_id = 'k0'"))
        )
        left = await db.read(lambda session: events(session, Which(involving="usr_someone"), limit=10))
        assert [(event.action, event.target_id, event.actor_id) for event in left] == [
            ("key.revoked", "k1", "usr_someone")
        ]
    finally:
        await db.dispose()


def test_only_catalogued_actions_are_recorded() -> None:
    with pytest.raises(ValueError, match="unknown audit action"):
        audit.record(None, SOMEONE, "key.stolen", "key", "k1")  # type: ignore[arg-type]


def test_pseudonyms_match_equal_values_and_reveal_none() -> None:
    ours, theirs = audit.Pseudonyms(b"k" * 32), audit.Pseudonyms(b"j" * 32)
    assert ours.of_address("203.0.113.7") == ours.of_address("203.0.113.7")
    assert ours.of_address("203.0.113.7") != ours.of_address("203.0.113.8")
    assert ours.of_address("203.0.113.7") != theirs.of_address("203.0.113.7"), "keyed: no table undoes it"
    assert ours.of("user", "203.0.113.7") != ours.of_address("203.0.113.7"), "one kind never matches another"
    assert ours.of_address(None) is None
