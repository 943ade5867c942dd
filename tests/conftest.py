"""Fixtures shared by the whole suite: built example spells, databases, a platform, a server.

Every test that touches storage runs on SQLite and on PostgreSQL. PostgreSQL tests need
SPELL_TEST_DATABASE_URL (a database on the server to create fresh test databases from); without
it they skip, unless SPELL_REQUIRE_SERVICES=1, where a missing service fails the run.

A fresh database is a copy of one migrated once per test process (a SQLite file copied,
PostgreSQL's `CREATE DATABASE … TEMPLATE`): nothing migrates per test. The suite runs on several
processes (pytest-xdist): each has its own Redis database number and its own templates, and
what is built on disk is built by one of them while the others wait.
"""

from __future__ import annotations

import asyncio
import base64
import fcntl
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import hypothesis
import pytest
from fastapi import FastAPI
from sqlalchemy.engine import make_url

from spell_mcp import audit
from spell_mcp.database.engine import Database as Storage
from spell_mcp.payments.grants import create_user_with_credits
from spell_mcp.platform import Platform
from spell_mcp.settings import Settings
from tests import wasm_modules as wat
from tests.conformance import fixtures as conformance
from tests.object_store import ObjectStore, object_store
from tests.osv import OsvBucket
from tests.spellbook import copy_examples, write_spell

# Property tests are judged by what they find, not by how fast a busy machine generates inputs.
hypothesis.settings.register_profile(
    "suite", deadline=None, suppress_health_check=[hypothesis.HealthCheck.too_slow]
)
hypothesis.settings.load_profile("suite")

ROOT = Path(__file__).resolve().parent.parent
BACKENDS = ["sqlite", "postgresql"]
REQUIRE_SERVICES = os.environ.get("SPELL_REQUIRE_SERVICES") == "1"
# This test process's number among pytest-xdist's workers (0 when the suite runs in one process).
WORKER = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw"))
T = TypeVar("T")


@contextmanager
def one_process_at_a_time(name: str) -> Iterator[None]:
    """Work on shared files (build outputs) done by one test process while the others wait."""
    lock = ROOT / "build" / f".{name}.lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    with open(lock, "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        yield


def run_async(work: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine to its end from synchronous code, on a thread of its own: the calling
    thread may have an event loop running (an async test, Playwright's sync API)."""
    with ThreadPoolExecutor(max_workers=1) as executor:
        return executor.submit(asyncio.run, work()).result()


def _build_module() -> Any:
    sys.path.insert(0, str(ROOT / "examples"))
    try:
        import build  # type: ignore[import-not-found]
    finally:
        sys.path.pop(0)
    return build


@pytest.fixture(scope="session")
def built_spells() -> Path:
    destination = ROOT / "build" / "spells"
    with one_process_at_a_time("spells"):
        _build_module().build_all(destination)
    return destination


@pytest.fixture(scope="session")
def probe_wasm(built_spells: Path) -> bytes:
    """tests/spells/probe.c: a spell that tries whatever file, env or network access it is told."""
    wasm = ROOT / "build" / "test-spells" / "probe.wasm"
    with one_process_at_a_time("spells"):
        _build_module().compile_c([ROOT / "tests" / "spells" / "probe.c"], wasm)
    return wasm.read_bytes()


# -- databases -------------------------------------------------------------------------------


def redis_url() -> str:
    """SPELL_TEST_REDIS_URL, or skip (fail under SPELL_REQUIRE_SERVICES=1). Each test process has
    a database number of its own: the URL's, less the process's number among the workers."""
    url = os.environ.get("SPELL_TEST_REDIS_URL")
    if not url:
        message = "Redis tests need SPELL_TEST_REDIS_URL"
        if REQUIRE_SERVICES:
            pytest.fail(message + " (SPELL_REQUIRE_SERVICES=1)")
        pytest.skip(message)
    parts = urlsplit(url)
    number = int(parts.path.strip("/") or 0) - WORKER
    assert number >= 0, f"SPELL_TEST_REDIS_URL's database number must be at least {WORKER}"
    return urlunsplit(parts._replace(path=f"/{number}"))


def nats_url() -> str:
    """SPELL_TEST_NATS_URL (a NATS server with JetStream), or skip (fail under
    SPELL_REQUIRE_SERVICES=1)."""
    url = os.environ.get("SPELL_TEST_NATS_URL")
    if not url:
        message = "NATS tests need SPELL_TEST_NATS_URL"
        if REQUIRE_SERVICES:
            pytest.fail(message + " (SPELL_REQUIRE_SERVICES=1)")
        pytest.skip(message)
    return url


def _postgres_server_url() -> str:
    url = os.environ.get("SPELL_TEST_DATABASE_URL")
    if not url:
        message = "PostgreSQL tests need SPELL_TEST_DATABASE_URL"
        if REQUIRE_SERVICES:
            pytest.fail(message + " (SPELL_REQUIRE_SERVICES=1)")
        pytest.skip(message)
    return url


def _asyncpg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _on_postgres_server(statement: str) -> None:
    async def run() -> None:
        connection = await asyncpg.connect(_asyncpg_dsn(_postgres_server_url()))
        try:
            await connection.execute(statement)
        finally:
            await connection.close()

    run_async(run)


def create_postgres_database(template: str | None = None) -> str:
    """A new database beside SPELL_TEST_DATABASE_URL's, empty or a copy of `template`; its URL."""
    name = f"spell_test_{secrets.token_hex(6)}"
    _on_postgres_server(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    return make_url(_postgres_server_url()).set(database=name).render_as_string(hide_password=False)


def drop_postgres_database(url: str) -> None:
    _on_postgres_server(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')


def _migrate(url: str) -> None:
    async def migrate() -> None:
        store = Storage(url)
        try:
            await store.migrate()
        finally:
            await store.dispose()

    run_async(migrate)


@cache
def _migrated_sqlite() -> Path:
    """A SQLite file migrated to the newest revision, once per test process."""
    path = Path(tempfile.mkdtemp(prefix="spell-template-")) / "spell.db"
    _migrate(f"sqlite:///{path}")
    return path


@cache
def _migrated_postgres() -> str:
    """A PostgreSQL database migrated to the newest revision, once per test process; the name of
    a template to copy (it must have no connection while it is copied)."""
    url = create_postgres_database()
    _migrate(url)
    return str(make_url(url).database)


def drop_templates() -> None:
    if _migrated_sqlite.cache_info().currsize:
        shutil.rmtree(_migrated_sqlite().parent, ignore_errors=True)
    if _migrated_postgres.cache_info().currsize:
        template = make_url(_postgres_server_url()).set(database=_migrated_postgres())
        drop_postgres_database(template.render_as_string(hide_password=False))


@pytest.fixture(scope="session", autouse=True)
def _templates() -> Iterator[None]:
    yield
    drop_templates()


@dataclass(frozen=True)
class Database:
    backend: str
    url: str


@contextmanager
def _database(backend: str, directory: Path, *, migrated: bool = True) -> Iterator[Database]:
    """A fresh database: a copy of the migrated template (or, not `migrated`, an empty one)."""
    if backend == "sqlite":
        path = directory / "spell.db"
        if migrated:
            shutil.copyfile(_migrated_sqlite(), path)
        yield Database("sqlite", f"sqlite:///{path}")
        return
    url = create_postgres_database(_migrated_postgres() if migrated else None)
    try:
        yield Database("postgresql", url)
    finally:
        drop_postgres_database(url)


@pytest.fixture(params=BACKENDS)
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A fresh database, migrated to the newest revision."""
    with _database(request.param, tmp_path) as created:
        yield created


@pytest.fixture(params=BACKENDS)
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A fresh database with no tables: for tests of migrations."""
    with _database(request.param, tmp_path, migrated=False) as created:
        yield created


@pytest.fixture
async def platform(database: Database, tmp_path: Path) -> AsyncIterator[Platform]:
    opened = await Platform.open(Settings(home=tmp_path / "home", database_url=database.url))
    try:
        yield opened
    finally:
        await opened.close()


@pytest.fixture
async def dev_platform(database: Database, tmp_path: Path) -> AsyncIterator[Platform]:
    """A platform in dev mode: unsigned packages are accepted (and marked)."""
    opened = await Platform.open(Settings(home=tmp_path / "home", database_url=database.url, dev_mode=True))
    try:
        yield opened
    finally:
        await opened.close()


@pytest.fixture(scope="session")
def objects() -> Iterator[ObjectStore]:
    """An S3-compatible store (moto's server) for the whole run; tests make their own buckets."""
    with object_store(free_port()) as store:
        yield store


@pytest.fixture
def bucket() -> Iterator[OsvBucket]:
    """A stand-in for osv.dev's bucket on a free port (tests/osv.py)."""
    with OsvBucket().running() as served:
        yield served


# -- a running server ------------------------------------------------------------------------


@dataclass(frozen=True)
class RunningServer:
    url: str
    home: Path
    operator_key: str
    env: dict[str, str]
    database: Database
    # The server's process (with --workers, their supervisor).
    pid: int = 0

    def client(self, key: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {key or self.operator_key}"}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)

    def spell(self, *args: str, stdin: str | None = None) -> str:
        """Run the `spell` command against this server's store; returns its output."""
        done = subprocess.run(
            [str(ROOT / ".venv" / "bin" / "spell"), *args],
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        return done.stdout.strip()

    def new_user(self, credits_usd: str = "0", *, operator: bool = False) -> str:
        """A new caster (an operator, if told) in this server's store; returns its API key.
        (Written straight to the database, as `spell users create` does, without starting a
        process for it.)"""
        micros = round(float(credits_usd) * 1_000_000)

        async def create() -> str:
            db = Storage(self.database.url)
            try:
                user = await db.write(
                    lambda session: create_user_with_credits(
                        session,
                        audit.CONSOLE,
                        f"user-{secrets.token_hex(3)}",
                        credits_micros=micros,
                        is_operator=operator,
                    )
                )
            finally:
                await db.dispose()
            return user.api_key

        return run_async(create)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def make_test_spells(directory: Path, built_spells: Path, probe: bytes) -> Path:
    """The bundled examples, spells that misbehave on purpose, and the probe with grants."""
    copy_examples(built_spells, directory)
    probe_dir = write_spell(
        directory,
        "test.spell.probe",
        probe,
        price_usd="0.001",
        policy='fs_read = ["./resources"]\nfs_write = ["/scratch"]\nenv_vars = ["API_TOKEN"]',
    )
    (probe_dir / "resources").mkdir()
    (probe_dir / "resources" / "words.txt").write_text("alpha\nbeta\n")
    write_spell(directory, "test.spell.loop", wat.LOOPS_FOREVER, timeout_ms=200)
    write_spell(directory, "test.spell.exit", wat.exits(3))
    # Refused before they run, with a tool outputSchema a refusal must not break: beyond any
    # caster's credits, and beyond a cast budget (tests/functional/test_mcp_clients.py).
    ok = {"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"]}
    write_spell(directory, "test.spell.pricey", wat.writes('{"ok":true}'), price_usd="1000", output_schema=ok)
    write_spell(directory, "test.spell.dear", wat.writes('{"ok":true}'), price_usd="0.01", output_schema=ok)
    # Runs until stopped (fuel runs out after a few seconds): progress and cancellation.
    write_spell(directory, "test.spell.spin", wat.LOOPS_FOREVER, timeout_ms=60_000, price_usd="0.001")
    picture = {
        "content": [{"type": "text", "text": "a red dot"}, conformance.IMAGE],
        "structured": {"dots": 1},
    }
    write_spell(
        directory,
        "test.spell.picture",
        wat.writes(json.dumps(picture)),
        output_format="content",
        icon=base64.b64decode(conformance.red_pixel_png()),
    )
    return directory


# The suite's own traffic must not trip the default rate limits; tests of limits set their own.
UNLIMITED = {
    "rate_per_key_per_min": 1_000_000,
    "rate_per_user_per_min": 1_000_000,
    "rate_burst": 100_000,
    "max_in_flight_per_key": 100_000,
}


def start_server(
    home: Path, database: Database, spells: Path, extra_env: dict[str, str] | None = None
) -> tuple[subprocess.Popen[bytes], RunningServer]:
    port = free_port()
    env = {
        **os.environ,
        "SPELL_HOME": str(home),
        "SPELL_DATABASE_URL": database.url,
        "SPELL_EXAMPLES_DIR": str(spells),
        "SPELL_DEV_MODE": "1",
        "SPELL_PORT": str(port),
        **{f"SPELL_{name.upper()}": str(value) for name, value in UNLIMITED.items()},
        **(extra_env or {}),
    }
    with open(home.parent / f"server-{port}.log", "wb") as log:  # the child keeps its own copy
        process = subprocess.Popen(
            [str(ROOT / ".venv" / "bin" / "spell"), "serve"], env=env, stdout=log, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}"
    # A wide margin: a server with --workers starts several processes, slow on a busy machine.
    deadline = time.monotonic() + 180
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"server exited: {(home.parent / f'server-{port}.log').read_text()}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            process.kill()
            log = (home.parent / f"server-{port}.log").read_text(errors="replace")[-4000:]
            raise RuntimeError(f"server did not become ready in 180 s: {log}")
        time.sleep(0.1)
    # Outside dev mode there is no operator key until one is made (`spell users create`).
    key_file = home / "operator.key"
    key = key_file.read_text().strip() if key_file.exists() else ""
    server = RunningServer(url=url, home=home, operator_key=key, env=env, database=database, pid=process.pid)
    return process, server


def start_worker(home: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    """`spell worker` with a server's settings (`env`) and its own home, once it is consuming."""
    (process,) = start_workers([home], env)
    return process


def start_workers(homes: list[Path], env: dict[str, str]) -> list[subprocess.Popen[bytes]]:
    """A `spell worker` in each home, started together; returned once all are consuming."""
    started = []
    for home in homes:
        home.mkdir(parents=True, exist_ok=True)
        log_path = home.parent / f"{home.name}.log"
        with open(log_path, "ab") as log:
            process = subprocess.Popen(
                [str(ROOT / ".venv" / "bin" / "spell"), "worker"],
                env={**env, "SPELL_HOME": str(home)},
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        started.append((process, log_path))
    deadline = time.monotonic() + 60
    for process, log_path in started:
        while b"Spell worker running" not in log_path.read_bytes():
            if process.poll() is not None:
                raise RuntimeError(f"worker exited: {log_path.read_text()}")
            if time.monotonic() > deadline:
                process.kill()
                raise RuntimeError("worker did not start")
            time.sleep(0.1)
    return [process for process, _ in started]


@contextmanager
def running_servers(
    base: Path,
    built_spells: Path,
    probe_wasm: bytes,
    *,
    count: int = 1,
    backend: str = "sqlite",
    extra_env: dict[str, str] | None = None,
    extra_spells: Callable[[Path], None] | None = None,
    separate_homes: bool = False,
) -> Iterator[list[RunningServer]]:
    """`count` server processes on one fresh database and home (each its own home when
    `separate_homes`, as on separate hosts), with the test spells (and `extra_spells`) and
    `extra_env`; stopped afterwards."""
    spells = make_test_spells(base / "spells", built_spells, probe_wasm)
    if extra_spells is not None:
        extra_spells(spells)
    with _database(backend, base) as database:
        started: list[tuple[subprocess.Popen[bytes], RunningServer]] = []
        try:
            for number in range(count):
                home = base / (f"home{number}" if separate_homes else "home")
                home.mkdir(exist_ok=True)
                started.append(start_server(home, database, spells, extra_env))
            yield [server for _, server in started]
        finally:
            for process, _ in started:
                process.terminate()
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()


@contextmanager
def serving_in_process(
    base: Path, built_spells: Path, **settings: Any
) -> Iterator[tuple[RunningServer, FastAPI]]:
    """The server (`create_app`, under uvicorn as `spell serve` runs it) on loopback from a thread
    of this test process, in dev mode with the example spells, on a fresh SQLite store, with
    `settings`: a real HTTP server for streaming clients without a process of its own (and its
    app, to look inside)."""
    from spell_mcp.app import create_app
    from tests.local_server import local_server

    port = free_port()
    home = base / "home"
    with _database("sqlite", base) as database:
        configured = Settings(
            home=home,
            database_url=database.url,
            dev_mode=True,
            examples_dir=built_spells,
            port=port,
            **{**UNLIMITED, **settings},
        )
        app = create_app(configured)
        with local_server(app, port):
            key = (home / "operator.key").read_text().strip()
            yield RunningServer(f"http://127.0.0.1:{port}", home, key, {}, database), app


@pytest.fixture(scope="session")
def shared_servers(
    tmp_path_factory: pytest.TempPathFactory, built_spells: Path, probe_wasm: bytes
) -> Iterator[Callable[[str], RunningServer]]:
    """The server of each backend that modules without settings of their own share, started by
    a test process the first time one of its modules asks for it. Tests keep out of each other's
    way as they would on a real platform: each makes the users and spells it changes."""
    started: dict[str, RunningServer] = {}
    with ExitStack() as stack:

        def shared(backend: str) -> RunningServer:
            if backend not in started:
                base = tmp_path_factory.mktemp(f"server-{backend}")
                servers = running_servers(base, built_spells, probe_wasm, backend=backend)
                (started[backend],) = stack.enter_context(servers)
            return started[backend]

        yield shared


PROCESS_FIXTURES = {"server", "shared_servers"}
# The modules that take longest (measured: docs/development.md), started first so that the test
# processes finish together; the others follow in their usual order.
LONGEST_FIRST = [
    "functional/test_two_servers.py",
    "functional/test_workers.py",
    "functional/test_maker_path.py",
    "functional/test_openapi_fuzz.py",
    "functional/test_mcp.py",
    "functional/test_mcp_clients.py",
    "spell_mcp/payments/test_top_ups.py",
    "spell_mcp/payments/test_payouts.py",
    "functional/test_dashboard.py",
    "functional/test_faults.py",
    "functional/test_announcements.py",
    "functional/test_conformance.py",
    "functional/test_hostile_input.py",
    "functional/test_spell_policy.py",
    "functional/test_rest_casts.py",
    "functional/test_crash.py",
    "functional/test_abuse.py",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that start processes (servers, workers, browsers, the `spell` command) are marked
    `processes`: `make test-quick` leaves them out. The longest modules go first."""
    tests = ROOT / "tests"
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if item.path.is_relative_to(tests / "functional") or fixtures & PROCESS_FIXTURES:
            item.add_marker(pytest.mark.processes)
    rank = {tests / name: place for place, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path, len(rank)))  # stable: the rest keep their order


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A module's tests run against SQLite, and against PostgreSQL too where the module is marked
    `pytest.mark.backends("sqlite", "postgresql")` (where SQL, money or concurrency is the point)."""
    if "server_backend" in metafunc.fixturenames:
        marker = metafunc.definition.get_closest_marker("backends")
        backends = list(marker.args) if marker else ["sqlite"]
        metafunc.parametrize("server_backend", backends, indirect=True, scope="module")


@pytest.fixture(scope="module")
def server_backend(request: pytest.FixtureRequest) -> str:
    backend: str = request.param
    return backend


@pytest.fixture(scope="module")
def server(server_backend: str, shared_servers: Callable[[str], RunningServer]) -> RunningServer:
    """A running server (`spell serve` in dev mode) with the test spells, shared (see
    `shared_servers`)."""
    return shared_servers(server_backend)
