"""Payments: customers, top-ups, the payments list, provider events, makers' payout accounts and
payouts, auto-reloads; debt never positive

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The database refuses what no code path may do: a caster's debt above zero, frozen credits
# below it. PostgreSQL checks a constraint; on SQLite (where adding one means rebuilding
# `accounts`, which other tables refer to) triggers do the same.
DEBT_RULE = "kind <> 'caster_debt' OR balance <= 0"
FROZEN_RULE = "kind <> 'caster_frozen' OR balance >= 0"
SQLITE_TRIGGERS = {
    f"accounts_{name}_{event}": f"""
        CREATE TRIGGER accounts_{name}_{event} BEFORE {event.upper()} ON accounts
        WHEN NOT ({rule.replace("kind", "NEW.kind").replace("balance", "NEW.balance")})
        BEGIN SELECT RAISE(ABORT, 'ck_accounts_{name}'); END
    """
    for name, rule in (("debt_not_positive", DEBT_RULE), ("frozen_not_negative", FROZEN_RULE))
    for event in ("insert", "update")
}


def upgrade() -> None:
    op.create_table(
        "payment_customers",
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("provider_customer_id", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("user_id"),
        sa.UniqueConstraint("provider_customer_id"),
    )
    op.create_table(
        "top_ups",
        sa.Column("id", sa.String(length=255), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("amount_micros", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("payment_intent", sa.String(length=255), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_top_ups_user_id", "top_ups", ["user_id"])
    op.create_index("ix_top_ups_payment_intent", "top_ups", ["payment_intent"])
    op.create_table(
        "payments",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("amount_micros", sa.BigInteger(), nullable=False),
        sa.Column("tax_micros", sa.BigInteger(), nullable=False),
        sa.Column("fee_micros", sa.BigInteger(), nullable=False),
        sa.Column("reference", sa.String(length=255), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("receipt_url", sa.String(length=2000), nullable=True),
        sa.Column("transfer_id", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("uq_payments_kind_reference", "payments", ["kind", "reference"], unique=True)
    op.create_index("ix_payments_user_created", "payments", ["user_id", "created_at"])
    op.create_table(
        "payment_events",
        sa.Column("id", sa.String(length=255), nullable=False),
        sa.Column("type", sa.String(length=100), nullable=False),
        sa.Column("object_id", sa.String(length=255), nullable=True),
        sa.Column("outcome", sa.String(length=500), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "payout_accounts",
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("provider_account_id", sa.String(length=255), nullable=False),
        sa.Column("payouts_enabled", sa.Boolean(), nullable=False),
        sa.Column("details_submitted", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("user_id"),
        sa.UniqueConstraint("provider_account_id"),
    )
    op.create_table(
        "payouts",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("maker_id", sa.String(length=64), nullable=False),
        sa.Column("period", sa.String(length=10), nullable=False),
        sa.Column("cutoff", sa.DateTime(timezone=True), nullable=False),
        sa.Column("casts", sa.Integer(), nullable=False),
        sa.Column("gross_micros", sa.BigInteger(), nullable=False),
        sa.Column("platform_micros", sa.BigInteger(), nullable=False),
        sa.Column("clawback_micros", sa.BigInteger(), nullable=False),
        sa.Column("amount_micros", sa.BigInteger(), nullable=False),
        sa.Column("returned_micros", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("transfer_id", sa.String(length=255), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["maker_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("uq_payouts_maker_period", "payouts", ["maker_id", "period"], unique=True)
    op.create_index("ix_payouts_transfer_id", "payouts", ["transfer_id"])
    op.create_table(
        "auto_reloads",
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("threshold_micros", sa.BigInteger(), nullable=False),
        sa.Column("amount_micros", sa.BigInteger(), nullable=False),
        sa.Column("monthly_cap_micros", sa.BigInteger(), nullable=False),
        sa.Column("payment_method", sa.String(length=255), nullable=True),
        sa.Column("in_flight", sa.String(length=64), nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("month_total_micros", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("user_id"),
    )
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_TRIGGERS.values():
            op.execute(statement)
    else:
        op.create_check_constraint("ck_accounts_debt_not_positive", "accounts", DEBT_RULE)
        op.create_check_constraint("ck_accounts_frozen_not_negative", "accounts", FROZEN_RULE)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    else:
        op.drop_constraint("ck_accounts_frozen_not_negative", "accounts", type_="check")
        op.drop_constraint("ck_accounts_debt_not_positive", "accounts", type_="check")
    op.drop_table("auto_reloads")
    op.drop_table("payouts")
    op.drop_table("payout_accounts")
    op.drop_table("payment_events")
    op.drop_table("payments")
    op.drop_table("top_ups")
    op.drop_table("payment_customers")
