"""The catalog: registering spell versions and finding what can be cast."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam
from sqlalchemy.orm import Session
from sqlmodel import col, select

from registry.blobs import BlobStore
from registry.manifest import Manifest, ManifestError
from registry.models import Spell, SpellVersion
from registry.package import PackageError, PackageLimits, pack_directory, pack_files, unpack
from registry.schemas import SchemaError, check_input_schema, check_output_schema
from runtime import ModuleRejected, Sandbox


class RegistrationError(ValueError):
    """A spell could not be registered; `problems` says why, field by field."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


class VersionConflict(RegistrationError):
    pass


@dataclass(frozen=True, slots=True)
class SpellSource:
    """A spell's checked contents, from its canonical package."""

    manifest: Manifest
    input_schema: dict[str, Any]
    output_schema: dict[str, Any] | None
    wasm: bytes
    sbom: dict[str, Any]
    # Guest path → canonical tar of each package directory the policy lets the spell read.
    trees: dict[str, bytes]
    # The canonical package itself: what a maker signs.
    package: bytes

    @classmethod
    def from_directory(cls, directory: Path) -> SpellSource:
        """A spell directory, packed as `spell pack` would and read back like an upload."""
        try:
            return cls.from_package(pack_directory(directory))
        except PackageError as exc:
            raise RegistrationError([str(exc)]) from None

    @classmethod
    def from_package(cls, raw: bytes, limits: PackageLimits | None = None) -> SpellSource:
        try:
            package = unpack(raw, limits)
        except PackageError as exc:
            raise RegistrationError([str(exc)]) from None
        files = package.files
        if "manifest.toml" not in files:
            raise RegistrationError(["manifest.toml: missing"])
        try:
            manifest = Manifest.from_toml(files["manifest.toml"].decode("utf-8"))
        except UnicodeDecodeError:
            raise RegistrationError(["manifest.toml: not UTF-8"]) from None
        except ManifestError as exc:
            raise RegistrationError(exc.problems) from None

        def load_json(name: str) -> Any:
            if name not in files:
                raise RegistrationError([f"{name}: missing"])
            try:
                return json.loads(files[name])
            except (ValueError, UnicodeDecodeError) as exc:
                raise RegistrationError([f"{name}: not valid JSON ({exc})"]) from None

        try:
            input_schema = check_input_schema(load_json(manifest.io.schema_file))
            output_schema = (
                check_output_schema(load_json(manifest.io.output_schema))
                if manifest.io.output_schema
                else None
            )
        except SchemaError as exc:
            raise RegistrationError([str(exc)]) from None
        sbom = load_json(manifest.supply_chain.sbom)
        if not isinstance(sbom, dict):
            raise RegistrationError([f"{manifest.supply_chain.sbom}: an SBOM is a JSON object"])
        if manifest.runtime.entry not in files:
            raise RegistrationError([f"{manifest.runtime.entry}: missing (build the spell first)"])
        trees = {}
        for package_dir, guest in manifest.runtime.policy.read_dirs.items():
            if package_dir not in package.directories:
                raise RegistrationError(
                    [f"runtime.policy.fs_read: ./{package_dir} is not a directory of the package"]
                )
            trees[guest] = pack_files(package.under(package_dir))
        return cls(
            manifest=manifest,
            input_schema=input_schema,
            output_schema=output_schema,
            wasm=files[manifest.runtime.entry],
            sbom=sbom,
            trees=trees,
            package=raw,
        )


def register(
    session: Session,
    source: SpellSource,
    *,
    maker_id: str,
    sandbox: Sandbox,
    blobs: BlobStore,
    signed: bool,
) -> SpellVersion:
    """Compile, store and record one spell version. Does not commit.

    Registering the very same version again is idempotent; the same version with other
    contents is refused, since versions are immutable.
    """
    manifest = source.manifest
    try:
        digest = sandbox.compile(source.wasm)
    except ModuleRejected as exc:
        raise RegistrationError([f"{manifest.runtime.entry}: {exc}"]) from None
    existing = (
        session.execute(
            select(SpellVersion).where(
                col(SpellVersion.spell_key) == manifest.spell.key,
                col(SpellVersion.version) == manifest.spell.version,
            )
        )
    ).scalar_one_or_none()
    if existing is not None:
        if existing.module_digest == digest and existing.manifest == manifest.model_dump(mode="json"):
            return existing
        raise VersionConflict(
            [f"{manifest.spell.key} {manifest.spell.version} is already published with other contents"]
        )
    blobs.put(source.wasm)
    resources = {guest: blobs.put(tree) for guest, tree in source.trees.items()}
    now = datetime.now(UTC)
    spell = session.get(Spell, manifest.spell.key)
    if spell is None:
        spell = Spell(
            key=manifest.spell.key, maker_id=maker_id, latest_version=manifest.spell.version, created_at=now
        )
        session.add(spell)
    elif spell.maker_id != maker_id:
        raise RegistrationError([f"spell.key: {manifest.spell.key} belongs to another maker"])
    else:
        spell.latest_version = manifest.spell.version
    version = SpellVersion(
        spell_key=manifest.spell.key,
        version=manifest.spell.version,
        name=manifest.spell.name,
        description=manifest.spell.description,
        manifest=manifest.model_dump(mode="json"),
        input_schema=source.input_schema,
        output_schema=source.output_schema,
        module_digest=digest,
        resources=resources,
        price_micros=manifest.pricing.price_micros,
        signed=signed,
        published_at=now,
    )
    session.add(version)
    session.flush()
    return version


_CASTABLE = (
    select(SpellVersion, col(Spell.maker_id))
    .join(Spell)
    .where(
        col(Spell.key) == bindparam("key"), col(Spell.status) == "active", col(SpellVersion.yanked).is_(False)
    )
)
# Built once: on the cast path, building a statement costs more than running it.
_CASTABLE_LATEST = _CASTABLE.where(col(SpellVersion.version) == col(Spell.latest_version))
_CASTABLE_PINNED = _CASTABLE.where(col(SpellVersion.version) == bindparam("version"))


def find_version(session: Session, key: str, version: str | None = None) -> tuple[SpellVersion, str] | None:
    """A castable version of an active spell (the given one, or the latest) and its maker's id."""
    if version is None:
        row = session.execute(_CASTABLE_LATEST, {"key": key}).first()
    else:
        row = session.execute(_CASTABLE_PINNED, {"key": key, "version": version}).first()
    return (row[0], row[1]) if row else None


def list_latest(session: Session) -> list[SpellVersion]:
    """The latest version of every active spell, by key."""
    query = (
        select(SpellVersion)
        .join(Spell)
        .where(col(Spell.status) == "active", col(SpellVersion.version) == col(Spell.latest_version))
        .order_by(col(Spell.key))
    )
    return list((session.execute(query)).scalars().all())
