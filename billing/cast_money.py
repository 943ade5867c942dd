"""The ledger's money as plain SQL: every statement that moves it, written once.

- A cast: `reserve` a hold, then `settle_many` (group commit) or `void` it, run on the database
  driver (spell_mcp/database/driver.py), where a statement costs a tenth to a twentieth of ORM
  work;
- the sweeper's `expire_holds`, and `void_pending` when an account's owner is erased;
- `transfer`: every other balanced transfer (grants, top-ups, refunds, payouts, disputes), which
  `Ledger` runs inside its session's transaction (billing/tx.py).

One conditional UPDATE decides whether credits cover a hold, one conditional upsert per budget
window whether it fits the cap, a hold is closed by an UPDATE conditional on its being pending,
every transfer's legs sum to zero, and `_extend_chain` alone writes ledger entries, each
extending the hash chain under the chain head's row lock.

`settle_many` settles several holds in one transaction and extends the chain once for all of
them (group commit): the chain head serialises every settlement across processes, so the fewer
transactions take it, the more casts a second the ledger takes.

Statements are written once with `?` placeholders, run through a `Tx` (an open transaction on
sqlite3 or asyncpg, or a SQLAlchemy session's); timestamps are passed as aware datetimes and
JSON as text.
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, Protocol

from billing.accounts import AccountKind, account_id
from billing.budgets import (
    BudgetExceeded,
    Caps,
    CrossedAlert,
    WindowHold,
    thresholds_crossed,
    windows_of,
)
from billing.chain import link
from billing.errors import AccountInDebt, HoldNotPending, InsufficientCredits


class Tx(Protocol):
    """An open transaction: on the database driver (spell_mcp/database/driver.py), or a SQLAlchemy
    session's (billing/tx.py). `backend` is "sqlite" or "postgresql"."""

    backend: str

    async def execute(self, sql: str, *args: Any) -> int:
        """Run a statement; the number of rows it changed."""

    async def fetchrow(self, sql: str, *args: Any) -> tuple[Any, ...] | None: ...

    async def fetch(self, sql: str, *args: Any) -> list[tuple[Any, ...]]: ...

    async def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None: ...


_RESERVE = "UPDATE accounts SET held = held + ? WHERE id = ? AND balance - held >= ?"
_BALANCE = "SELECT balance, held FROM accounts WHERE id = ?"
# Counts a hold against a window, creating the window at its first hold; changes no row when the
# hold would take spent + held beyond the cap.
_HOLD_IN_WINDOW = (
    "INSERT INTO budget_windows (subject, period, starts, spent, held) VALUES (?, ?, ?, 0, ?) "
    "ON CONFLICT (subject, period, starts) DO UPDATE SET held = budget_windows.held + excluded.held "
    "WHERE budget_windows.spent + budget_windows.held + excluded.held <= ?"
)
_WINDOW = "SELECT spent, held FROM budget_windows WHERE subject = ? AND period = ? AND starts = ?"
_INSERT_HOLD = (
    "INSERT INTO holds (id, account_id, amount, status, reference, created_at, expires_at, windows) "
    "VALUES (?, ?, ?, 'pending', ?, ?, ?, ?)"
)
_CLOSE_HOLD = (
    "UPDATE holds SET status = ? WHERE id = ? AND status = 'pending' "
    "RETURNING id, account_id, amount, reference, windows"
)


@lru_cache(maxsize=64)
def _close_live_holds(count: int) -> str:
    """Closes `count` holds, those still pending and not expired; a hold past its expiry can only
    be voided: the sweeper may already be releasing it."""
    return (
        f"UPDATE holds SET status = 'settled' WHERE id IN ({placeholders(count)}) "  # noqa: S608
        "AND status = 'pending' AND expires_at > ? RETURNING id, account_id, amount, reference, windows"
    )


_RELEASE = "UPDATE accounts SET held = held - ? WHERE id = ?"
# Each account of a settlement at once: the payer's hold released and paid, the payees credited.
_MOVE = "UPDATE accounts SET balance = balance + ?, held = held - ? WHERE id = ?"
_TIP = "SELECT seq, hash FROM ledger_tip WHERE id = 1"
_MOVE_TIP = "UPDATE ledger_tip SET seq = ?, hash = ? WHERE id = 1"
_SEAL = "INSERT INTO ledger_transfers (id) VALUES (?)"
_INSERT_ENTRY = (
    "INSERT INTO ledger_entries "
    "(seq, transfer_id, account_id, amount, kind, reference, created_at, prev_hash, hash) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_MOVE_IN_WINDOW = (
    "UPDATE budget_windows SET held = held - ?, spent = spent + ? "
    "WHERE subject = ? AND period = ? AND starts = ? RETURNING spent"
)
_EXPIRED_HOLDS = (
    "SELECT id, reference FROM holds WHERE status = 'pending' AND expires_at <= ? ORDER BY expires_at LIMIT ?"
)
_PENDING_HOLDS = "SELECT id, reference FROM holds WHERE account_id = ? AND status = 'pending'"
_CREDIT = "UPDATE accounts SET balance = balance + ? WHERE id = ?"
_INSERT_ALERT = (
    "INSERT INTO budget_alerts (subject, period, starts, threshold, created_at) VALUES (?, ?, ?, ?, ?) "
    "ON CONFLICT DO NOTHING"
)


@lru_cache(maxsize=64)
def placeholders(count: int) -> str:
    """`?, ?, …` for an IN list of `count` values: the only text ever put into a statement."""
    return ", ".join("?" * count)


@lru_cache(maxsize=8)
def _caps_query(count: int) -> str:
    columns = "subject, daily_cap_micros, monthly_cap_micros, per_cast_max_micros"
    return f"SELECT {columns} FROM budgets WHERE subject IN ({placeholders(count)})"  # noqa: S608


async def budget_caps(tx: Tx, subjects: Sequence[str]) -> list[Caps]:
    """The caps of those of `subjects` that have a budget, in the order of `subjects`."""
    if not subjects:
        return []
    rows = {
        row[0]: (row[0], row[1], row[2], row[3])
        for row in await tx.fetch(_caps_query(len(subjects)), *subjects)
    }
    return [rows[subject] for subject in subjects if subject in rows]


async def reserve(
    tx: Tx,
    account: str,
    amount: int,
    reference: str,
    *,
    ttl: timedelta,
    budget_subjects: Sequence[str],
    now: datetime,
) -> str:
    """Hold `amount` of the account's credits and of every budget window of `budget_subjects`;
    the hold's id. Raises `InsufficientCredits`, `AccountInDebt` or `BudgetExceeded`, after which
    the caller must roll the transaction back."""
    if amount <= 0:
        raise ValueError("a hold must be positive")
    if await tx.execute(_RESERVE, amount, account, amount) != 1:
        row = await tx.fetchrow(_BALANCE, account)
        balance, held = (int(row[0]), int(row[1])) if row else (0, 0)
        owner = account.partition(":")[2]
        debt = await tx.fetchrow(_BALANCE, account_id(AccountKind.CASTER_DEBT, owner)) if owner else None
        if debt is not None and debt[0] < 0:
            raise AccountInDebt(amount, -int(debt[0]))
        raise InsufficientCredits(amount, balance - held)
    windows = windows_of(await budget_caps(tx, budget_subjects), amount, now)
    for window in windows:
        fits = amount <= window.cap and await tx.execute(
            _HOLD_IN_WINDOW, window.subject, window.period, window.starts, amount, window.cap
        )
        if not fits:
            usage = await tx.fetchrow(_WINDOW, window.subject, window.period, window.starts)
            spent, in_flight = (int(usage[0]), int(usage[1])) if usage else (0, 0)
            raise BudgetExceeded.of_window(window, spent, in_flight)
    hold_id = f"hold_{uuid.uuid4().hex}"
    windows_json = json.dumps([window.as_dict() for window in windows])
    await tx.execute(_INSERT_HOLD, hold_id, account, amount, reference, now, now + ttl, windows_json)
    return hold_id


@dataclass(frozen=True, slots=True)
class ClosedHold:
    account_id: str
    amount: int
    reference: str
    windows: list[WindowHold]


def _closed(row: Sequence[Any]) -> ClosedHold:
    windows = json.loads(row[4]) if isinstance(row[4], str) else row[4]
    return ClosedHold(row[1], int(row[2]), row[3], [WindowHold.from_dict(w) for w in windows or []])


async def void(tx: Tx, hold_id: str) -> None:
    """Release a pending hold: the caster pays nothing. Raises `HoldNotPending`."""
    row = await tx.fetchrow(_CLOSE_HOLD, "voided", hold_id)
    if row is None:
        raise HoldNotPending(f"hold {hold_id} is not pending")
    hold = _closed(row)
    await tx.execute(_RELEASE, hold.amount, hold.account_id)
    for window in hold.windows:
        await tx.execute(_MOVE_IN_WINDOW, hold.amount, 0, window.subject, window.period, window.starts)


async def expire_holds(tx: Tx, now: datetime, limit: int = 500) -> list[tuple[str, str]]:
    """Void the pending holds that expired by `now` (a server that died mid-cast never leaves
    money held); (hold id, reference) of each one voided."""
    return await _void_each(tx, await tx.fetch(_EXPIRED_HOLDS, now, limit))


async def void_pending(tx: Tx, account: str) -> list[tuple[str, str]]:
    """Void every pending hold of an account; (hold id, reference) of each one voided."""
    return await _void_each(tx, await tx.fetch(_PENDING_HOLDS, account))


async def _void_each(tx: Tx, holds: Sequence[Sequence[Any]]) -> list[tuple[str, str]]:
    voided = []
    for hold_id, reference in holds:
        try:
            await void(tx, hold_id)
        except HoldNotPending:
            continue  # settled or voided meanwhile by its own cast
        voided.append((hold_id, reference))
    return voided


@dataclass(frozen=True, slots=True)
class Settlement:
    """A hold to settle, and who is paid what from it (amounts that add up to the hold's)."""

    hold_id: str
    payees: tuple[tuple[str, int], ...]


@dataclass(slots=True)
class Settled:
    transfer_id: str
    # The chain hash of the transfer's last entry (receipts quote it).
    entry_hash: str = ""
    alerts_crossed: list[CrossedAlert] = field(default_factory=list)


async def settle_many(
    tx: Tx, settlements: Sequence[Settlement], now: datetime
) -> list[Settled | HoldNotPending]:
    """Settle each hold, in order, in the caller's transaction: one transfer each (the held
    account pays its payees), appended to the hash chain together. A hold that is no longer
    pending (voided, or expired) is not settled: its place in the answer is `HoldNotPending`, and
    the others settle all the same."""
    outcomes: list[Settled | HoldNotPending] = []
    closed: list[tuple[Settled, ClosedHold, list[tuple[str, int]]]] = []
    ids = [settlement.hold_id for settlement in settlements]
    rows = await tx.fetch(_close_live_holds(len(ids)), *ids, now) if ids else []
    found = {row[0]: _closed(row) for row in rows}
    for settlement in settlements:
        hold = found.pop(settlement.hold_id, None)
        if hold is None:
            outcomes.append(HoldNotPending(f"hold {settlement.hold_id} is not pending, or has expired"))
            continue
        if sum(amount for _, amount in settlement.payees) != hold.amount:
            raise ValueError("payees must add up to the held amount")
        settled = Settled(transfer_id=f"tr_{uuid.uuid4().hex}")
        legs = [(hold.account_id, -hold.amount), *((acct, amt) for acct, amt in settlement.payees if amt)]
        closed.append((settled, hold, legs))
        outcomes.append(settled)
    if not closed:
        return outcomes
    await _post(tx, closed)
    postings = [Posting(settled.transfer_id, "cast", hold.reference, legs) for settled, hold, legs in closed]
    hashes = await _extend_chain(tx, postings, now)
    for (settled, hold, _legs), entry_hash in zip(closed, hashes, strict=True):
        settled.entry_hash = entry_hash
        settled.alerts_crossed = await _spend_in_windows(tx, hold, now)
    return outcomes


async def _post(tx: Tx, closed: list[tuple[Settled, ClosedHold, list[tuple[str, int]]]]) -> None:
    """Move the balances: each payer's hold released and paid, each payee credited, one row per
    account, in account order, so that concurrent settlements never wait on each other in a
    circle. (An entry for an account that does not exist fails its foreign key: no money can
    move to nowhere.)"""
    moved: dict[str, int] = defaultdict(int)
    released: dict[str, int] = defaultdict(int)
    for _settled, hold, legs in closed:
        released[hold.account_id] += hold.amount
        for account, amount in legs:
            moved[account] += amount
    await tx.executemany(_MOVE, [(moved[account], released[account], account) for account in sorted(moved)])


@dataclass(frozen=True, slots=True)
class Posting:
    """A balanced transfer to append to the ledger: its legs, (account, amount) summing to zero."""

    transfer_id: str
    kind: str
    reference: str | None
    legs: Sequence[tuple[str, int]]


async def transfer(
    tx: Tx, kind: str, reference: str | None, legs: Sequence[tuple[str, int]], now: datetime
) -> str:
    """A balanced transfer between existing accounts (zero legs are left out): each balance moved
    by its leg, in account order (so that concurrent transfers never wait on each other in a
    circle), the legs appended to the chain. Its id; `ValueError` when the legs do not sum to
    zero or an account does not exist (the caller's transaction then rolls back)."""
    if sum(amount for _, amount in legs) != 0:
        raise ValueError("the legs of a transfer must sum to zero")
    legs = [(account, amount) for account, amount in legs if amount]
    for account, amount in sorted(legs):
        if await tx.execute(_CREDIT, amount, account) != 1:
            raise ValueError(f"no ledger account {account}")
    posting = Posting(f"tr_{uuid.uuid4().hex}", kind, reference, legs)
    await _extend_chain(tx, [posting], now)
    return posting.transfer_id


async def _extend_chain(tx: Tx, postings: Sequence[Posting], now: datetime) -> list[str]:
    """Append the transfers' legs to the ledger, the only place entries are written: one lock of
    the chain head, every entry inserted with its place in the chain and its hash, the head moved
    once. On SQLite each transfer is then sealed, which the database allows only if its legs sum
    to zero, and requires before it commits (migration 0021); PostgreSQL checks the sums itself
    at commit. The hash of each transfer's last entry (receipts quote it)."""
    lock = " FOR UPDATE" if tx.backend == "postgresql" else ""
    tip = await tx.fetchrow(_TIP + lock)
    assert tip is not None, "the ledger's chain head is created with the platform's accounts"
    seq, head = int(tip[0]), str(tip[1])
    rows = []
    last_hashes = []
    for posting in postings:
        for account, amount in posting.legs:
            seq += 1
            entry = {
                "seq": seq,
                "transfer_id": posting.transfer_id,
                "account_id": account,
                "amount": amount,
                "kind": posting.kind,
                "reference": posting.reference,
                "created_at": now,
            }
            prev, head = head, link(head, entry)
            rows.append(
                (seq, posting.transfer_id, account, amount, posting.kind, posting.reference, now, prev, head)
            )
        last_hashes.append(head)
    await tx.executemany(_INSERT_ENTRY, rows)
    if tx.backend == "sqlite":
        await tx.executemany(_SEAL, [(posting.transfer_id,) for posting in postings])
    await tx.execute(_MOVE_TIP, seq, head)
    return last_hashes


async def _spend_in_windows(tx: Tx, hold: ClosedHold, now: datetime) -> list[CrossedAlert]:
    """Held becomes spent in each window; the alerts this crossed, each recorded once."""
    crossed = []
    for window in hold.windows:
        row = await tx.fetchrow(
            _MOVE_IN_WINDOW, hold.amount, hold.amount, window.subject, window.period, window.starts
        )
        spent = int(row[0]) if row else 0
        for threshold in thresholds_crossed(window, hold.amount, spent):
            if await tx.execute(_INSERT_ALERT, window.subject, window.period, window.starts, threshold, now):
                crossed.append(CrossedAlert(window, threshold, spent))
    return crossed
