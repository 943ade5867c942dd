"""`spell sbom generate`: the spell, its module's digest and every pinned dependency, as SPDX 2.3
that publish's own validation accepts."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from registry import read_sbom
from spell_mcp.toolchain.packing import read_manifest
from spell_mcp.toolchain.sbom_generation import LockFileError, dependencies, generate

CARGO_LOCK = """
version = 3

[[package]]
name = "greeter"
version = "0.1.0"
dependencies = ["serde_json"]

[[package]]
name = "serde_json"
version = "1.0.128"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "6ff5456707a1de34e7e37f2a6fd3d3f808c318259cbd01ab6377795054b483d8"

[[package]]
name = "itoa"
version = "1.0.11"
source = "git+https://github.com/dtolnay/itoa?rev=abc#abc"
"""

PACKAGE_LOCK = {
    "name": "greeter",
    "lockfileVersion": 3,
    "packages": {
        "": {"name": "greeter", "version": "0.1.0"},
        "node_modules/@scope/util": {"version": "2.1.0", "license": "MIT"},
        "node_modules/typescript": {"version": "5.6.2", "dev": True, "license": "Apache-2.0"},
        "node_modules/odd": {"version": "1.0.0", "license": "SEE LICENSE IN LICENSE.txt"},
    },
}

ZJSON_URL = "https://example.com/zjson-0.4.2.tar.gz"
BUILD_ZIG_ZON = """.{
    .name = .greeter,
    .version = "0.1.0",
    .dependencies = .{
        .zjson = .{
            .url = "https://example.com/zjson-0.4.2.tar.gz",
            .hash = "zjson-0.4.2-AAAAAAAAAA",
        },
        .local = .{ .path = "../local" },
    },
}
"""

UV_LOCK = """
version = 1

[[package]]
name = "greeter"
version = "0.1.0"
source = { editable = "." }

[[package]]
name = "Requests"
version = "2.32.3"
source = { registry = "https://pypi.org/simple" }
"""


def test_each_lock_file_is_read_into_package_urls(greeter: Path) -> None:
    (greeter / "Cargo.lock").write_text(CARGO_LOCK)
    (greeter / "package-lock.json").write_text(json.dumps(PACKAGE_LOCK))
    (greeter / "build.zig.zon").write_text(BUILD_ZIG_ZON)
    (greeter / "uv.lock").write_text(UV_LOCK)
    (greeter / "requirements.txt").write_text("attrs==24.2.0  # pinned\n-r other.txt\nrich>=13\n")
    found = {d.purl: (d.version, d.license, d.found_in) for d in dependencies(greeter)}
    assert found == {
        "pkg:cargo/serde_json@1.0.128": ("1.0.128", None, "Cargo.lock"),
        "pkg:cargo/itoa@1.0.11?vcs_url=git%2Bhttps://github.com/dtolnay/itoa%3Frev%3Dabc%23abc": (
            "1.0.11",
            None,
            "Cargo.lock",
        ),
        "pkg:npm/%40scope/util@2.1.0": ("2.1.0", "MIT", "package-lock.json"),
        "pkg:npm/odd@1.0.0": ("1.0.0", "SEE LICENSE IN LICENSE.txt", "package-lock.json"),
        f"pkg:generic/zjson@0.4.2?checksum=zig:zjson-0.4.2-AAAAAAAAAA&download_url={ZJSON_URL}": (
            "0.4.2",
            None,
            "build.zig.zon",
        ),
        "pkg:pypi/requests@2.32.3": ("2.32.3", None, "uv.lock"),
        "pkg:pypi/attrs@24.2.0": ("24.2.0", None, "requirements.txt"),
        "pkg:pypi/rich": (None, None, "requirements.txt"),
    }


def test_the_document_is_spdx_2_3_that_publish_accepts(greeter: Path) -> None:
    (greeter / "Cargo.lock").write_text(CARGO_LOCK)
    (greeter / "package-lock.json").write_text(json.dumps(PACKAGE_LOCK))
    module = (greeter / "spell.wasm").read_bytes()
    document = generate(greeter, read_manifest(greeter), module)
    sbom = read_sbom(document)
    assert sbom.format == "spdx-2.3"
    spell = next(p for p in document["packages"] if p["name"] == "com.acme.greeter")
    assert spell["checksums"] == [
        {"algorithm": "SHA256", "checksumValue": hashlib.sha256(module).hexdigest()}
    ]
    assert {c.name: c.license for c in sbom.components}["@scope/util"] == "MIT"
    # An npm licence that is no SPDX expression is left unasserted rather than refused.
    assert {c.name: c.license for c in sbom.components}["odd"] is None


def test_the_same_module_gives_the_same_document_when_the_time_is_fixed(
    greeter: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    module = (greeter / "spell.wasm").read_bytes()
    manifest = read_manifest(greeter)
    assert generate(greeter, manifest, module) == generate(greeter, manifest, module)
    assert generate(greeter, manifest, module)["creationInfo"]["created"] == "2023-11-14T22:13:20Z"


def test_a_broken_lock_file_is_named(greeter: Path) -> None:
    (greeter / "Cargo.lock").write_text("[[package]\nname =")
    with pytest.raises(LockFileError, match=r"Cargo\.lock: cannot be read"):
        dependencies(greeter)
    (greeter / "Cargo.lock").unlink()
    (greeter / "requirements.txt").write_text("attrs===\n")
    with pytest.raises(LockFileError, match=r"requirements\.txt:1"):
        dependencies(greeter)
