"""Reserve + settle pairs per second through the one path every cast takes (billing/cast_money.py,
on the database driver), on SQLite, PostgreSQL and PostgreSQL with the Redis fast path, one
caster at a time and 32 at once; what a settlement costs alone and in a group of 64; and how
fast a caster whose budget is spent is refused.

Each pair is what a cast does to money: one transaction that holds the price (credits and budget
window), then one that settles it into the maker's and the platform's accounts, extending the
hash chain; with Redis, the hold is first admitted by its Lua script and settled there after (a
real cast has the caster's caps from its spell lookup; here they are known). The baseline in the
same run is a driver transaction that updates one row and commits, on the same backend.

    python bench/ledger_holds.py [--pairs 2000] [--postgres postgresql+asyncpg://postgres@127.0.0.1/db]
                                 [--redis redis://127.0.0.1:6379/15]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from redis.asyncio import Redis  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from billing import (  # noqa: E402
    AccountKind,
    BudgetExceeded,
    Budgets,
    HoldNotPending,
    Ledger,
    account_id,
    cast_money,
)
from billing.budgets import WindowHold, windows_of  # noqa: E402
from billing.cast_money import Settled, Settlement, Tx  # noqa: E402
from billing.fast_holds import DatabaseState, FastHolds, database_state  # noqa: E402
from spell_mcp.database.engine import Database  # noqa: E402

TTL = timedelta(minutes=5)
PRICE = 1000
CAP = 10**12
PAYEES = (
    (account_id(AccountKind.MAKER_EARNINGS, "maker"), 800),
    (account_id(AccountKind.PLATFORM_REVENUE), 200),
)
GROUP = 64


async def prepare(db: Database, casters: int) -> list[str]:
    await db.migrate()

    def accounts(session: Session) -> list[str]:
        ledger = Ledger(session)
        ledger.open_platform_accounts()
        ledger.open_account(AccountKind.MAKER_EARNINGS, "maker")
        made = []
        for n in range(casters):
            account = ledger.open_account(AccountKind.CASTER_CREDITS, f"caster{n}")
            ledger.grant(account, 10**12, "bench")
            Budgets(session).set(f"user:caster{n}", daily_cap_micros=CAP)
            made.append(account)
        return made

    return await db.write(accounts)


async def hold(db: Database, account: str, reference: str, subjects: Sequence[str]) -> str:
    async def work(tx: Tx) -> str:
        return await cast_money.reserve(
            tx, account, PRICE, reference, ttl=TTL, budget_subjects=subjects, now=datetime.now(UTC)
        )

    return await db.transaction(work)


async def settle(db: Database, holds: Sequence[str]) -> None:
    async def work(tx: Tx) -> list[Settled | HoldNotPending]:
        orders = [Settlement(hold_id, PAYEES) for hold_id in holds]
        return await cast_money.settle_many(tx, orders, datetime.now(UTC))

    outcomes = await db.transaction(work)
    assert all(isinstance(outcome, Settled) for outcome in outcomes)


async def pair(db: Database, fast: FastHolds | None, account: str, n: int) -> tuple[float, float]:
    """One cast's money; the seconds its hold and its settlement took."""
    subjects = [f"user:{account.split(':')[1]}"]
    reference = f"c{n}-{time.monotonic_ns()}"
    started = time.perf_counter()
    if fast is not None:
        windows = windows_of([(subjects[0], CAP, None, None)], PRICE, datetime.now(UTC))
        await fast.admit(reference, account, PRICE, windows)
    hold_id = await hold(db, account, reference, subjects)
    held = time.perf_counter()
    await settle(db, [hold_id])
    if fast is not None:
        await fast.settle(reference)
    return held - started, time.perf_counter() - held


async def run(
    db: Database, fast: FastHolds | None, accounts: list[str], pairs: int, concurrency: int
) -> tuple[float, float, float]:
    """Pairs a second, and the median hold and settlement in ms."""
    counter = iter(range(pairs))
    holds: list[float] = []
    settlements: list[float] = []

    async def worker(account: str) -> None:
        for n in counter:
            took_hold, took_settle = await pair(db, fast, account, n)
            holds.append(took_hold)
            settlements.append(took_settle)

    started = time.perf_counter()
    await asyncio.gather(*(worker(accounts[i % len(accounts)]) for i in range(concurrency)))
    rate = pairs / (time.perf_counter() - started)
    return rate, statistics.median(holds) * 1000, statistics.median(settlements) * 1000


async def grouped(db: Database, accounts: list[str], batches: int) -> float:
    """The median ms of settling GROUP holds in one transaction (a group commit's)."""
    took = []
    for batch in range(batches):
        holds = [
            await hold(db, accounts[n % len(accounts)], f"g{batch}-{n}", [f"user:caster{n % len(accounts)}"])
            for n in range(GROUP)
        ]
        started = time.perf_counter()
        await settle(db, holds)
        took.append(time.perf_counter() - started)
    return statistics.median(took) * 1000


async def refusals(db: Database, fast: FastHolds | None, count: int) -> float:
    """Casts refused per second for a caster whose daily budget is spent (32 at once)."""

    def spent(session: Session) -> str:
        ledger = Ledger(session)
        account = ledger.open_account(AccountKind.CASTER_CREDITS, "spent")
        ledger.grant(account, 10**12, "bench")
        Budgets(session).set("user:spent", daily_cap_micros=0)
        return account

    account = await db.write(spent)
    windows = windows_of([("user:spent", 0, None, None)], PRICE, datetime.now(UTC))
    counter = iter(range(count))

    async def worker() -> None:
        for n in counter:
            try:
                if fast is not None:
                    await fast.admit(f"r{n}", account, PRICE, windows)
                await hold(db, account, f"r{n}", ["user:spent"])
            except BudgetExceeded:
                continue
            raise AssertionError("a spent budget admitted a cast")

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(32)))
    return count / (time.perf_counter() - started)


async def one_row_updates(db: Database, count: int) -> float:
    """The baseline: driver transactions that update one row and commit, on the same backend."""

    async def work(tx: Tx) -> int:
        return await tx.execute("UPDATE accounts SET held = held WHERE id = ?", PAYEES[0][0])

    started = time.perf_counter()
    for _ in range(count):
        await db.transaction(work)
    return count / (time.perf_counter() - started)


async def bench(label: str, url: str, pairs: int, redis_url: str | None = None) -> None:
    db = Database(url)
    redis = Redis.from_url(redis_url) if redis_url else None
    fast = None
    if redis is not None:
        await redis.flushdb()

        async def load(account: str, windows: Sequence[WindowHold]) -> DatabaseState:
            return await db.read(partial(database_state, account, windows))

        fast = FastHolds(redis, load, hold_ttl_s=TTL.total_seconds(), prefix="bench:")
    try:
        accounts = await prepare(db, 32)
        baseline = await one_row_updates(db, pairs)
        print(f"{label}: one-row update transactions {baseline:8.0f}/s (baseline)")
        for concurrency in (1, 32):
            rate, hold_p50, settle_p50 = await run(db, fast, accounts, pairs, concurrency)
            print(
                f"{label}: reserve+settle, {concurrency:2d} casters {rate:8.0f} pairs/s  "
                f"p50 hold {hold_p50:6.2f} ms, settle {settle_p50:6.2f} ms  "
                f"({rate / baseline * 2:4.2f}x the baseline's transaction rate)"
            )
        if fast is None:
            group = await grouped(db, accounts, max(5, pairs // 200))
            print(f"{label}: {GROUP} settlements in one transaction p50 {group:6.2f} ms")
        refused = await refusals(db, fast, pairs)
        print(f"{label}: casts refused by a spent budget {refused:8.0f}/s")
    finally:
        if redis is not None:
            await redis.aclose()
        await db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pairs", type=int, default=2000)
    parser.add_argument("--postgres", help="a fresh PostgreSQL database URL to include it")
    parser.add_argument("--redis", help="a Redis URL (its database is flushed) to add PostgreSQL + Redis")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        asyncio.run(bench("sqlite", f"sqlite:///{directory}/bench.db", args.pairs))
    if args.postgres:
        asyncio.run(bench("postgresql", args.postgres, args.pairs))
        if args.redis:
            asyncio.run(bench("postgresql+redis", args.postgres, args.pairs, args.redis))


if __name__ == "__main__":
    main()
