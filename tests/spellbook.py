"""Spell directories made in tests, beside the bundled examples."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

OPEN_OBJECT = {"type": "object"}


def write_spell(
    directory: Path,
    key: str,
    wasm: bytes,
    *,
    price_usd: str = "0.01",
    timeout_ms: int = 2000,
    max_memory_mb: int = 16,
    schema: dict[str, Any] | None = None,
    output_schema: dict[str, Any] | None = None,
    version: str = "1.0.0",
    policy: str = "",
    output_format: str = "json",
    icon: bytes | None = None,
    deterministic: bool = False,
) -> Path:
    spell_dir = directory / key
    spell_dir.mkdir(parents=True, exist_ok=True)
    (spell_dir / "manifest.toml").write_text(
        f"""
[spell]
key = "{key}"
name = "{key}"
version = "{version}"
description = "A spell made by the test suite."
author = "tests"
license = "MIT"
{'icon = "icon.png"' if icon is not None else ""}

[runtime]
timeout_ms = {timeout_ms}
max_memory_mb = {max_memory_mb}
deterministic = {"true" if deterministic else "false"}

[runtime.policy]
{policy}

[io]
output_format = "{output_format}"
{'output_schema = "output.schema.json"' if output_schema is not None else ""}

[pricing]
price_usd = "{price_usd}"
"""
    )
    (spell_dir / "schema.json").write_text(json.dumps(schema or OPEN_OBJECT))
    if output_schema is not None:
        (spell_dir / "output.schema.json").write_text(json.dumps(output_schema))
    (spell_dir / "sbom.spdx.json").write_text(json.dumps(spdx_sbom(key, version)))
    (spell_dir / "spell.wasm").write_bytes(wasm)
    if icon is not None:
        (spell_dir / "icon.png").write_bytes(icon)
    return spell_dir


def copy_examples(built_spells: Path, directory: Path) -> None:
    for spell in built_spells.iterdir():
        shutil.copytree(spell, directory / spell.name)


def spdx_sbom(key: str, version: str, packages: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A minimal valid SPDX 2.3 document describing the spell (and any extra packages)."""
    spell = {
        "name": key,
        "SPDXID": "SPDXRef-Package-spell",
        "versionInfo": version,
        "downloadLocation": "NOASSERTION",
        "filesAnalyzed": False,
        "licenseConcluded": "MIT",
        "licenseDeclared": "MIT",
        "copyrightText": "NOASSERTION",
    }
    return {
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": key,
        "documentNamespace": f"https://spell.dev/spdx/{key}-{version}",
        "creationInfo": {"created": "2026-11-25T00:00:00Z", "creators": ["Tool: spell-tests"]},
        "packages": [spell, *(packages or [])],
        "relationships": [
            {
                "spdxElementId": "SPDXRef-DOCUMENT",
                "relationshipType": "DESCRIBES",
                "relatedSpdxElement": spell["SPDXID"],
            }
        ],
    }
