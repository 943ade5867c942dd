"""What a caster's money and casts come to, and what a maker earned: the caster's balance
(posted, held, available, debt, frozen), what their successful casts cost grouped by day, spell
or API key, and a maker's share of every cast of their spells."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlmodel import col

from billing import AccountKind, Ledger, LedgerEntry, account_id
from billing.payments import CasterMoney, Payments
from spell_mcp.database.engine import Database
from spell_mcp.database.tables import Cast
from spell_mcp.errors import SpellError

Grouping = Literal["day", "spell", "key"]
_GROUPS = {"day": func.date(col(Cast.created_at)), "spell": col(Cast.spell_key), "key": col(Cast.api_key_id)}
USAGE_DAYS = 30


@dataclass(frozen=True, slots=True)
class UsageLine:
    group: str  # the day (YYYY-MM-DD), spell key or API key id
    casts: int
    spent: int


@dataclass(frozen=True, slots=True)
class Usage:
    group: Grouping
    since: datetime
    until: datetime
    lines: list[UsageLine]


@dataclass(frozen=True, slots=True)
class Earnings:
    balance: int  # earned and not yet paid out
    by_spell: dict[str, int]  # earned per spell, all time, by key


async def money_of(db: Database, caster_id: str) -> CasterMoney:
    return await db.read(lambda session: Payments(session).money(caster_id))


async def usage_of(
    db: Database,
    caster_id: str,
    group: Grouping,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Usage:
    """What the caster's successful casts cost from `since` (30 days before `until`) to `until`
    (now), grouped."""
    end = until or datetime.now(UTC)
    try:
        start = since or end - timedelta(days=USAGE_DAYS)
    except OverflowError:  # `until` within 30 days of the year 1: from the start of time
        start = datetime.min.replace(tzinfo=UTC)
    if start.tzinfo is None or end.tzinfo is None:
        raise SpellError(
            "request_invalid", "give since and until with a time zone, e.g. 2026-11-01T00:00:00Z"
        )
    bucket = _GROUPS[group]
    query = (
        select(bucket, func.count(), func.coalesce(func.sum(col(Cast.charged_micros)), 0))
        .where(
            col(Cast.caster_id) == caster_id,
            col(Cast.status) == "succeeded",
            col(Cast.created_at) >= start,
            col(Cast.created_at) < end,
        )
        .group_by(bucket)
        .order_by(bucket)
    )

    def read(session: Session) -> list[UsageLine]:
        return [
            UsageLine(str(value) if value is not None else "(no key)", int(count), int(spent))
            for value, count, spent in session.execute(query).all()
        ]

    return Usage(group, start, end, await db.read(read))


async def earnings_of(db: Database, maker_id: str) -> Earnings:
    """The maker's share of every successful cast of their spells."""
    account = account_id(AccountKind.MAKER_EARNINGS, maker_id)
    query = (
        select(col(Cast.spell_key), func.sum(col(LedgerEntry.amount)))
        .join(Cast, col(Cast.id) == col(LedgerEntry.reference))
        .where(col(LedgerEntry.account_id) == account, col(LedgerEntry.kind) == "cast")
        .group_by(col(Cast.spell_key))
    )

    def read(session: Session) -> Earnings:
        balance, _ = Ledger(session).balance(account)
        per_spell: dict[str, int] = defaultdict(int)
        for key, amount in session.execute(query).all():
            per_spell[key] += int(amount)
        return Earnings(balance, dict(sorted(per_spell.items())))

    return await db.read(read)
