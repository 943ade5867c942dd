"""A server killed mid-load loses no money: nothing settled goes uncharged, nothing is charged
without a cast, and the restarted server's sweeper releases every open hold."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from billing import audit
from spell_mcp.database.engine import Database as Storage
from tests import wasm_modules as wat
from tests.conftest import BACKENDS, Database, _database, start_server
from tests.spellbook import write_spell

PRICE = 10_000  # micro-USD


@pytest.fixture(params=BACKENDS)
def crash_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    with _database(request.param, tmp_path) as database:
        yield database


def query(database: Database, sql: str) -> list[tuple[object, ...]]:
    async def run() -> list[tuple[object, ...]]:
        storage = Storage(database.url)
        try:
            return await storage.read(lambda session: [tuple(row) for row in session.execute(text(sql))])
        finally:
            await storage.dispose()

    with ThreadPoolExecutor(max_workers=1) as executor:
        return executor.submit(asyncio.run, run()).result()


def test_sigkill_mid_load_loses_nothing(
    crash_database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spells = tmp_path / "spells"
    write_spell(
        spells, "test.spell.slow", wat.spins_then_writes(400_000_000), price_usd="0.01", timeout_ms=20_000
    )
    monkeypatch.setenv("SPELL_HOLD_TTL_S", "3")
    monkeypatch.setenv("SPELL_SWEEP_INTERVAL_S", "1")
    home = tmp_path / "home"
    home.mkdir()
    process, server = start_server(home, crash_database, spells)
    key = server.new_user(credits_usd="1")

    def cast() -> None:
        with contextlib.suppress(httpx.HTTPError):  # the server dies under it
            httpx.post(
                f"{server.url}/v1/spells/test.spell.slow/cast",
                json={"input": {}},
                headers={"Authorization": f"Bearer {key}"},
                timeout=30,
            )

    casters = [threading.Thread(target=cast) for _ in range(8)]
    for thread in casters:
        thread.start()
    time.sleep(0.8)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    for thread in casters:
        thread.join()

    running = query(crash_database, "SELECT COUNT(*) FROM casts WHERE status = 'running'")[0][0]
    assert running, "the kill should have caught casts in flight"
    process, server = start_server(home, crash_database, spells)
    try:
        deadline = time.monotonic() + 20
        while query(crash_database, "SELECT COUNT(*) FROM holds WHERE status = 'pending'")[0][0]:
            assert time.monotonic() < deadline, "the sweeper did not release the open holds"
            time.sleep(0.5)
    finally:
        process.terminate()
        process.wait(timeout=15)

    casts = query(crash_database, "SELECT status, charged_micros, transfer_id, error_code FROM casts")
    assert {status for status, *_ in casts} <= {"succeeded", "failed"}
    for status, charged, transfer, error in casts:
        if status == "succeeded":
            assert (charged, transfer is not None) == (PRICE, True)
        else:
            assert (charged, transfer, error) == (0, None, "cast_interrupted")
    settled = sum(1 for status, *_ in casts if status == "succeeded")
    entries = query(
        crash_database, "SELECT COUNT(DISTINCT transfer_id) FROM ledger_entries WHERE kind = 'cast'"
    )[0][0]
    assert entries == settled  # no charge without a cast, no settled cast without its charge
    [[available]] = query(
        crash_database,
        "SELECT balance - held FROM accounts WHERE kind = 'caster_credits' "
        "AND owner_id NOT IN (SELECT id FROM users WHERE is_operator)",
    )
    assert available == 1_000_000 - settled * PRICE

    assert verify_ledger(crash_database) == []


def verify_ledger(database: Database) -> list[str]:
    """What `spell ledger verify` finds broken: the hash chain, or a balance against its entries."""

    async def verify() -> list[str]:
        storage = Storage(database.url)
        try:
            return (await storage.read(audit)).problems
        finally:
            await storage.dispose()

    with ThreadPoolExecutor(max_workers=1) as executor:
        return executor.submit(asyncio.run, verify()).result()
