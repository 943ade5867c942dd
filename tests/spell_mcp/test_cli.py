"""The `spell` command refuses what it cannot do in words, at once, with no traceback."""

from __future__ import annotations

import os
import socket
import subprocess
from pathlib import Path

from typer.testing import CliRunner

from spell_mcp.cli import app

ROOT = Path(__file__).resolve().parents[2]


def test_a_grant_above_the_ceiling_is_refused_before_anything_is_created(tmp_path: Path) -> None:
    home = tmp_path / "home"
    result = CliRunner().invoke(
        app, ["users", "create", "whale", "--credits", "10000000000000"], env={"SPELL_HOME": str(home)}
    )
    assert result.exit_code == 2, result.output
    assert "at most 100000 USD" in result.output and "SPELL_MAX_GRANT_USD" in result.output
    assert "Traceback" not in result.output
    assert not home.exists()


def test_serving_on_a_busy_port_says_so_and_never_claims_to_serve(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [str(ROOT / ".venv/bin/spell"), "serve", "--dev", "--port", str(port)],
            env={**os.environ, "SPELL_HOME": str(tmp_path / "home")},
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr
    assert "serving" not in done.stdout + done.stderr
    assert "Traceback" not in done.stderr


def test_a_retention_dry_run_lists_what_would_go_and_removes_nothing(tmp_path: Path) -> None:
    env = {"SPELL_HOME": str(tmp_path / "home")}
    result = CliRunner().invoke(app, ["retention", "run", "--dry-run"], env=env)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "would remove        0 input hashes" in lines and "would remove        0 artifact files" in lines
    assert CliRunner().invoke(app, ["retention", "run"], env=env).output.startswith("removed ")
