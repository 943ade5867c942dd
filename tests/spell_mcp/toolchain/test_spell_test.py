"""`spell test` reports what publish would warn of, and `--all` fails on it."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from spell_mcp.cli import app


def test_a_limit_above_the_ceiling_is_a_warning_and_all_makes_it_a_failure(greeter: Path) -> None:
    manifest = greeter / "manifest.toml"
    manifest.write_text(manifest.read_text().replace("timeout_ms = 1000", "timeout_ms = 90000"))
    warned = CliRunner().invoke(app, ["test", str(greeter), "--json"])
    assert warned.exit_code == 0, warned.output
    assert json.loads(warned.output)["warnings"] == [
        "runtime.timeout_ms = 90000 is above this platform's ceiling (SPELL_MAX_TIMEOUT_MS): "
        "casts run with timeout_ms = 30000"
    ]
    strict = CliRunner().invoke(app, ["test", str(greeter), "--all", "--json"])
    assert strict.exit_code == 1
    assert json.loads(strict.output)["checks"][-1]["check"] == "no warnings (--all)"
