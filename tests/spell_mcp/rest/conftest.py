"""An in-process server on each database, shared by a module's tests: dev mode (an operator
who owns the bundled example spells), with limits high enough for a test's own traffic."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from spell_mcp.app import create_app
from spell_mcp.settings import Settings
from tests.conftest import BACKENDS, _database


@pytest.fixture(scope="module", params=BACKENDS)
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
