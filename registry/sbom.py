"""The SBOM every spell carries: SPDX 2.2 or 2.3 JSON, or CycloneDX 1.2-1.7 JSON, validated by
the formats' own libraries, reduced to the list of packages the vulnerability and licence checks read."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePosixPath
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
class Subject:
    """Something the SBOM says it is about (its main component, or a file), as it names it."""

    name: str
    version: str | None
    # (algorithm as written, hex digest) of each checksum declared for it.
    checksums: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Sbom:
    format: str  # "spdx-2.2" | "spdx-2.3" | "cyclonedx-1.x"
    components: tuple[Component, ...]
    # What the document describes: SPDX's described packages (every package when it names none),
    # CycloneDX's metadata.component.
    subjects: tuple[Subject, ...] = ()
    # The files it lists: SPDX files, CycloneDX components of type "file".
    files: tuple[Subject, ...] = ()
    # The SPDX document's own name (the specification's §9.4.2 writes "<key>-<version>").
    title: str | None = None

    def mismatches(self, *, key: str, name: str, version: str, module_path: str, module: bytes) -> list[str]:
        """What says this SBOM is of another spell, version or module than the one given (a
        leftover of another build), one sentence each; none when it describes this one."""
        ours = [subject for subject in self.subjects if subject.name in (key, name)]
        titles = {f"{key}-{version}", f"{key} {version}", f"{key}@{version}"}
        problems = []
        if not ours and self.title not in titles:
            described = ", ".join(f"{s.name} {s.version or '(no version)'}" for s in self.subjects)
            problems.append(
                f"describes {described or 'nothing'}, not {key} {version}: its main component must "
                f"be named {key} at version {version}"
            )
        problems += [
            f"describes {subject.name} {subject.version or '(no version)'}, but the manifest's version "
            f"is {version}"
            for subject in ours
            if subject.version != version
        ]
        module_name = PurePosixPath(module_path).name
        for subject in [*ours, *(f for f in self.files if PurePosixPath(f.name).name == module_name)]:
            for algorithm, declared in subject.checksums:
                actual = _digest(algorithm, module)
                if actual is not None and declared.lower() != actual:
                    problems.append(
                        f"gives {subject.name} the {algorithm} checksum {declared}, but "
                        f"{module_path}'s is {actual}"
                    )
        return problems


# Checksum algorithms as SPDX (SHA3_256) and CycloneDX (SHA3-256) write them, folded to SHA3256.
_DIGESTS: dict[str, Callable[[bytes], Any]] = {
    "MD5": hashlib.md5,
    "SHA1": hashlib.sha1,
    "SHA224": hashlib.sha224,
    "SHA256": hashlib.sha256,
    "SHA384": hashlib.sha384,
    "SHA512": hashlib.sha512,
    "SHA3256": hashlib.sha3_256,
    "SHA3384": hashlib.sha3_384,
    "SHA3512": hashlib.sha3_512,
    "BLAKE2B256": lambda data: hashlib.blake2b(data, digest_size=32),
    "BLAKE2B384": lambda data: hashlib.blake2b(data, digest_size=48),
    "BLAKE2B512": lambda data: hashlib.blake2b(data, digest_size=64),
}


def _digest(algorithm: str, data: bytes) -> str | None:
    """The hex digest of `data` under an SBOM's algorithm name; None for one not computed here."""
    make = _DIGESTS.get(re.sub(r"[-_ ]", "", algorithm.upper()))
    return make(data).hexdigest() if make is not None else None


def read_sbom(document: dict[str, Any]) -> Sbom:
    if "spdxVersion" in document:
        return _spdx(document)
    if document.get("bomFormat") == "CycloneDX":
        return _cyclonedx(document)
    raise SbomError(["the SBOM is neither SPDX (spdxVersion) nor CycloneDX (bomFormat) JSON"])


def _spdx(document: dict[str, Any]) -> Sbom:
    from spdx_tools.spdx.model.relationship import RelationshipType
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
    document_id = parsed.creation_info.spdx_id
    described = {
        r.related_spdx_element_id
        for r in parsed.relationships
        if r.spdx_element_id == document_id and r.relationship_type == RelationshipType.DESCRIBES
    } | {
        r.spdx_element_id
        for r in parsed.relationships
        if r.related_spdx_element_id == document_id and r.relationship_type == RelationshipType.DESCRIBED_BY
    }
    subjects = tuple(
        Subject(p.name, p.version, tuple((c.algorithm.name, c.value) for c in p.checksums))
        for p in parsed.packages
        if p.spdx_id in described or not described
    )
    files = tuple(
        Subject(f.name, None, tuple((c.algorithm.name, c.value) for c in f.checksums)) for f in parsed.files
    )
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
    return Sbom(
        format=f"spdx-{str(version).removeprefix('SPDX-')}",
        components=tuple(components),
        subjects=subjects,
        files=files,
        title=parsed.creation_info.name,
    )


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
    main = (document.get("metadata") or {}).get("component")
    return Sbom(
        format=f"cyclonedx-{version}",
        components=tuple(components),
        subjects=(_cyclonedx_subject(main),) if main else (),
        files=tuple(_cyclonedx_subject(c) for c in found if c.get("type") == "file"),
    )


def _cyclonedx_subject(component: dict[str, Any]) -> Subject:
    hashes = tuple((h["alg"], h["content"]) for h in component.get("hashes") or [])
    return Subject(component["name"], component.get("version"), hashes)
