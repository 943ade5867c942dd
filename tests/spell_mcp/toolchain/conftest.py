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


@pytest.fixture(scope="session")
def built_greeter(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A C spell from `spell init`, built, with its SBOM: ready to pack."""
    folder = tmp_path_factory.mktemp("maker") / "greeter"
    create(folder, "greeter", "c", key="com.acme.greeter", author="Ada")
    build(folder, read_manifest(folder))
    write_sbom(folder)
    return folder


def write_sbom(folder: Path) -> None:
    """What `spell sbom generate` writes for the folder's module as it is now."""
    manifest = read_manifest(folder)
    module = (folder / manifest.runtime.entry).read_bytes()
    (folder / "sbom.spdx.json").write_text(json.dumps(generate(folder, manifest, module)))


def rebuilt(folder: Path, module: bytes) -> None:
    """The folder with another module, built and described as a maker would: `spell build`, then
    `spell sbom generate`."""
    (folder / "spell.wasm").write_bytes(module)
    write_sbom(folder)


@pytest.fixture
def greeter(built_greeter: Path, tmp_path: Path) -> Path:
    """A copy of the built greeter a test may change."""
    return Path(shutil.copytree(built_greeter, tmp_path / "greeter"))
