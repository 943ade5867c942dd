"""api key scopes, expiry, rotation and last use

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("api_keys", sa.Column("previous_secret_sha256", sa.String(length=64), nullable=True))
    op.add_column("api_keys", sa.Column("previous_valid_until", sa.DateTime(timezone=True), nullable=True))
    op.add_column(
        "api_keys",
        sa.Column(
            "scopes", sa.JSON(), nullable=False, server_default='["cast", "publish", "read", "billing"]'
        ),
    )
    op.add_column("api_keys", sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("api_keys", sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    for column in ("last_used_at", "expires_at", "scopes", "previous_valid_until", "previous_secret_sha256"):
        op.drop_column("api_keys", column)
