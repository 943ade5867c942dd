"""privacy: users' e-mail and status, consents, preferences, legal holds; redaction of the
audit trail at erasure

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEEP_DAYS = 365
# The one change the audit trail allows: an erased user's key ids redacted from their events
# (the key id is the visible prefix of a key). Everything else of the event stays as it was.
REDACTION = """
    NEW.id = OLD.id AND NEW.created_at = OLD.created_at AND NEW.via = OLD.via
    AND NEW.action = OLD.action AND NEW.target_type = OLD.target_type
    AND NEW.actor_id IS {same} OLD.actor_id AND NEW.subject_id IS {same} OLD.subject_id
    AND NEW.address_hash IS {same} OLD.address_hash
    AND NEW.actor_key_id IS NULL AND (NEW.target_id = OLD.target_id OR NEW.target_id = 'redacted')
    AND {details} = '{{"redacted": true}}'
"""


def upgrade() -> None:
    op.add_column("users", sa.Column("email", sa.String(length=320), nullable=True))
    op.add_column("users", sa.Column("status", sa.String(length=16), nullable=False, server_default="active"))
    op.add_column("users", sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("users", sa.Column("purge_after", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "consents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("version", sa.String(length=32), nullable=False),
        sa.Column("given", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_consents_user", "consents", ["user_id", "kind", "created_at"])
    op.create_table(
        "user_preferences",
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("do_not_sell", sa.Boolean(), nullable=False),
        sa.Column("product_emails", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id"),
    )
    op.create_table(
        "legal_holds",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("target_type", sa.String(length=16), nullable=False),
        sa.Column("target_id", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_legal_holds_target_id", "legal_holds", ["target_id"])
    if op.get_bind().dialect.name == "postgresql":
        redaction = REDACTION.format(same="NOT DISTINCT FROM", details="NEW.details::text")
        op.execute(
            "CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN IF TG_OP = 'UPDATE' THEN IF {redaction} THEN RETURN NEW; END IF; "
            "RAISE EXCEPTION 'audit_events is append-only'; END IF; "
            f"IF OLD.created_at > now() - interval '{KEEP_DAYS} days' THEN "
            "RAISE EXCEPTION 'audit_events is append-only'; END IF; RETURN OLD; END $$"
        )
    else:
        op.execute("DROP TRIGGER audit_events_no_update")
        redaction = REDACTION.format(same="", details="NEW.details")
        op.execute(
            "CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events "
            f"WHEN NOT ({redaction}) BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END"
        )


def downgrade() -> None:
    op.drop_index("ix_legal_holds_target_id", table_name="legal_holds")
    op.drop_table("legal_holds")
    op.drop_table("user_preferences")
    op.drop_index("ix_consents_user", table_name="consents")
    op.drop_table("consents")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("purge_after")
        batch.drop_column("erased_at")
        batch.drop_column("status")
        batch.drop_column("email")
