"""Ledger tables. Amounts are integer micro-USD (1 USD = 1,000,000)."""

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, CheckConstraint, Column, DateTime, Index, Table, TypeDecorator
from sqlmodel import Field, SQLModel


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that is always timezone-aware UTC, on every backend (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("timestamps must be timezone-aware")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Account(SQLModel, table=True):
    """A ledger account. `balance` is the sum of its posted entries; `held` is what pending
    holds have reserved of it. Credits may be spent only while balance - held covers them."""

    __tablename__ = "accounts"
    __table_args__ = (
        CheckConstraint("held >= 0", name="ck_accounts_held_not_negative"),
        # A caster can never spend credits it does not have, whatever the code above does.
        CheckConstraint(
            "kind <> 'caster_credits' OR balance >= held", name="ck_accounts_credits_cover_holds"
        ),
    )

    id: str = Field(primary_key=True, max_length=64)
    kind: str = Field(max_length=32)
    owner_id: str | None = Field(default=None, max_length=64, index=True)
    balance: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, default=0))
    held: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, default=0))


class Hold(SQLModel, table=True):
    """A reservation of a caster's credits for one cast: pending → settled | voided."""

    __tablename__ = "holds"

    id: str = Field(primary_key=True, max_length=64)
    account_id: str = Field(foreign_key="accounts.id", max_length=64)
    amount: int = Field(sa_column=Column(BigInteger, nullable=False))
    status: str = Field(default="pending", max_length=16)
    reference: str = Field(max_length=64)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    expires_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    # The budget windows this hold counts against (billing.budgets.WindowHold dicts).
    windows: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class LedgerEntry(SQLModel, table=True):
    """One leg of a transfer. Rows are only ever inserted; the legs of a transfer sum to zero,
    which the database itself refuses to commit otherwise (migration 0021: a deferred constraint
    trigger on PostgreSQL; on SQLite a seal per transfer, `ledger_transfers`)."""

    __tablename__ = "ledger_entries"
    __table_args__ = (
        Index("ix_ledger_entries_account", "account_id", "id"),
        Index("ix_ledger_entries_seq", "seq", unique=True),
    )

    id: int | None = Field(default=None, primary_key=True)
    transfer_id: str = Field(max_length=64, index=True)
    account_id: str = Field(foreign_key="accounts.id", max_length=64)
    amount: int = Field(sa_column=Column(BigInteger, nullable=False))
    kind: str = Field(max_length=32)
    reference: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    # Position in the hash chain, the previous entry's hash, and this entry's (billing.chain).
    seq: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    prev_hash: str | None = Field(default=None, max_length=64)
    hash: str | None = Field(default=None, max_length=64)


class LedgerTip(SQLModel, table=True):
    """The head of the hash chain: one row, locked by every transfer while it extends the chain."""

    __tablename__ = "ledger_tip"

    id: int = Field(default=1, primary_key=True)
    seq: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, default=0))
    hash: str = Field(max_length=64)


class Budget(SQLModel, table=True):
    """Caps for a subject: "user:<id>" or "key:<id>". None means no cap."""

    __tablename__ = "budgets"

    subject: str = Field(primary_key=True, max_length=80)
    daily_cap_micros: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    monthly_cap_micros: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    per_cast_max_micros: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    # A soft limit: casts priced above it are confirmed by the person first (over MCP).
    confirm_above_micros: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))


class BudgetWindow(SQLModel, table=True):
    """What a subject spent (settled) and holds (in flight) in one UTC day or month."""

    __tablename__ = "budget_windows"
    __table_args__ = (CheckConstraint("held >= 0", name="ck_budget_windows_held_not_negative"),)

    subject: str = Field(primary_key=True, max_length=80)
    period: str = Field(primary_key=True, max_length=8)
    starts: datetime = Field(sa_column=Column(UTCDateTime(), primary_key=True))
    spent: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, default=0))
    held: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, default=0))


class BudgetAlert(SQLModel, table=True):
    """A cap crossed 50, 80 or 100 %: recorded once per window."""

    __tablename__ = "budget_alerts"

    subject: str = Field(primary_key=True, max_length=80)
    period: str = Field(primary_key=True, max_length=8)
    starts: datetime = Field(sa_column=Column(UTCDateTime(), primary_key=True))
    threshold: int = Field(primary_key=True)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


def table_of(model: Any) -> Table:
    """The Core table of a model, for statements built once and run many times."""
    table: Table = model.__table__
    return table
