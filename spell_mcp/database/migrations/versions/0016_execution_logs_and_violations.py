"""execution logs and policy violations

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN: no table rebuild on SQLite.
    op.add_column("casts", sa.Column("log", sa.Text(), nullable=True))
    op.create_table(
        "policy_violations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("spell_key", sa.String(length=64), nullable=False),
        sa.Column("spell_version", sa.String(length=64), nullable=False),
        sa.Column("cast_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("detail", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_policy_violations_spell", "policy_violations", ["spell_key", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_policy_violations_spell", table_name="policy_violations")
    op.drop_table("policy_violations")
    op.drop_column("casts", "log")
