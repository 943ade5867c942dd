"""`spell sbom generate`: an SPDX 2.3 JSON document of the spell, its module's digest and the
dependencies its lock files pin.

Lock files are read with the libraries made for their formats: TOML ones (`Cargo.lock`,
`uv.lock`, `poetry.lock`, `pylock.toml`) with `tomllib`, `package-lock.json` with `json`,
`requirements*.txt` lines with `packaging`'s requirement parser; only `build.zig.zon` (Zig object
notation, which no Python library reads) is read by a small pattern that takes the dependency
names, URLs and hashes and nothing else. The document is built with `spdx-tools`' model and
written, validated, by its JSON writer: what `spell sbom validate` and publish read back.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import tomllib
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import version as installed_version
from pathlib import Path
from typing import Any

from packageurl import PackageURL
from packaging.requirements import InvalidRequirement, Requirement

from registry import Manifest


class LockFileError(ValueError):
    """A lock file could not be read; the message names it."""


@dataclass(frozen=True, slots=True)
class Dependency:
    name: str
    version: str | None
    purl: str
    license: str | None = None
    found_in: str = ""


def _cargo(path: Path) -> list[Dependency]:
    found = []
    for package in tomllib.loads(path.read_text()).get("package", []):
        source = str(package.get("source", ""))
        if not source:  # the workspace's own crates
            continue
        qualifiers = {} if source.startswith("registry+") else {"vcs_url": source}
        purl = PackageURL("cargo", None, package["name"], package.get("version"), qualifiers)
        found.append(
            Dependency(package["name"], package.get("version"), purl.to_string(), found_in=path.name)
        )
    return found


def _npm(path: Path) -> list[Dependency]:
    document = json.loads(path.read_text())
    found = []
    for location, package in (document.get("packages") or {}).items():
        if not location or package.get("dev") or package.get("link"):
            continue  # the project itself, build-only tools, local links
        name = package.get("name") or location.rsplit("node_modules/", 1)[-1]
        scope, _, bare = name.rpartition("/")
        purl = PackageURL("npm", scope or None, bare, package.get("version"))
        licence = package.get("license") if isinstance(package.get("license"), str) else None
        found.append(Dependency(name, package.get("version"), purl.to_string(), licence, path.name))
    return found


def _python_toml(path: Path) -> list[Dependency]:
    document = tomllib.loads(path.read_text())
    found = []
    for package in document.get("packages", []) + document.get("package", []):
        source = package.get("source") or {}
        if isinstance(source, dict) and (source.get("editable") or source.get("virtual")):
            continue  # the project itself (uv)
        purl = PackageURL("pypi", None, package["name"], package.get("version"))
        found.append(
            Dependency(package["name"], package.get("version"), purl.to_string(), found_in=path.name)
        )
    return found


def _requirements(path: Path) -> list[Dependency]:
    found = []
    for number, raw in enumerate(path.read_text().splitlines(), start=1):
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith(("#", "-")):
            continue
        try:
            requirement = Requirement(line.rstrip("\\").strip())
        except InvalidRequirement as exc:
            raise LockFileError(f"{path.name}:{number}: {exc}") from None
        pinned = [spec.version for spec in requirement.specifier if spec.operator in ("==", "===")]
        version = pinned[0] if pinned else None
        purl = PackageURL("pypi", None, requirement.name, version)
        found.append(Dependency(requirement.name, version, purl.to_string(), found_in=path.name))
    return found


# `.name = .{ .url = "…", .hash = "…" }` inside `.dependencies = .{ … }`; a local `.path` has no URL.
_ZON_DEPENDENCY = re.compile(
    r'\.(@"[^"]+"|[A-Za-z_][\w]*)\s*=\s*\.\{\s*\.url\s*=\s*"([^"]+)"\s*,\s*\.hash\s*=\s*"([^"]+)"'
)


def _zig(path: Path) -> list[Dependency]:
    found = []
    for name, url, digest in _ZON_DEPENDENCY.findall(path.read_text()):
        name = name.removeprefix('@"').removesuffix('"')
        # Zig 0.14+ hashes read "name-version-…"; older ones are bare multihashes.
        parts = digest.split("-")
        version = parts[1] if len(parts) >= 3 else None
        purl = PackageURL("generic", None, name, version, {"download_url": url, "checksum": f"zig:{digest}"})
        found.append(Dependency(name, version, purl.to_string(), found_in=path.name))
    return found


LOCK_FILES = {
    "Cargo.lock": _cargo,
    "package-lock.json": _npm,
    "build.zig.zon": _zig,
    "uv.lock": _python_toml,
    "poetry.lock": _python_toml,
    "pylock.toml": _python_toml,
}


def dependencies(folder: Path) -> list[Dependency]:
    """Every dependency pinned by the folder's lock files, each once."""
    found: dict[str, Dependency] = {}
    paths = [folder / name for name in LOCK_FILES if (folder / name).is_file()]
    paths += sorted(folder.glob("requirements*.txt"))
    for path in paths:
        reader = LOCK_FILES.get(path.name, _requirements)
        try:
            for dependency in reader(path):
                found.setdefault(dependency.purl, dependency)
        except LockFileError:
            raise  # already names the file and the line
        except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
            raise LockFileError(f"{path.name}: cannot be read ({exc})") from None
    return sorted(found.values(), key=lambda d: d.purl)


def generate(folder: Path, manifest: Manifest, module: bytes) -> dict[str, Any]:
    """The SPDX 2.3 document of the spell in `folder`, as JSON-ready data."""
    from license_expression import get_spdx_licensing
    from spdx_tools.spdx.model.actor import Actor, ActorType
    from spdx_tools.spdx.model.checksum import Checksum, ChecksumAlgorithm
    from spdx_tools.spdx.model.document import CreationInfo, Document
    from spdx_tools.spdx.model.package import (
        ExternalPackageRef,
        ExternalPackageRefCategory,
        Package,
        PackagePurpose,
    )
    from spdx_tools.spdx.model.relationship import Relationship, RelationshipType
    from spdx_tools.spdx.model.spdx_no_assertion import SpdxNoAssertion
    from spdx_tools.spdx.writer.json.json_writer import write_document_to_stream

    spdx_licensing = get_spdx_licensing()

    spell = manifest.spell
    created = _creation_time()
    digest = hashlib.sha256(module).hexdigest()
    namespace_id = uuid.uuid5(uuid.NAMESPACE_URL, f"spell:{spell.key}:{spell.version}:{digest}")
    root = Package(
        spdx_id="SPDXRef-Package-spell",
        name=spell.key,
        version=spell.version,
        download_location=manifest.metadata.repository or SpdxNoAssertion(),
        files_analyzed=False,
        checksums=[Checksum(ChecksumAlgorithm.SHA256, digest)],
        license_concluded=spdx_licensing.parse(spell.license),
        license_declared=spdx_licensing.parse(spell.license),
        copyright_text=SpdxNoAssertion(),
        supplier=Actor(ActorType.ORGANIZATION, spell.author[:200]),
        primary_package_purpose=PackagePurpose.APPLICATION,
        summary=spell.description[:500],
    )
    packages = [root]
    relationships = [Relationship("SPDXRef-DOCUMENT", RelationshipType.DESCRIBES, root.spdx_id)]
    for index, dependency in enumerate(dependencies(folder), start=1):
        licence: Any = SpdxNoAssertion()
        if dependency.license:
            try:
                licence = spdx_licensing.parse(dependency.license, validate=True)
            except Exception:  # an npm "license" that is no SPDX expression stays unasserted
                licence = SpdxNoAssertion()
        package = Package(
            spdx_id=f"SPDXRef-Package-{index}",
            name=dependency.name,
            version=dependency.version,
            download_location=SpdxNoAssertion(),
            files_analyzed=False,
            license_concluded=licence,
            license_declared=licence,
            copyright_text=SpdxNoAssertion(),
            external_references=[
                ExternalPackageRef(ExternalPackageRefCategory.PACKAGE_MANAGER, "purl", dependency.purl)
            ],
            primary_package_purpose=PackagePurpose.LIBRARY,
            comment=f"pinned by {dependency.found_in}",
        )
        packages.append(package)
        relationships.append(Relationship(root.spdx_id, RelationshipType.DEPENDS_ON, package.spdx_id))
    document = Document(
        CreationInfo(
            spdx_version="SPDX-2.3",
            spdx_id="SPDXRef-DOCUMENT",
            name=f"{spell.key} {spell.version}",
            # Unique per module, and the same for the same module: reproducible builds stay so.
            document_namespace=f"https://spdx.org/spdxdocs/{spell.key}-{spell.version}-{namespace_id}",
            creators=[Actor(ActorType.TOOL, f"spell-{installed_version('spell-mcp')}")],
            created=created,
        ),
        packages=packages,
        relationships=relationships,
    )
    out = io.StringIO()
    write_document_to_stream(document, out, validate=True)
    data: dict[str, Any] = json.loads(out.getvalue())
    return data


def _creation_time() -> datetime:
    """Now, or SOURCE_DATE_EPOCH when a reproducible build sets it."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    moment = datetime.fromtimestamp(int(epoch), UTC) if epoch and epoch.isdigit() else datetime.now(UTC)
    return moment.replace(microsecond=0)
