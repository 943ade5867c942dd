"""namespaces: the first maker to publish a key in a namespace owns it

A namespace (registry.manifest.namespace_of: com.acme for com.acme.resize) belongs to one maker;
its primary key is what decides between two makers publishing its first keys at once. The
namespaces of spells already published are given to the maker of the oldest spell in each, so a
maker who published before this migration keeps their namespace.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-08
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from registry.manifest import namespace_of

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "namespaces",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("maker_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_index("ix_namespaces_maker_id", "namespaces", ["maker_id"])
    connection = op.get_bind()
    oldest: dict[str, str] = {}
    for (key,) in connection.execute(sa.text("SELECT key FROM spells ORDER BY created_at, key")):
        oldest.setdefault(namespace_of(key), key)
    for name, key in oldest.items():
        connection.execute(
            sa.text(
                "INSERT INTO namespaces (name, maker_id, created_at) "
                "SELECT :name, maker_id, created_at FROM spells WHERE key = :key"
            ),
            {"name": name, "key": key},
        )


def downgrade() -> None:
    op.drop_table("namespaces")
