"""Reserve + settle pairs per second, on SQLite, PostgreSQL and PostgreSQL with the Redis fast
path, one caster at a time and 32 at once; and how fast a caster whose budget is spent is refused.

Each pair is what a cast does to money: one transaction that holds the price (credits and budget
windows), then one that settles it into the maker's and the platform's accounts, extending the
hash chain; with Redis, the hold is first admitted by its Lua script and settled there after.
The baseline in the same run is a transaction that updates one row and commits, on the same
backend.

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

from billing import AccountKind, BudgetExceeded, Budgets, Ledger, account_id  # noqa: E402
from billing.budgets import WindowHold  # noqa: E402
from billing.fast_holds import DatabaseState, FastHolds, database_state  # noqa: E402
from spell_mcp.database.engine import Database  # noqa: E402

TTL = timedelta(minutes=5)


async def prepare(db: Database, casters: int) -> list[str]:
    await db.migrate()

    def accounts(session: object) -> list[str]:
        ledger = Ledger(session)  # type: ignore[arg-type]
        ledger.open_platform_accounts()
        ledger.open_account(AccountKind.MAKER_EARNINGS, "maker")
        made = []
        for n in range(casters):
            account = ledger.open_account(AccountKind.CASTER_CREDITS, f"caster{n}")
            ledger.grant(account, 10**12, "bench")
            Budgets(session).set(f"user:caster{n}", daily_cap_micros=10**12)  # type: ignore[arg-type]
            made.append(account)
        return made

    return await db.write(accounts)


async def pair(db: Database, fast: FastHolds | None, account: str, n: int) -> None:
    owner = account.split(":")[1]
    subjects = [f"user:{owner}"]
    reference = f"c{n}-{time.monotonic_ns()}"
    if fast is not None:
        windows = await db.read(
            lambda session: Budgets(session).windows_for(subjects, 1000, datetime.now(UTC))
        )
        await fast.admit(reference, account, 1000, windows)
    hold = await db.write(
        lambda session: Ledger(session).reserve(account, 1000, reference, TTL, budget_subjects=subjects)
    )
    await db.write(
        lambda session: Ledger(session).settle(
            hold,
            [
                (account_id(AccountKind.MAKER_EARNINGS, "maker"), 800),
                (account_id(AccountKind.PLATFORM_REVENUE), 200),
            ],
        )
    )
    if fast is not None:
        await fast.settle(reference)


async def run(
    db: Database, fast: FastHolds | None, accounts: list[str], pairs: int, concurrency: int
) -> tuple[float, float]:
    counter = iter(range(pairs))
    latencies: list[float] = []

    async def worker(account: str) -> None:
        for n in counter:
            started = time.perf_counter()
            await pair(db, fast, account, n)
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(worker(accounts[i % len(accounts)]) for i in range(concurrency)))
    return pairs / (time.perf_counter() - started), statistics.median(latencies) * 1000


async def refusals(db: Database, fast: FastHolds | None, count: int) -> float:
    """Casts refused per second for a caster whose daily budget is spent (32 at once)."""

    def spent(session: object) -> list[WindowHold]:
        ledger = Ledger(session)  # type: ignore[arg-type]
        account = ledger.open_account(AccountKind.CASTER_CREDITS, "spent")
        ledger.grant(account, 10**12, "bench")
        Budgets(session).set("user:spent", daily_cap_micros=0)  # type: ignore[arg-type]
        return Budgets(session).windows_for(["user:spent"], 1000, datetime.now(UTC))  # type: ignore[arg-type]

    windows = await db.write(spent)
    account = account_id(AccountKind.CASTER_CREDITS, "spent")
    counter = iter(range(count))

    async def worker() -> None:
        for n in counter:
            try:
                if fast is not None:
                    await fast.admit(f"r{n}", account, 1000, windows)
                await db.write(
                    lambda session, n=n: Ledger(session).reserve(
                        account, 1000, f"r{n}", TTL, budget_subjects=["user:spent"]
                    )
                )
            except BudgetExceeded:
                continue
            raise AssertionError("a spent budget admitted a cast")

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(32)))
    return count / (time.perf_counter() - started)


async def one_row_updates(db: Database, count: int) -> float:
    """The baseline: transactions that update one row and commit, on the same backend."""
    from sqlalchemy import text

    started = time.perf_counter()
    for _ in range(count):
        await db.write(
            lambda session: session.execute(
                text("UPDATE accounts SET held = held WHERE id = 'maker_earnings:maker'")
            )
        )
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
            rate, p50 = await run(db, fast, accounts, pairs, concurrency)
            print(
                f"{label}: reserve+settle, {concurrency:2d} casters {rate:8.0f} pairs/s  p50 {p50:6.2f} ms  "
                f"({rate / baseline * 2:4.2f}x the baseline's transaction rate)"
            )
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
