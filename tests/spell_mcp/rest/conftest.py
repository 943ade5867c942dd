"""An in-process server on each database, shared by the tests of this folder as the servers of
tests/conftest.py are: dev mode (an operator who owns the bundled example spells), limits high
enough for the tests' own traffic. Tests keep out of each other's way: each makes the users and
names it changes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from spell_mcp.app import create_app
from spell_mcp.settings import Settings
from tests.conftest import BACKENDS, _database


@pytest.fixture(scope="session", params=BACKENDS)
def api(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, built_spells: Path
) -> Iterator[TestClient]:
    """The operator's client of an in-process server (its home is `api.app.state.platform`'s)."""
    base = tmp_path_factory.mktemp(f"api-{request.param}")
    with _database(request.param, base) as database:
        settings = Settings(
            home=base / "home",
            database_url=database.url,
            dev_mode=True,
            examples_dir=built_spells,
            rate_per_key_per_min=1_000_000,
            rate_per_user_per_min=1_000_000,
            rate_burst=100_000,
        )
        with TestClient(create_app(settings), raise_server_exceptions=False) as client:
            key = (base / "home" / "operator.key").read_text().strip()
            client.headers["Authorization"] = f"Bearer {key}"
            yield client
