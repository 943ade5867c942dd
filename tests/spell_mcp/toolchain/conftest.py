"""A maker's folder, made by `spell init` and built, shared by the toolchain's tests."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from spell_mcp.toolchain.building import build
from spell_mcp.toolchain.packing import read_manifest
from spell_mcp.toolchain.project import create
from spell_mcp.toolchain.sbom_generation import generate

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(autouse=True)
def zig_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    # The cache examples/build.py fills: wasi-libc is built once, not per test.
    monkeypatch.setenv("ZIG_GLOBAL_CACHE_DIR", str(ROOT / "build" / "zig-cache"))


@pytest.fixture(scope="session")
def built_greeter(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A C spell from `spell init`, built, with its SBOM: ready to pack."""
    folder = tmp_path_factory.mktemp("maker") / "greeter"
    create(folder, "greeter", "c", key="com.acme.greeter", author="Ada")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ZIG_GLOBAL_CACHE_DIR", str(ROOT / "build" / "zig-cache"))
        built = build(folder, read_manifest(folder))
    manifest = read_manifest(folder)
    (folder / "sbom.spdx.json").write_text(json.dumps(generate(folder, manifest, built.module.read_bytes())))
    return folder


@pytest.fixture
def greeter(built_greeter: Path, tmp_path: Path) -> Path:
    """A copy of the built greeter a test may change."""
    return Path(shutil.copytree(built_greeter, tmp_path / "greeter"))
