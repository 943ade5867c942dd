"""The Python SDK in spell_client/ is what `make sdk` generates from the server's OpenAPI
document today: a route, a field or a description changed without regenerating fails here."""

from __future__ import annotations

import filecmp
import json
import os
import subprocess
from pathlib import Path

import pytest

from spell_mcp.app import create_app
from spell_mcp.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"


def differences(left: Path, right: Path) -> list[str]:
    compared = filecmp.dircmp(left, right, ignore=["__pycache__", ".ruff_cache"])
    found = [f"only in the committed SDK: {name}" for name in compared.left_only]
    found += [f"missing from the committed SDK: {name}" for name in compared.right_only]
    found += [f"differs: {name}" for name in compared.diff_files]
    for name in compared.common_dirs:
        found += [f"{name}/{item}" for item in differences(left / name, right / name)]
    return found


@pytest.mark.processes
def test_the_committed_sdk_is_generated_from_the_servers_document(tmp_path: Path) -> None:
    document = tmp_path / "openapi.json"
    document.write_text(
        json.dumps(create_app(Settings(home=tmp_path / "home")).openapi(), indent=2, sort_keys=True)
    )
    generated = tmp_path / "spell_client"
    subprocess.run(
        [str(BIN / "openapi-python-client"), "generate", "--path", str(document), "--meta", "none",
         "--output-path", str(generated)],
        env={**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}"},
        check=True,
        capture_output=True,
        timeout=300,
    )  # fmt: skip
    drift = differences(ROOT / "spell_client", generated)
    assert not drift, "spell_client/ is stale; run `make sdk`: " + "; ".join(drift[:10])
