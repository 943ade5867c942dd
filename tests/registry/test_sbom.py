"""An SBOM is this package's own: it names the spell at the manifest's version, and any checksum
it gives the spell or its module is the module's."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from registry import read_sbom
from tests.spellbook import spdx_sbom

KEY, NAME, VERSION = "com.acme.resize", "Image Resizer Pro", "1.2.3"
MODULE = b"\0asm\1\0\0\0"
SHA256 = hashlib.sha256(MODULE).hexdigest()


def mismatches(document: dict[str, Any]) -> list[str]:
    return read_sbom(document).mismatches(
        key=KEY, name=NAME, version=VERSION, module_path="spell.wasm", module=MODULE
    )


def not_this_spell(described: str) -> str:
    must = f"its main component must be named {KEY} at version {VERSION}"
    return f"describes {described}, not {KEY} {VERSION}: {must}"


def with_checksum(document: dict[str, Any], algorithm: str, value: str) -> dict[str, Any]:
    document["packages"][0]["checksums"] = [{"algorithm": algorithm, "checksumValue": value}]
    return document


def cyclonedx(main: dict[str, Any] | None) -> dict[str, Any]:
    return {
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "version": 1,
        **({"metadata": {"component": {"type": "application", **main}}} if main else {}),
        "components": [{"type": "library", "name": "image", "version": "0.25.1"}],
    }


def test_the_sbom_of_this_spell_version_and_module_matches() -> None:
    assert mismatches(with_checksum(spdx_sbom(KEY, VERSION), "SHA256", SHA256)) == []
    assert mismatches(spdx_sbom(NAME, VERSION)) == []  # named by the manifest's name
    assert (
        mismatches(
            cyclonedx({"name": KEY, "version": VERSION, "hashes": [{"alg": "SHA-256", "content": SHA256}]})
        )
        == []
    )


def test_the_sbom_of_another_spell_is_refused_naming_what_it_describes() -> None:
    assert mismatches(spdx_sbom("com.acme.other", "3.1.4")) == [not_this_spell("com.acme.other 3.1.4")]


def test_the_sbom_of_another_version_is_refused() -> None:
    assert mismatches(spdx_sbom(KEY, "1.2.2")) == [
        f"describes {KEY} 1.2.2, but the manifest's version is {VERSION}"
    ]


@pytest.mark.parametrize(
    "document",
    [
        with_checksum(spdx_sbom(KEY, VERSION), "SHA256", "0" * 64),
        with_checksum(spdx_sbom(KEY, VERSION), "SHA1", "0" * 40),
        cyclonedx({"name": KEY, "version": VERSION, "hashes": [{"alg": "SHA3-256", "content": "0" * 64}]}),
    ],
    ids=["spdx-sha256", "spdx-sha1", "cyclonedx-sha3-256"],
)
def test_a_checksum_of_another_module_is_refused(document: dict[str, Any]) -> None:
    (problem,) = mismatches(document)
    assert problem.startswith(f"gives {KEY} the ") and "but spell.wasm's is " in problem


def test_a_file_entry_for_the_module_must_carry_the_modules_checksum() -> None:
    document = spdx_sbom(KEY, VERSION)
    document["files"] = [
        {
            "SPDXID": "SPDXRef-File-module",
            "fileName": "./spell.wasm",
            "checksums": [{"algorithm": "SHA1", "checksumValue": hashlib.sha1(b"old").hexdigest()}],
        }
    ]
    (problem,) = mismatches(document)
    assert problem.startswith("gives ./spell.wasm the SHA1 checksum ")
    document["files"][0]["checksums"][0]["checksumValue"] = hashlib.sha1(MODULE).hexdigest()
    assert mismatches(document) == []


def test_a_cyclonedx_sbom_without_a_main_component_names_no_spell() -> None:
    assert mismatches(cyclonedx(None)) == [not_this_spell("nothing")]


def test_the_specifications_sbom_form_names_the_spell_by_its_document_name() -> None:
    """§9.4.2 names the document "com.acme.resize-1.2.3" and DESCRIBES its first dependency (its
    checksums, "abc123def456789...", are placeholders that no validator accepts: real ones here)."""
    document = {
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": "com.acme.resize-1.2.3",
        "documentNamespace": "https://spell.dev/sbom/com.acme.resize/1.2.3/20251004",
        "creationInfo": {
            "created": "2025-10-04T10:00:00Z",
            "creators": ["Tool: cargo-sbom-0.9.1", "Organization: Acme Corp"],
        },
        "packages": [
            {
                "SPDXID": "SPDXRef-Package-image",
                "name": "image",
                "versionInfo": "0.24.7",
                "downloadLocation": "https://crates.io/crates/image/0.24.7",
                "filesAnalyzed": False,
                "licenseConcluded": "MIT",
                "licenseDeclared": "MIT",
                "copyrightText": "NOASSERTION",
                "checksums": [{"algorithm": "SHA256", "checksumValue": "a" * 64}],
            }
        ],
        "relationships": [
            {
                "spdxElementId": "SPDXRef-DOCUMENT",
                "relationshipType": "DESCRIBES",
                "relatedSpdxElement": "SPDXRef-Package-image",
            }
        ],
    }
    assert mismatches(document) == []
    document["name"] = "com.acme.resize-1.2.2"
    assert mismatches(document) == [not_this_spell("image 0.24.7")]
