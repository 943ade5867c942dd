"""a soft confirmation threshold on budgets

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("budgets", sa.Column("confirm_above_micros", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    op.drop_column("budgets", "confirm_above_micros")
