"""Reserve + settle pairs per second, on SQLite and PostgreSQL, one caster at a time and 32 at once.

Each pair is what a cast does to money: one transaction that holds the price (credits and budget
windows), then one that settles it into the maker's and the platform's accounts, extending the
hash chain. The baseline in the same run is a transaction that updates one row and commits, on the same
backend.

    python bench/ledger_holds.py [--pairs 2000] [--postgres postgresql+asyncpg://postgres@127.0.0.1/db]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from billing import AccountKind, Budgets, Ledger, account_id  # noqa: E402
from spell_mcp.storage import Database  # noqa: E402

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


async def pair(db: Database, account: str, n: int) -> None:
    owner = account.split(":")[1]
    hold = await db.write(
        lambda session: Ledger(session).reserve(
            account, 1000, f"c{n}", TTL, budget_subjects=[f"user:{owner}"]
        )
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


async def run(db: Database, accounts: list[str], pairs: int, concurrency: int) -> tuple[float, float]:
    counter = iter(range(pairs))
    latencies: list[float] = []

    async def worker(account: str) -> None:
        for n in counter:
            started = time.perf_counter()
            await pair(db, account, n)
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(worker(accounts[i % len(accounts)]) for i in range(concurrency)))
    return pairs / (time.perf_counter() - started), statistics.median(latencies) * 1000


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


async def bench(label: str, url: str, pairs: int) -> None:
    db = Database(url)
    try:
        accounts = await prepare(db, 32)
        baseline = await one_row_updates(db, pairs)
        print(f"{label}: one-row update transactions {baseline:8.0f}/s (baseline)")
        for concurrency in (1, 32):
            rate, p50 = await run(db, accounts, pairs, concurrency)
            print(
                f"{label}: reserve+settle, {concurrency:2d} casters {rate:8.0f} pairs/s  p50 {p50:6.2f} ms  "
                f"({rate / baseline * 2:4.2f}x the baseline's transaction rate)"
            )
    finally:
        await db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pairs", type=int, default=2000)
    parser.add_argument("--postgres", help="a fresh PostgreSQL database URL to include it")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        asyncio.run(bench("sqlite", f"sqlite:///{directory}/bench.db", args.pairs))
    if args.postgres:
        asyncio.run(bench("postgresql", args.postgres, args.pairs))


if __name__ == "__main__":
    main()
