"""`spell pack`: a package of exactly what the manifest names, or a refusal that says what to do."""

from __future__ import annotations

import tarfile
from io import BytesIO
from pathlib import Path

import pytest

from registry import unpack
from spell_mcp.toolchain.packing import PackError, pack_folder


def names(package: bytes) -> list[str]:
    with tarfile.open(fileobj=BytesIO(package)) as tar:
        return tar.getnames()


def test_a_package_holds_what_the_manifest_names_and_not_the_sources(greeter: Path) -> None:
    package = pack_folder(greeter)
    assert names(package) == [
        "README.md",
        "manifest.toml",
        "output.schema.json",
        "sbom.spdx.json",
        "schema.json",
        "spell.wasm",
    ]
    assert unpack(package).files["spell.wasm"] == (greeter / "spell.wasm").read_bytes()


def test_packing_is_reproducible(greeter: Path) -> None:
    first = pack_folder(greeter)
    (greeter / "manifest.toml").touch()
    (greeter / "src" / "notes.txt").write_text("not packed")
    assert pack_folder(greeter) == first


def test_granted_folders_travel_whole_even_when_empty(greeter: Path) -> None:
    manifest = greeter / "manifest.toml"
    manifest.write_text(manifest.read_text().replace("fs_read = []", 'fs_read = ["./resources", "./models"]'))
    (greeter / "resources" / "deep").mkdir(parents=True)
    (greeter / "resources" / "deep" / "words.txt").write_text("alpha\n")
    (greeter / "models").mkdir()
    package = unpack(pack_folder(greeter))
    assert package.files["resources/deep/words.txt"] == b"alpha\n"
    assert {"resources", "resources/deep", "models"} <= package.directories


def test_an_unbuilt_spell_is_refused_saying_how_to_build_it(greeter: Path) -> None:
    (greeter / "spell.wasm").unlink()
    with pytest.raises(PackError) as refused:
        pack_folder(greeter)
    assert refused.value.problems == ["spell.wasm: missing (the module: build it with `spell build`)"]


def test_every_missing_file_is_named_at_once(greeter: Path) -> None:
    (greeter / "sbom.spdx.json").unlink()
    (greeter / "output.schema.json").unlink()
    with pytest.raises(PackError) as refused:
        pack_folder(greeter)
    assert refused.value.problems == [
        "sbom.spdx.json: missing (the SBOM: make it with `spell sbom generate`)",
        "output.schema.json: missing (the output schema named by io.output_schema)",
    ]


@pytest.mark.parametrize("state", ["absent", "empty"])
def test_a_folder_that_is_no_spell_is_refused(tmp_path: Path, state: str) -> None:
    folder = tmp_path / "nothing"
    if state == "empty":
        folder.mkdir()
    with pytest.raises(PackError, match="spell init NAME"):
        pack_folder(folder)


def test_a_manifest_cannot_pack_files_outside_its_folder(greeter: Path, tmp_path: Path) -> None:
    (tmp_path / "secret.json").write_text('{"type": "object"}')
    manifest = greeter / "manifest.toml"
    manifest.write_text(
        manifest.read_text().replace('input_schema = "schema.json"', 'input_schema = "../secret.json"')
    )
    with pytest.raises(PackError) as refused:
        pack_folder(greeter)
    assert refused.value.problems[0].startswith("../secret.json: missing")


def test_a_link_inside_a_granted_folder_is_refused(greeter: Path) -> None:
    manifest = greeter / "manifest.toml"
    manifest.write_text(manifest.read_text().replace("fs_read = []", 'fs_read = ["./resources"]'))
    (greeter / "resources").mkdir()
    (greeter / "resources" / "passwd").symlink_to("/etc/passwd")
    with pytest.raises(PackError, match="resources/passwd: only regular files"):
        pack_folder(greeter)


def test_an_invalid_manifest_is_refused_field_by_field(greeter: Path) -> None:
    manifest = greeter / "manifest.toml"
    manifest.write_text(manifest.read_text().replace('version = "0.1.0"', 'version = "one"'))
    with pytest.raises(PackError) as refused:
        pack_folder(greeter)
    assert refused.value.problems == ["manifest.toml: spell.version: must be a SemVer version, e.g. 1.2.0"]
