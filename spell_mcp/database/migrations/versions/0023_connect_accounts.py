"""connect accounts: what Stripe's Connect endpoint says of a maker's payout account, and when

Stripe does not promise the order of its events: `state_at` keeps when Stripe said what is known
(an older account.updated arriving late changes nothing). `disconnected_at` marks an account the
maker disconnected (account.application.deauthorized), and the bank payout columns the account's
latest payout to its bank (payout.paid / payout.failed), shown to the maker.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-08
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (
    ("state_at", sa.DateTime(timezone=True)),
    ("disconnected_at", sa.DateTime(timezone=True)),
    ("bank_payout_id", sa.String(length=255)),
    ("bank_payout_status", sa.String(length=16)),
    ("bank_payout_failure", sa.String(length=500)),
)


def upgrade() -> None:
    with op.batch_alter_table("payout_accounts") as table:
        for name, kind in COLUMNS:
            table.add_column(sa.Column(name, kind, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("payout_accounts") as table:
        for name, _ in reversed(COLUMNS):
            table.drop_column(name)
