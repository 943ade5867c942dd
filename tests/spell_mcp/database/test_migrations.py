"""Upgrading a store that is in use: every migration runs over rows that reference each other,
as a platform upgraded in place has them (a fresh database hides rebuilds that cannot drop a
referenced table)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import text

from spell_mcp.database.engine import Database as Storage
from tests.conftest import Database

ROWS = [
    "INSERT INTO users (id, name, is_operator, created_at) VALUES ('usr_old', 'old', false, :now)",
    "INSERT INTO api_keys (id, user_id, name, secret_sha256, created_at) "
    "VALUES ('0123456789abcdef', 'usr_old', 'first', :digest, :now)",
    "INSERT INTO casts (id, caster_id, api_key_id, spell_key, spell_version, module_digest, status, "
    "price_micros, charged_micros, input_sha256, via, created_at) VALUES ('cast_old', 'usr_old', "
    "'0123456789abcdef', 'com.acme.old', '1.0.0', :digest, 'succeeded', 100, 100, :digest, 'rest', :now)",
]


async def test_every_migration_upgrades_a_store_with_data(empty_database: Database) -> None:
    store = Storage(empty_database.url)
    try:
        await store.migrate("0001")
        params = {"now": datetime.now(UTC), "digest": "0" * 64}

        def fill(session: object) -> None:
            for statement in ROWS:
                session.execute(text(statement), params)  # type: ignore[attr-defined]

        await store.write(fill)
        await store.migrate()
        kept = await store.read(
            lambda session: session.execute(
                text("SELECT u.name, c.id FROM users u JOIN casts c ON c.caster_id = u.id")
            ).all()
        )
        assert [tuple(row) for row in kept] == [("old", "cast_old")]
    finally:
        await store.dispose()


async def test_each_namespace_in_use_goes_to_the_maker_of_its_oldest_spell(empty_database: Database) -> None:
    store = Storage(empty_database.url)
    try:
        await store.migrate("0021")
        spells = [
            ("com.acme.later", "usr_bob", datetime(2026, 2, 1, tzinfo=UTC)),
            ("com.acme.image.first", "usr_alice", datetime(2026, 1, 1, tzinfo=UTC)),
            ("org.bob.tool", "usr_bob", datetime(2026, 3, 1, tzinfo=UTC)),
        ]

        def fill(session: object) -> None:
            for key, maker_id, created_at in spells:
                session.execute(  # type: ignore[attr-defined]
                    text(
                        "INSERT INTO spells (key, maker_id, latest_version, status, created_at) "
                        "VALUES (:key, :maker_id, '1.0.0', 'active', :created_at)"
                    ),
                    {"key": key, "maker_id": maker_id, "created_at": created_at},
                )

        await store.write(fill)
        await store.migrate()
        owners = await store.read(
            lambda session: session.execute(text("SELECT name, maker_id FROM namespaces ORDER BY name")).all()
        )
        assert [tuple(row) for row in owners] == [("com.acme", "usr_alice"), ("org.bob", "usr_bob")]
    finally:
        await store.dispose()
