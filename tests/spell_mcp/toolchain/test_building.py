"""`spell build`: C and Zig with the ziglang package, checked against what the sandbox provides."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from spell_mcp.toolchain.building import BuildError, build, inspect
from spell_mcp.toolchain.packing import read_manifest
from spell_mcp.toolchain.project import create
from tests import wasm_modules as wat


@pytest.mark.parametrize("language", ["c", "zig"])
def test_a_new_spell_builds_into_a_module_the_sandbox_runs(tmp_path: Path, language: str) -> None:
    folder = tmp_path / "hello"
    create(folder, "hello", language, key=None, author="Ada")
    built = build(folder, read_manifest(folder))
    assert built.module == folder / "spell.wasm"
    assert 0 < built.size < built.max_size
    assert built.refusal is None
    assert all(name.startswith("wasi_snapshot_preview1.") for name in built.imports)


def test_a_compiler_error_is_shown_in_the_compilers_words(tmp_path: Path) -> None:
    folder = tmp_path / "broken"
    create(folder, "broken", "c", key=None, author="Ada")
    (folder / "src" / "main.c").write_text("int main(void) { return missing; }\n")
    with pytest.raises(BuildError, match="use of undeclared identifier 'missing'"):
        build(folder, read_manifest(folder))


def test_an_import_the_sandbox_does_not_provide_is_reported(tmp_path: Path) -> None:
    module = tmp_path / "spell.wasm"
    module.write_bytes(wat.IMPORTS_UNKNOWN_HOST_FUNCTION)
    built = inspect(module)
    assert "env.launch_missiles" in built.imports
    assert built.refusal is not None and "env.launch_missiles" in built.refusal


def test_rust_without_cargo_says_how_to_get_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "rusty"
    create(folder, "rusty", "rust", key=None, author="Ada")
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(BuildError, match="rustup target add wasm32-wasip1"):
        build(folder, read_manifest(folder))
