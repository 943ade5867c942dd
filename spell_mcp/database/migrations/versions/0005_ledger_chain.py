"""ledger chain

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ledger_tip",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    # Plain ADD COLUMN and an index: on SQLite a table rebuild would drop the append-only triggers.
    op.add_column("ledger_entries", sa.Column("seq", sa.BigInteger(), nullable=True))
    op.add_column("ledger_entries", sa.Column("prev_hash", sa.String(length=64), nullable=True))
    op.add_column("ledger_entries", sa.Column("hash", sa.String(length=64), nullable=True))
    op.create_index("ix_ledger_entries_seq", "ledger_entries", ["seq"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_ledger_entries_seq", table_name="ledger_entries")
    op.drop_column("ledger_entries", "hash")
    op.drop_column("ledger_entries", "prev_hash")
    op.drop_column("ledger_entries", "seq")
    op.drop_table("ledger_tip")
