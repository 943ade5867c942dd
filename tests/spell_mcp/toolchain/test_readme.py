"""The README's commands for the bundled examples work as written, from the repository's root."""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from registry import unpack
from spell_mcp.cli import app

ROOT = Path(__file__).resolve().parents[3]


def readme_commands() -> list[list[str]]:
    text = (ROOT / "README.md").read_text()
    return [shlex.split(line) for line in re.findall(r"^(spell (?:build|pack) examples/\S+.*)$", text, re.M)]


def test_the_readme_builds_and_packs_an_example(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    commands = readme_commands()
    assert [c[:2] for c in commands] == [["spell", "build"], ["spell", "pack"]]
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    monkeypatch.chdir(tmp_path)
    for command in commands:
        result = CliRunner().invoke(app, command[1:])
        assert result.exit_code == 0, f"{shlex.join(command)}: {result.output}"
    package = unpack((tmp_path / "spell.tar").read_bytes())
    assert set(package.files) == {
        "manifest.toml",
        "output.schema.json",
        "sbom.spdx.json",
        "schema.json",
        "spell.wasm",
    }
