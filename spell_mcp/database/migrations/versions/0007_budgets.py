"""budgets

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "budgets",
        sa.Column("subject", sa.String(length=80), nullable=False),
        sa.Column("daily_cap_micros", sa.BigInteger(), nullable=True),
        sa.Column("monthly_cap_micros", sa.BigInteger(), nullable=True),
        sa.Column("per_cast_max_micros", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("subject"),
    )
    op.create_table(
        "budget_windows",
        sa.Column("subject", sa.String(length=80), nullable=False),
        sa.Column("period", sa.String(length=8), nullable=False),
        sa.Column("starts", sa.DateTime(timezone=True), nullable=False),
        sa.Column("spent", sa.BigInteger(), nullable=False),
        sa.Column("held", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("held >= 0", name="ck_budget_windows_held_not_negative"),
        sa.PrimaryKeyConstraint("subject", "period", "starts"),
    )
    op.create_table(
        "budget_alerts",
        sa.Column("subject", sa.String(length=80), nullable=False),
        sa.Column("period", sa.String(length=8), nullable=False),
        sa.Column("starts", sa.DateTime(timezone=True), nullable=False),
        sa.Column("threshold", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("subject", "period", "starts", "threshold"),
    )
    op.add_column("holds", sa.Column("windows", sa.JSON(), nullable=False, server_default="[]"))


def downgrade() -> None:
    op.drop_column("holds", "windows")
    op.drop_table("budget_alerts")
    op.drop_table("budget_windows")
    op.drop_table("budgets")
