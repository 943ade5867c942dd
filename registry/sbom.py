"""The SBOM every spell carries: SPDX 2.2 or 2.3 JSON, or CycloneDX 1.2-1.7 JSON, validated by
the formats' own libraries, reduced to the list of packages the vulnerability and licence checks read."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from registry.json_schema import load

MAX_PROBLEMS = 20
SPDX_VERSIONS = ("SPDX-2.2", "SPDX-2.3")


class SbomError(ValueError):
    """The SBOM is empty or invalid; `problems` are the validator's own messages."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True, slots=True)
class Component:
    name: str
    version: str | None
    purl: str | None
    license: str | None


@dataclass(frozen=True, slots=True)
class Sbom:
    format: str  # "spdx-2.2" | "spdx-2.3" | "cyclonedx-1.x"
    components: tuple[Component, ...]


def read_sbom(document: dict[str, Any]) -> Sbom:
    if "spdxVersion" in document:
        return _spdx(document)
    if document.get("bomFormat") == "CycloneDX":
        return _cyclonedx(document)
    raise SbomError(["the SBOM is neither SPDX (spdxVersion) nor CycloneDX (bomFormat) JSON"])


def _spdx(document: dict[str, Any]) -> Sbom:
    from spdx_tools.spdx.parser.error import SPDXParsingError
    from spdx_tools.spdx.parser.jsonlikedict.json_like_dict_parser import JsonLikeDictParser
    from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

    version = document.get("spdxVersion")
    if version not in SPDX_VERSIONS:
        raise SbomError([f"SPDX {version!r} is not supported; use SPDX-2.3 (or SPDX-2.2)"])
    try:
        parsed = JsonLikeDictParser().parse(document)  # type: ignore[no-untyped-call]
    except SPDXParsingError as exc:
        raise SbomError([str(m) for m in exc.get_messages()][:MAX_PROBLEMS]) from None  # type: ignore[no-untyped-call]
    messages = validate_full_spdx_document(parsed)
    if messages:
        raise SbomError([m.validation_message for m in messages][:MAX_PROBLEMS])
    if not parsed.packages:
        raise SbomError(["the SBOM lists no packages"])
    components = []
    for package in parsed.packages:
        purl = next(
            (ref.locator for ref in package.external_references if ref.reference_type == "purl"), None
        )
        concluded = (
            package.license_concluded if package.license_concluded is not None else package.license_declared
        )
        license_text = str(concluded) if concluded is not None and not _is_noassertion(concluded) else None
        components.append(Component(package.name, package.version, purl, license_text))
    return Sbom(format=f"spdx-{str(version).removeprefix('SPDX-')}", components=tuple(components))


def _is_noassertion(value: Any) -> bool:
    return type(value).__name__ in {"SpdxNoAssertion", "SpdxNone"}


def _cyclonedx(document: dict[str, Any]) -> Sbom:
    from cyclonedx.schema import SchemaVersion

    load()  # cyclonedx validates with jsonschema: loaded as registry/json_schema.py says
    from cyclonedx.validation.json import JsonStrictValidator

    version = str(document.get("specVersion", ""))
    try:
        schema = SchemaVersion.from_version(version)
    except ValueError:
        raise SbomError([f"CycloneDX specVersion {version!r} is not supported"]) from None
    if schema < SchemaVersion.V1_2:
        raise SbomError([f"CycloneDX {version} is too old; use 1.2 or newer"])
    errors = JsonStrictValidator(schema).validate_str(json.dumps(document), all_errors=True)
    if errors:
        raise SbomError([str(error.data.message) for error in errors][:MAX_PROBLEMS])
    found = document.get("components") or []
    if not found:
        raise SbomError(["the SBOM lists no components"])
    components = []
    for component in found:
        licenses = component.get("licenses") or []
        names = [
            entry.get("expression")
            or (entry.get("license") or {}).get("id")
            or (entry.get("license") or {}).get("name")
            for entry in licenses
        ]
        license_text = " AND ".join(f"({n})" if " " in n else n for n in names if n) or None
        components.append(
            Component(component["name"], component.get("version"), component.get("purl"), license_text)
        )
    return Sbom(format=f"cyclonedx-{version}", components=tuple(components))
