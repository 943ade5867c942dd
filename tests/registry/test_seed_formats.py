"""The formats of the platform's specification, as written there: its manifest, SPDX 2.2 and 2.3,
CycloneDX 1.4-1.6, and a declared SBOM format checked against the SBOM itself."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from registry import CheckedVersion, LocalBlobStore, RegistrationError, SpellSource, check
from runtime import Sandbox
from tests import wasm_modules as wat
from tests.registry.test_package import PNG_PIXEL
from tests.spellbook import spdx_sbom

SEED = Path(__file__).resolve().parents[1] / "fixtures" / "seed" / "manifest.toml"
KEY = "com.example.image-resize"


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[Sandbox]:
    box = Sandbox(tmp_path / "artifacts", lambda digest: b"")
    yield box
    box.close()


@pytest.fixture
def seed_spell(tmp_path: Path) -> Path:
    """A spell folder around the specification's manifest, verbatim."""
    directory = tmp_path / "image-resize"
    directory.mkdir()
    shutil.copy(SEED, directory / "manifest.toml")
    (directory / "spell.wasm").write_bytes(wat.writes("{}"))
    (directory / "schema.json").write_text(json.dumps({"type": "object"}))
    (directory / "sbom.spdx.json").write_text(json.dumps(spdx_sbom(KEY, "1.2.0")))
    (directory / "icon.png").write_bytes(PNG_PIXEL)
    (directory / "resources").mkdir()
    (directory / "resources" / "kernel.txt").write_text("lanczos3\n")
    return directory


def checked(directory: Path, sandbox: Sandbox, tmp_path: Path) -> CheckedVersion:
    return check(
        SpellSource.from_directory(directory),
        sandbox=sandbox,
        blobs=LocalBlobStore(tmp_path / "blobs"),
        bundle=None,
        verifier=None,
        identities=[],
        allow_unsigned=True,
    )


def test_a_spell_with_the_specifications_manifest_passes_every_publish_check(
    seed_spell: Path, sandbox: Sandbox, tmp_path: Path
) -> None:
    version = checked(seed_spell, sandbox, tmp_path)
    assert version.source.manifest.spell.key == KEY
    assert version.source.icon is not None
    assert version.sbom.format == "spdx-2.3"
    assert "/resources" in version.source.trees


def test_a_declared_sbom_format_that_is_not_the_sboms_is_refused(
    seed_spell: Path, sandbox: Sandbox, tmp_path: Path
) -> None:
    (seed_spell / "sbom.spdx.json").write_text(json.dumps(cyclonedx("1.6")))
    with pytest.raises(RegistrationError) as refused:
        checked(seed_spell, sandbox, tmp_path)
    assert refused.value.code == "sbom_invalid"
    assert refused.value.problems == [
        "supply_chain.sbom_format: declares spdx-2.3 but sbom.spdx.json is cyclonedx-1.6"
    ]


def test_spdx_2_2_is_read_like_2_3(seed_spell: Path, sandbox: Sandbox, tmp_path: Path) -> None:
    manifest = seed_spell / "manifest.toml"
    manifest.write_text(manifest.read_text().replace('sbom_format = "spdx-2.3"', 'sbom_format = "spdx-2.2"'))
    document = spdx_sbom(KEY, "1.2.0")
    document["spdxVersion"] = "SPDX-2.2"
    (seed_spell / "sbom.spdx.json").write_text(json.dumps(document))
    version = checked(seed_spell, sandbox, tmp_path)
    assert version.sbom.format == "spdx-2.2"
    assert [c.name for c in version.sbom.components] == [KEY]


def test_spdx_2_1_is_refused_saying_which_versions_are_read(
    seed_spell: Path, sandbox: Sandbox, tmp_path: Path
) -> None:
    document = spdx_sbom(KEY, "1.2.0")
    document["spdxVersion"] = "SPDX-2.1"
    (seed_spell / "sbom.spdx.json").write_text(json.dumps(document))
    with pytest.raises(RegistrationError, match=r"SPDX-2\.3 \(or SPDX-2\.2\)"):
        checked(seed_spell, sandbox, tmp_path)


def cyclonedx(spec: str) -> dict[str, Any]:
    return {
        "bomFormat": "CycloneDX",
        "specVersion": spec,
        "version": 1,
        "metadata": {"component": {"type": "application", "name": KEY, "version": "1.2.0"}},
        "components": [
            {
                "type": "library",
                "name": "image",
                "version": "0.25.1",
                "purl": "pkg:cargo/image@0.25.1",
                "licenses": [{"expression": "MIT OR Apache-2.0"}],
            }
        ],
    }


@pytest.mark.parametrize("spec", ["1.4", "1.5", "1.6"])
def test_cyclonedx_json_of_each_current_version_is_read(
    seed_spell: Path, sandbox: Sandbox, tmp_path: Path, spec: str
) -> None:
    manifest = seed_spell / "manifest.toml"
    text = manifest.read_text().replace('sbom = "sbom.spdx.json"', 'sbom = "sbom.cdx.json"')
    manifest.write_text(text.replace('sbom_format = "spdx-2.3"', 'sbom_format = "cyclonedx"'))
    (seed_spell / "sbom.spdx.json").unlink()
    (seed_spell / "sbom.cdx.json").write_text(json.dumps(cyclonedx(spec)))
    version = checked(seed_spell, sandbox, tmp_path)
    assert version.sbom.format == f"cyclonedx-{spec}"
    assert version.sbom.components[0].purl == "pkg:cargo/image@0.25.1"
