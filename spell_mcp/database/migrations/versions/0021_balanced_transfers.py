"""balanced transfers: the database refuses to commit a transfer whose legs do not sum to zero

Whatever writes to the ledger (the code, an operator at a SQL prompt, a bug), a transaction that
leaves a transfer's legs summing to anything but zero does not commit. Both designs check at the
end of the transaction, not at each row, since a transfer's legs are inserted one by one (or by
one executemany) and balance only once the last is in.

PostgreSQL has deferred constraint triggers (as django-hordak uses): after each leg is inserted,
a trigger deferred to COMMIT sums the legs of its transfer (by `ix_ledger_entries_transfer_id`)
and raises `check_violation` unless they sum to zero.

SQLite has no deferred triggers: its triggers run at each statement. The only check it makes at
COMMIT is a deferred foreign key, so the design is built on one:
- a transfer is sealed by a row of `ledger_transfers` (its id), inserted after its legs, and
  `ledger_entries.transfer_id` references it, DEFERRABLE INITIALLY DEFERRED: a transaction that
  leaves a leg without its seal fails at COMMIT ("FOREIGN KEY constraint failed");
- a trigger refuses the seal unless the transfer has legs and they sum to zero, so no seal is
  ever written for an unbalanced transfer;
- a trigger refuses a leg for a transfer already sealed, so legs cannot be added after the check;
  and, like the entries, seals are never updated or deleted.
Every committed leg thus belongs to a sealed transfer, which balanced when it was sealed and can
never change after. The writer (billing/cast_money.py, `_extend_chain`) inserts the seals with
one executemany after the legs: one more statement per transaction, whatever its size. Foreign
keys are enforced only on connections that turn them on: every connection the platform opens
does (`PRAGMA foreign_keys=ON`, spell_mcp/database/engine.py and driver.py); the seal and
sealed-leg triggers hold on any connection.

The other SQLite design weighed, a trigger on the chain head's update checking the entries
appended since its previous position, is not sound: entries written without moving the head are
never checked. Transfers already in the ledger are sealed as they are (`spell ledger verify`
audits them).

Adding a foreign key to a SQLite table rebuilds it, which drops its triggers: the append-only
triggers of `ledger_entries` are created again.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

POSTGRESQL_BALANCED = """
    CREATE FUNCTION ledger_transfer_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        total bigint;
    BEGIN
        SELECT sum(amount) INTO total FROM ledger_entries WHERE transfer_id = NEW.transfer_id;
        IF total <> 0 THEN
            RAISE EXCEPTION 'the legs of transfer % sum to % micro-USD, not zero', NEW.transfer_id, total
                USING ERRCODE = 'check_violation';
        END IF;
        RETURN NULL;
    END $$
"""
POSTGRESQL_TRIGGER = """
    CREATE CONSTRAINT TRIGGER ledger_entries_balanced AFTER INSERT ON ledger_entries
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_transfer_balanced()
"""
SEAL_FOREIGN_KEY = "fk_ledger_entries_transfer_sealed"
SQLITE_TRIGGERS = {
    "ledger_transfers_balanced": """
        CREATE TRIGGER ledger_transfers_balanced BEFORE INSERT ON ledger_transfers
        WHEN coalesce((SELECT sum(amount) FROM ledger_entries WHERE transfer_id = NEW.id), 1) <> 0
        BEGIN SELECT RAISE(ABORT, 'the legs of a transfer must sum to zero'); END
    """,
    "ledger_entries_unsealed": """
        CREATE TRIGGER ledger_entries_unsealed BEFORE INSERT ON ledger_entries
        WHEN EXISTS (SELECT 1 FROM ledger_transfers WHERE id = NEW.transfer_id)
        BEGIN SELECT RAISE(ABORT, 'the transfer is sealed: no leg can be added to it'); END
    """,
    **{
        f"{table}_no_{action.lower()}": f"""
            CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table}
            BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END
        """
        for table in ("ledger_transfers", "ledger_entries")
        for action in ("UPDATE", "DELETE")
    },
}


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(POSTGRESQL_BALANCED)
        op.execute(POSTGRESQL_TRIGGER)
        return
    op.create_table(
        "ledger_transfers",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sqlite_with_rowid=False,  # one B-tree, not a table and its key's index
    )
    op.execute("INSERT INTO ledger_transfers (id) SELECT DISTINCT transfer_id FROM ledger_entries")
    with op.batch_alter_table("ledger_entries", recreate="always") as batch_op:
        batch_op.create_foreign_key(
            SEAL_FOREIGN_KEY,
            "ledger_transfers",
            ["transfer_id"],
            ["id"],
            deferrable=True,
            initially="DEFERRED",
        )
    for statement in SQLITE_TRIGGERS.values():
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER ledger_entries_balanced ON ledger_entries")
        op.execute("DROP FUNCTION ledger_transfer_balanced()")
        return
    for name in SQLITE_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    with op.batch_alter_table("ledger_entries", recreate="always") as batch_op:
        batch_op.drop_constraint(SEAL_FOREIGN_KEY, type_="foreignkey")
    for action in ("UPDATE", "DELETE"):
        op.execute(SQLITE_TRIGGERS[f"ledger_entries_no_{action.lower()}"])
    op.drop_table("ledger_transfers")
