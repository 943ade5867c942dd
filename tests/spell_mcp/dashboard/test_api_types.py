"""The dashboard's API client is typed from the server's own OpenAPI document: the committed
types must be what the document generates today, or the build and the server have drifted."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from spell_mcp.app import create_app
from spell_mcp.settings import Settings

ROOT = Path(__file__).resolve().parents[3]
WEB = ROOT / "web"


@pytest.mark.processes
def test_the_committed_api_types_match_the_servers_document(tmp_path: Path) -> None:
    document = tmp_path / "openapi.json"
    document.write_text(
        json.dumps(create_app(Settings(home=tmp_path / "home")).openapi(), indent=2, sort_keys=True)
    )
    generated = tmp_path / "schema.d.ts"
    subprocess.run(
        [
            str(WEB / "node_modules/.bin/node"),
            str(WEB / "node_modules/openapi-typescript/bin/cli.js"),
            str(document),
            "--default-non-nullable",
            "false",
            "-o",
            str(generated),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    committed = (WEB / "src/api/schema.d.ts").read_text()
    assert generated.read_text() == committed, (
        "run `make web-types` (it regenerates web/src/api/schema.d.ts) and commit it"
    )
