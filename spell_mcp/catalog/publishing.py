"""Publishing: a maker's package and signature in, a castable, announced spell version out."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeVar

import anyio.to_thread
from sigstore.verify import Verifier
from sqlalchemy.orm import Session

from registry import (
    BlobStore,
    CatalogError,
    CheckedVersion,
    RegistrationError,
    SpellSource,
    SpellVersion,
    check,
    record,
    signer_identities,
    verifier_for,
)
from runtime import Sandbox
from spell_mcp import audit
from spell_mcp.accounts.keys import Caster
from spell_mcp.audit import Actor
from spell_mcp.catalog.announcements import Announcer
from spell_mcp.database.engine import Database
from spell_mcp.errors import SpellError
from spell_mcp.observability import metrics
from spell_mcp.settings import Settings

# The bundled example spells' namespace.
BUNDLED_NAMESPACE = "dev.spell"
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Published:
    version: SpellVersion
    # False when the very same package was already published (publishing is idempotent).
    created: bool
    # What the maker should know although the version was accepted, one sentence each.
    warnings: list[str] = field(default_factory=list)


def limits_above_ceilings(runtime: Mapping[str, Any], settings: Settings) -> list[str]:
    """The limits a manifest's `[runtime]` asks for beyond this platform's ceilings, one
    sentence each (casts run with the ceiling)."""
    ceilings = (
        ("timeout_ms", settings.max_timeout_ms, "SPELL_MAX_TIMEOUT_MS"),
        ("max_memory_mb", settings.max_memory_mb, "SPELL_MAX_MEMORY_MB"),
        ("max_output_mb", settings.max_output_mb, "SPELL_MAX_OUTPUT_MB"),
    )
    return [
        f"runtime.{name} = {runtime[name]} is above this platform's ceiling ({setting}): "
        f"casts run with {name} = {ceiling}"
        for name, ceiling, setting in ceilings
        if runtime[name] > ceiling
    ]


def warnings_of(version: SpellVersion, settings: Settings) -> list[str]:
    """Limits the manifest asks for beyond this platform's ceilings (casts run with the
    ceiling), licence conflicts and vulnerabilities below the blocking score."""
    said = limits_above_ceilings(version.manifest["runtime"], settings)
    said += [
        f"{warning['package']} ({warning['licence']}): {warning['reason']}"
        for warning in version.licence_warnings
    ]
    said += [
        f"{finding['package']} {finding['version']}: {finding['id']}, CVSS {finding['score']} "
        f"({finding['severity']})"
        for finding in version.vulnerabilities
    ]
    return said


def refusal(error: CatalogError) -> SpellError:
    """A catalog refusal as the platform's error, with the problems a maker can fix."""
    if isinstance(error, RegistrationError):
        return SpellError(error.code, error.problems[0], problems=error.problems)
    return SpellError(error.code, str(error))


async def write_or_refuse(db: Database, work: Callable[[Session], T]) -> T:
    """Run `work` as one transaction; a catalog refusal comes out as the platform's error."""
    try:
        return await db.write(work)
    except CatalogError as error:
        raise refusal(error) from None


def _record_audited(
    checked: CheckedVersion, maker_id: str, actor: Actor, in_namespace: bool, session: Session
) -> tuple[SpellVersion, bool]:
    version, created = record(session, checked=checked, maker_id=maker_id, in_namespace=in_namespace)
    if created:
        details = {"version": version.version, "module_digest": version.module_digest}
        audit.record(session, actor, "spell.published", "spell", version.spell_key, details=details)
    return version, created


class TrustRoot:
    """The Sigstore verifier of the configured trust root (SPELL_TRUST_ROOT), loaded when first
    needed: a command that publishes nothing never reads it. A server loads it at start, so a bad
    setting is said then (spell_mcp/app.py)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._verifier: Verifier | None = None
        self._lock = threading.Lock()

    def verifier(self) -> Verifier:
        with self._lock:
            if self._verifier is None:
                self._verifier = verifier_for(self.name)
            return self._verifier


class PublishService:
    def __init__(
        self,
        settings: Settings,
        db: Database,
        sandbox: Sandbox,
        blobs: BlobStore,
        trust: TrustRoot,
        announcer: Announcer,
    ) -> None:
        self.settings = settings
        self.db = db
        self.sandbox = sandbox
        self.blobs = blobs
        self.trust = trust
        self.announcer = announcer

    async def publish(
        self, maker: Caster, package: bytes, bundle: bytes | None, *, actor: Actor | None = None
    ) -> Published:
        """Check and record a package; when it is new, `actor` (the maker, by default) is audited
        and every connected MCP client told that the tools changed."""
        acting = actor or Actor(maker.user_id, maker.key_id, via="cli")
        identities = await self.db.read(lambda session: signer_identities(session, maker.user_id))

        def check_package() -> CheckedVersion:
            source = SpellSource.from_package(package, self.settings.package_limits)
            self._check_namespace(maker, source.manifest.spell.key)
            return check(
                source,
                sandbox=self.sandbox,
                blobs=self.blobs,
                bundle=bundle,
                verifier=self.trust.verifier() if bundle is not None else None,
                identities=identities,
                allow_unsigned=self.settings.dev_mode,
                licence_compatibility=self.settings.licence_table,
            )

        try:
            checked = await anyio.to_thread.run_sync(check_package)
            # Reserved keys are the operators' together: they claim no maker's namespace.
            in_namespace = self._reserved_namespace(checked.source.manifest.spell.key) is None
            record_it = partial(_record_audited, checked, maker.user_id, acting, in_namespace)
            version, created = await self.db.write(record_it)
        except CatalogError as error:
            refused = refusal(error)
            metrics.PUBLISHES.labels(refused.code).inc()
            raise refused from None
        metrics.PUBLISHES.labels("created" if created else "unchanged").inc()
        if created:
            await self.announcer.tools_changed()
        return Published(version=version, created=created, warnings=warnings_of(version, self.settings))

    def _reserved_namespace(self, key: str) -> str | None:
        """The reserved namespace (the bundled spells', or one the operator lists) `key` is in."""
        for namespace in (BUNDLED_NAMESPACE, *self.settings.reserved_namespaces):
            if key == namespace or key.startswith(namespace + "."):
                return namespace
        return None

    def _check_namespace(self, maker: Caster, key: str) -> None:
        """Keys under a reserved namespace are the operators' alone: nobody else may pass a spell
        off as the platform's. (Any other namespace belongs to its first publisher: `record`.)"""
        namespace = self._reserved_namespace(key)
        if namespace is not None and not maker.is_operator:
            raise SpellError(
                "namespace_reserved",
                f"spell keys under {namespace} are reserved for this platform's operators; "
                "publish under a namespace of your own (e.g. your reversed domain)",
                problems=[f"spell.key: {key} is in the reserved namespace {namespace}"],
            )
