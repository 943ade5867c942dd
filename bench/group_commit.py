"""Settlements a second on PostgreSQL with 1, 2 and 3 server processes, each settlement alone in its
transaction against settlements grouped (spell_mcp/casting/group_commit.py).

Every settlement extends the ledger's hash chain under the chain head's row lock, so settlements
of every process queue on one lock. Each process here runs C casters at once, each looping on
what a cast does to money through the driver (billing/cast_money.py): a hold in one transaction,
then its settlement, either in a transaction of its own or joined to those waiting (group
commit). Durable commits, a fresh database.

    python bench/group_commit.py [--seconds 5] [--casters 16] [--postgres postgresql://…/postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from billing import AccountKind, HoldNotPending, Ledger, account_id, cast_money  # noqa: E402
from billing.cast_money import Settled, Settlement, Tx  # noqa: E402
from spell_mcp.casting.group_commit import GroupCommit  # noqa: E402
from spell_mcp.database.engine import Database  # noqa: E402

TTL = timedelta(minutes=5)
PRICE = 1_000
MAKER = account_id(AccountKind.MAKER_EARNINGS, "maker")
FEE = account_id(AccountKind.PLATFORM_REVENUE)


async def prepare(url: str, casters: int) -> None:
    db = Database(url)
    await db.migrate()

    def accounts(session: object) -> None:
        ledger = Ledger(session)  # type: ignore[arg-type]
        ledger.open_platform_accounts()
        ledger.open_account(AccountKind.MAKER_EARNINGS, "maker")
        for n in range(casters):
            ledger.grant(ledger.open_account(AccountKind.CASTER_CREDITS, f"caster{n}"), 10**13, "bench")

    await db.write(accounts)
    await db.dispose()


async def settle_batch(db: Database, orders: list[Settlement]) -> Sequence[Settled | Exception]:
    async def work(tx: Tx) -> list[Settled | HoldNotPending]:
        return await cast_money.settle_many(tx, orders, datetime.now(UTC))

    return await db.transaction(work)


def process(url: str, casters: range, grouped: bool, seconds: float, start_at: float) -> int:
    """One server process: its casters loop until the time is up; how many settled."""

    async def run() -> int:
        db = Database(url)
        group: GroupCommit[Settlement, Settled] = GroupCommit(
            partial(settle_batch, db), most=64 if grouped else 1
        )
        done = 0

        async def caster(n: int) -> None:
            nonlocal done
            account = account_id(AccountKind.CASTER_CREDITS, f"caster{n}")
            while time.time() < start_at + seconds:

                async def hold(tx: Tx) -> str:
                    return await cast_money.reserve(
                        tx,
                        account,
                        PRICE,
                        f"cast_{uuid.uuid4().hex}",
                        ttl=TTL,
                        budget_subjects=(),
                        now=datetime.now(UTC),
                    )

                hold_id = await db.transaction(hold)
                await group.submit(Settlement(hold_id, ((MAKER, 700), (FEE, 300))))
                done += 1

        await asyncio.sleep(max(0.0, start_at - time.time()))
        await asyncio.gather(*(caster(n) for n in casters))
        await db.dispose()
        return done

    return asyncio.run(run())


def measure(url: str, processes: int, casters: int, grouped: bool, seconds: float) -> float:
    spawn = multiprocessing.get_context("spawn")
    start_at = time.time() + 3  # every process ready before the clock starts
    with spawn.Pool(processes) as pool:
        runs = [  # process p has casters p*C … (p+1)*C - 1
            pool.apply_async(
                process, (url, range(p * casters, (p + 1) * casters), grouped, seconds, start_at)
            )
            for p in range(processes)
        ]
        return sum(run.get() for run in runs) / seconds


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--casters", type=int, default=16, help="concurrent casters per process")
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    admin = re.sub(r"^postgresql(\+\w+)?://", "postgresql://", args.postgres)
    name = f"spell_bench_{uuid.uuid4().hex[:8]}"
    subprocess.run(["psql", admin, "-qc", f"CREATE DATABASE {name}"], check=True)
    url = f"{admin.rpartition('/')[0].replace('postgresql://', 'postgresql+asyncpg://')}/{name}"
    try:
        asyncio.run(prepare(url, 3 * args.casters))
        print(f"settlements/s on PostgreSQL, {args.casters} casters per process, {args.seconds:g} s a row")
        print(f"  {'processes':<10} {'one per transaction':>20} {'grouped':>10} {'grouped vs one':>15}")
        for processes in (1, 2, 3):
            alone = measure(url, processes, args.casters, False, args.seconds)
            grouped = measure(url, processes, args.casters, True, args.seconds)
            print(f"  {processes:<10} {alone:20.0f} {grouped:10.0f} {grouped / alone:14.2f}x", flush=True)
    finally:
        subprocess.run(["psql", admin, "-qc", f"DROP DATABASE {name} WITH (FORCE)"], check=False)


if __name__ == "__main__":
    main()
