"""The catalog: registering spell versions and finding what can be cast."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import semver
from sigstore.verify import Verifier
from sqlalchemy import bindparam, func, or_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlmodel import col, select

from registry import json_text
from registry.blobs import BlobStore
from registry.icons import IconError, icon_data_uri
from registry.licences import DEFAULT_COMPATIBILITY, LicenceWarning, check_licences
from registry.manifest import (
    MICROS_PER_USD,
    Manifest,
    ManifestError,
    is_namespace,
    key_is_valid,
    namespace_of,
)
from registry.models import Namespace, SignerIdentityRecord, Spell, SpellVersion
from registry.package import PackageError, PackageLimits, pack_directory, pack_files, unpack
from registry.sbom import Sbom, SbomError, read_sbom
from registry.schemas import SchemaError, check_input_schema, check_output_schema
from registry.signing import Provenance, SignatureError, SignerIdentity, verify
from registry.supply_chain import RescanReport, rescan, scan
from registry.vulns import declared_ecosystem
from runtime import ModuleRejected, Sandbox


class CatalogError(ValueError):
    """A refused catalog operation; `code` is its stable error code."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


class RegistrationError(CatalogError):
    """A spell could not be registered; `problems` says why, field by field, and `code` which
    rule refused it (package_invalid, manifest_invalid, sbom_invalid, sbom_mismatch, module_invalid,
    signature_invalid, signature_required, version_conflict, spell_owned_by_other,
    namespace_owned_by_other)."""

    def __init__(self, problems: list[str], code: str = "package_invalid") -> None:
        super().__init__("; ".join(problems), code)
        self.problems = problems


@dataclass(frozen=True, slots=True)
class CheckedVersion:
    """A version that passed every check, its blobs stored: what `record` writes. Everything
    slow (compiling, verifying a signature) happened before, outside any transaction."""

    source: SpellSource
    sbom: Sbom
    module_digest: str
    package_digest: str
    resources: dict[str, str]
    provenance: Provenance | None
    bundle_digest: str | None
    licence_warnings: list[LicenceWarning]


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
    # The icon as a data: URI (registry/icons.py), when the manifest names one.
    icon: str | None = None
    # The digests of this package in each accepted member order (registry/package.py).
    same_contents: frozenset[str] = frozenset()
    # SHA-256 of the SBOM file as packed, so a caster can match it to the package's own.
    sbom_sha256: str = ""

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
            raise RegistrationError(exc.problems, "manifest_invalid") from None
        ceiling = (limits or PackageLimits()).max_price_micros
        if manifest.pricing.price_micros > ceiling:
            raise RegistrationError(
                [
                    f"pricing.price_usd: {manifest.pricing.price_usd} USD per cast is above this "
                    f"platform's ceiling of {Decimal(ceiling) / MICROS_PER_USD} USD"
                ],
                "manifest_invalid",
            )

        def load_json(name: str) -> Any:
            if name not in files:
                raise RegistrationError([f"{name}: missing"])
            try:
                return json_text.loads(files[name])
            except json_text.JSONTextError as exc:
                raise RegistrationError([f"{name}: {exc}"]) from None

        try:
            input_schema = check_input_schema(load_json(manifest.io.schema_file))
            output_schema = (
                check_output_schema(load_json(manifest.io.output_schema))
                if manifest.io.output_schema
                else None
            )
        except SchemaError as exc:
            raise RegistrationError([str(exc)], "schema_invalid") from None
        sbom = load_json(manifest.supply_chain.sbom)
        if not isinstance(sbom, dict):
            raise RegistrationError([f"{manifest.supply_chain.sbom}: an SBOM is a JSON object"])
        if manifest.runtime.entry not in files:
            raise RegistrationError([f"{manifest.runtime.entry}: missing (build the spell first)"])
        icon = None
        if manifest.icon is not None:
            if manifest.icon not in files:
                raise RegistrationError([f"icon: {manifest.icon} is not a file of the package"])
            try:
                icon = icon_data_uri(files[manifest.icon])
            except IconError as exc:
                raise RegistrationError([f"icon: {exc}"], "manifest_invalid") from None
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
            icon=icon,
            same_contents=package.digests,
            sbom_sha256=hashlib.sha256(files[manifest.supply_chain.sbom]).hexdigest(),
        )


def check(
    source: SpellSource,
    *,
    sandbox: Sandbox,
    blobs: BlobStore,
    bundle: bytes | None,
    verifier: Verifier | None,
    identities: list[SignerIdentity],
    allow_unsigned: bool,
    licence_compatibility: Mapping[str, frozenset[str]] = DEFAULT_COMPATIBILITY,
) -> CheckedVersion:
    """Validate the SBOM, compile the module, verify the signature, store the blobs.

    Slow and blocking: run it in a worker thread, then `record` the result in a transaction.
    """
    manifest = source.manifest
    try:
        sbom = read_sbom(source.sbom)
    except SbomError as exc:
        raise RegistrationError(
            [f"{manifest.supply_chain.sbom}: {problem}" for problem in exc.problems], "sbom_invalid"
        ) from None
    if not manifest.supply_chain.declared_format_matches(sbom.format):
        raise RegistrationError(
            [
                f"supply_chain.sbom_format: declares {manifest.supply_chain.sbom_format} but "
                f"{manifest.supply_chain.sbom} is {sbom.format}"
            ],
            "sbom_invalid",
        )
    mismatches = sbom.mismatches(
        key=manifest.spell.key,
        name=manifest.spell.name,
        version=manifest.spell.version,
        module_path=manifest.runtime.entry,
        module=source.wasm,
    )
    if mismatches:
        raise RegistrationError(
            [f"{manifest.supply_chain.sbom}: {problem}" for problem in mismatches]
            + ["the SBOM must be this build's: make it again with `spell sbom generate`"],
            "sbom_mismatch",
        )
    try:
        digest = sandbox.compile(source.wasm)
    except ModuleRejected as exc:
        raise RegistrationError([f"{manifest.runtime.entry}: {exc}"], "module_invalid") from None
    provenance = None
    if bundle is not None:
        if verifier is None:
            raise RegistrationError(
                ["this platform has no Sigstore trust root configured"], "signature_invalid"
            )
        try:
            provenance = verify(source.package, bundle, verifier, identities)
        except SignatureError as exc:
            raise RegistrationError([str(exc)], "signature_invalid") from None
    elif not allow_unsigned:
        raise RegistrationError(
            [
                "unsigned packages are refused: sign the package made by `spell pack` with Sigstore "
                "and send its bundle"
            ],
            "signature_required",
        )
    blobs.put(source.wasm)
    return CheckedVersion(
        source=source,
        sbom=sbom,
        module_digest=digest,
        package_digest=blobs.put(source.package),
        resources={guest: blobs.put(tree) for guest, tree in source.trees.items()},
        provenance=provenance,
        bundle_digest=blobs.put(bundle) if bundle is not None else None,
        licence_warnings=check_licences(
            manifest.spell.license,
            [(c.name, c.license) for c in sbom.components if c.name != manifest.spell.key],
            licence_compatibility,
        ),
    )


def record(
    session: Session, checked: CheckedVersion, *, maker_id: str, in_namespace: bool = True
) -> tuple[SpellVersion, bool]:
    """Record a checked version. Does not commit. Returns it, and whether it is new.

    Publishing the very same package again is idempotent; the same version with other contents
    is refused, since versions are immutable. A new key is refused in another maker's namespace,
    and claims its namespace when it has no owner yet (unless `in_namespace` is false: keys the
    platform's operators reserve for themselves belong to no maker's namespace).
    """
    manifest = checked.source.manifest
    key, number = manifest.spell.key, manifest.spell.version
    spell = session.get(Spell, key, with_for_update=True)
    if spell is not None and spell.maker_id != maker_id:
        raise RegistrationError([f"spell.key: {key} belongs to another maker"], "spell_owned_by_other")
    if spell is None and in_namespace:
        claim_namespace(session, key, maker_id)
    existing = session.execute(
        select(SpellVersion).where(col(SpellVersion.spell_key) == key, col(SpellVersion.version) == number)
    ).scalar_one_or_none()
    if existing is not None:
        if existing.package_digest in {checked.package_digest, *checked.source.same_contents}:
            return existing, False
        raise RegistrationError(
            [f"{key} {number} is already published with other contents; publish a new version"],
            "version_conflict",
        )
    now = datetime.now(UTC)
    findings = scan(session, list(checked.sbom.components), declared_ecosystem(manifest.runtime.language))
    blocking = [f for f in findings if f.blocking]
    if blocking:
        raise RegistrationError(
            [f"{f.package} {f.version}: {f.id}, {f.rating}: {f.summary}" for f in blocking],
            "vulnerable_dependency",
        )
    if spell is None:
        spell = Spell(key=key, maker_id=maker_id, latest_version=number, created_at=now)
        session.add(spell)
    version = SpellVersion(
        spell_key=key,
        version=number,
        name=manifest.spell.name,
        description=manifest.spell.description,
        manifest=manifest.model_dump(mode="json"),
        input_schema=checked.source.input_schema,
        output_schema=checked.source.output_schema,
        icon=checked.source.icon,
        module_digest=checked.module_digest,
        package_digest=checked.package_digest,
        resources=checked.resources,
        sbom={
            "format": checked.sbom.format,
            "sha256": checked.source.sbom_sha256,
            "components": [asdict(c) for c in checked.sbom.components],
        },
        provenance=checked.provenance.as_dict() if checked.provenance else None,
        bundle_digest=checked.bundle_digest,
        price_micros=manifest.pricing.price_micros,
        signed=checked.provenance is not None,
        vulnerabilities=[f.as_dict() for f in findings],
        scanned_at=now,
        licence_warnings=[w.as_dict() for w in checked.licence_warnings],
        published_at=now,
    )
    session.add(version)
    session.flush()
    refresh_latest(session, key)
    return version, True


def claim_namespace(session: Session, key: str, maker_id: str) -> None:
    """Refuse a new key in another maker's namespace; claim the namespace when it has no owner.
    Does not commit.

    When two makers publish the first keys of one namespace at once, the namespace's primary key
    decides: the second insert does nothing (on PostgreSQL it waits for the first transaction),
    and the owner read back is the winner.
    """
    name = namespace_of(key)
    row = {"name": name, "maker_id": maker_id, "created_at": datetime.now(UTC)}
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    session.execute(insert(Namespace).values(**row).on_conflict_do_nothing())
    owner = session.execute(select(col(Namespace.maker_id)).where(col(Namespace.name) == name)).scalar_one()
    if owner != maker_id:
        raise RegistrationError(
            [
                f"spell.key: {key} is in the namespace {name}, which belongs to another maker: publish "
                f"under a namespace of your own (your reversed domain), or ask this platform's operators "
                f"to transfer {name} to you"
            ],
            "namespace_owned_by_other",
        )


def transfer_namespace(session: Session, name: str, maker_id: str) -> str | None:
    """Give a namespace to a maker (an operator's decision): new keys in it are theirs alone from
    now on; the spells already published in it stay with their makers. Returns the previous
    owner, None when it had none. Does not commit."""
    if not is_namespace(name):
        around = namespace_of(f"{name}.x") if key_is_valid(name) else name
        inside = f"; it is inside the namespace {around}" if len(around) < len(name) else ""
        raise CatalogError(
            f"{name[:80]} is not a namespace (the registrable part of a reversed domain, such as "
            f"com.acme or io.github.alice){inside}",
            "request_invalid",
        )
    namespace = session.get(Namespace, name, with_for_update=True)
    if namespace is None:
        session.add(Namespace(name=name, maker_id=maker_id, created_at=datetime.now(UTC)))
        session.flush()
        return None
    previous, namespace.maker_id = namespace.maker_id, maker_id
    session.flush()
    return previous


def refresh_latest(session: Session, key: str) -> None:
    """Latest = the highest SemVer that is not yanked, stable releases before pre-releases (as pip
    and npm choose); the spell keeps its last latest if every version is yanked."""
    numbers = (
        session.execute(
            select(col(SpellVersion.version)).where(
                col(SpellVersion.spell_key) == key, col(SpellVersion.yanked).is_(False)
            )
        )
        .scalars()
        .all()
    )
    spell = session.get(Spell, key)
    if spell is not None and numbers:
        parsed = [semver.Version.parse(number) for number in numbers]
        spell.latest_version = str(max(parsed, key=lambda v: (v.prerelease is None, v)))


# What makes a version castable: an active spell, neither yanked nor delisted.
_IS_CASTABLE = (
    col(Spell.status) == "active",
    col(SpellVersion.yanked).is_(False),
    col(SpellVersion.delisted).is_(False),
)
_CASTABLE = (
    select(SpellVersion, col(Spell.maker_id))
    .join(Spell)
    .where(col(Spell.key) == bindparam("key"), *_IS_CASTABLE)
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


def list_latest(
    session: Session, *, q: str | None = None, tag: str | None = None, category: str | None = None
) -> list[SpellVersion]:
    """The latest version of every castable spell, by key; optionally only those whose key, name
    or description contains `q` (case-insensitively), with `tag`, or in `category`."""
    query = (
        select(SpellVersion)
        .join(Spell)
        .where(
            col(Spell.status) == "active",
            col(SpellVersion.version) == col(Spell.latest_version),
            col(SpellVersion.yanked).is_(False),
            col(SpellVersion.delisted).is_(False),
        )
        .order_by(col(Spell.key))
    )
    if q:
        pattern = "%" + q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(
            or_(
                func.lower(col(SpellVersion.spell_key)).like(pattern, escape="\\"),
                func.lower(col(SpellVersion.name)).like(pattern, escape="\\"),
                func.lower(col(SpellVersion.description)).like(pattern, escape="\\"),
            )
        )
    spells = list(session.execute(query).scalars().all())
    # Tags and category live in the manifest document; filtering them here keeps one query
    # that works alike on SQLite and PostgreSQL.
    if tag:
        spells = [s for s in spells if tag in s.manifest["metadata"]["tags"]]
    if category:
        spells = [s for s in spells if s.manifest["metadata"]["category"] == category]
    return spells


def versions_of(session: Session, key: str) -> list[SpellVersion]:
    """Every version of a spell, newest SemVer first."""
    versions = session.execute(select(SpellVersion).where(col(SpellVersion.spell_key) == key)).scalars().all()
    return sorted(versions, key=lambda v: semver.Version.parse(v.version), reverse=True)


def yank(session: Session, key: str, number: str, maker_id: str, *, yanked: bool = True) -> SpellVersion:
    """Withdraw (or restore) a version: it can no longer be cast or become latest. Does not commit."""
    spell = session.get(Spell, key, with_for_update=True)
    if spell is None:
        raise CatalogError(f"no spell {key}", "spell_not_found")
    if spell.maker_id != maker_id:
        raise CatalogError(f"{key} belongs to another maker", "forbidden")
    version = session.execute(
        select(SpellVersion).where(col(SpellVersion.spell_key) == key, col(SpellVersion.version) == number)
    ).scalar_one_or_none()
    if version is None:
        raise CatalogError(f"{key} has no version {number}", "spell_not_found")
    version.yanked = yanked
    session.flush()
    refresh_latest(session, key)
    return version


def set_status(session: Session, key: str, status: str) -> Spell:
    """An operator's decision: "suspended" spells cannot be cast and leave every listing."""
    if status not in ("active", "suspended"):
        raise ValueError(status)
    spell = session.get(Spell, key)
    if spell is None:
        raise CatalogError(f"no spell {key}", "spell_not_found")
    spell.status = status
    session.flush()
    return spell


def signer_identities(session: Session, maker_id: str) -> list[SignerIdentity]:
    rows = session.execute(
        select(SignerIdentityRecord).where(col(SignerIdentityRecord.maker_id) == maker_id)
    ).scalars()
    return [
        SignerIdentity(
            r.identity, r.issuer, repository=r.repository, workflow_ref=r.workflow_ref, trigger=r.trigger
        )
        for r in rows
    ]


def add_signer(session: Session, maker_id: str, signer: SignerIdentity) -> SignerIdentityRecord:
    row = SignerIdentityRecord(
        maker_id=maker_id,
        identity=signer.identity,
        issuer=signer.issuer,
        repository=signer.repository,
        workflow_ref=signer.workflow_ref,
        trigger=signer.trigger,
        created_at=datetime.now(UTC),
    )
    session.add(row)
    session.flush()
    return row


def rescan_catalog(session: Session, now: datetime) -> RescanReport:
    """The daily re-scan of every listed version (see `supply_chain.rescan`). Does not commit."""
    report = rescan(session, now)
    for key in report.touched_keys:
        refresh_latest(session, key)
    return report
