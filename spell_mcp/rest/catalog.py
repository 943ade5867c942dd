"""The REST face of the Grimoire: publishing, versions, provenance, SBOMs, signers, yank, suspend."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Response, UploadFile, status
from pydantic import BaseModel, Field

from registry import SignerIdentityRecord, SpellVersion
from spell_mcp.accounts.keys import Caster
from spell_mcp.catalog import makers, namespaces, secrets, signers, suspensions, versions
from spell_mcp.errors import SpellError
from spell_mcp.rest.bodies import Price, RequestBody
from spell_mcp.rest.deps import (
    JSON_BODY_ERRORS,
    ActorDep,
    AdminCaster,
    PlatformDep,
    PublishCaster,
    ReadCaster,
    price,
    problem_responses,
)
from spell_mcp.rest.idempotency import IDEMPOTENCY_ERRORS, IdempotencyKey, idempotently
from spell_mcp.rest.pagination import (
    DEFAULT_LIMIT,
    Cursor,
    Limit,
    decode_id_cursor,
    id_position,
    page,
    page_after,
)
from spell_mcp.rest.routing import StrictJSONRoute


class ProvenanceInfo(BaseModel):
    """Who signed a version, as established by its Sigstore bundle."""

    identity: str = Field(description="The signing certificate's identity (SAN).")
    issuer: str = Field(description="The OIDC issuer that vouched for it.")
    rekor_log_index: int
    integrated_time: datetime | None
    artifact_sha256: str = Field(description="SHA-256 of the canonical package that was signed.")
    matched_signer: dict[str, str | None] = Field(description="The maker's registered identity it matched.")
    attestation: dict[str, str | None] | None = Field(
        None,
        description="For an attestation bundle (a DSSE envelope, as GitHub's artifact attestations make): "
        "its predicate type and, for SLSA provenance, the builder, repository, workflow, ref and commit.",
    )


class VersionInfo(BaseModel):
    key: str
    version: str
    signed: bool
    yanked: bool
    price: Price
    module_digest: str
    package_sha256: str
    published_at: datetime
    provenance: ProvenanceInfo | None


class VersionList(BaseModel):
    items: list[VersionInfo]
    next_cursor: str | None = Field(None, description="Pass as `cursor` for the next page; null on the last.")


class Published(BaseModel):
    created: bool = Field(description="False when this exact package was already published.")
    version: VersionInfo
    warnings: list[str] = Field(
        default_factory=list,
        description="What the maker should know although the version was accepted: limits above this "
        "platform's ceilings (casts run with the ceiling), licence conflicts, vulnerabilities below the "
        "blocking score.",
    )


class SbomSummary(BaseModel):
    key: str
    version: str
    format: str
    packages: int
    licences: dict[str, int] = Field(description="Packages per declared licence expression.")
    components: list[dict[str, str | None]]
    vulnerabilities: dict[str, int] = Field(description="Findings by severity at the last scan.")
    findings: list[dict[str, Any]] = Field(description="Each known vulnerability: id, package, score, fixed.")
    licence_warnings: list[dict[str, str]]
    last_scan: datetime | None
    delist_at: datetime | None = Field(description="When a version left vulnerable will be delisted.")


class SignerIn(RequestBody):
    identity: str = Field(description="Certificate SAN: an e-mail, or a workflow URI for CI signing.")
    issuer: str = Field(description="OIDC issuer, e.g. https://token.actions.githubusercontent.com.")
    repository: str | None = Field(None, description="GitHub Actions: owner/repo the workflow ran in.")
    workflow_ref: str | None = Field(None, description="GitHub Actions: the ref, e.g. refs/tags/v1.0.0.")
    trigger: str | None = Field(None, description="GitHub Actions: the triggering event, e.g. release.")


class Signer(SignerIn):
    id: int
    created_at: datetime


class SignerList(BaseModel):
    items: list[Signer]
    next_cursor: str | None = Field(None, description="Pass as `cursor` for the next page; null on the last.")


class Notification(BaseModel):
    spell_key: str
    version: str
    kind: str
    message: str
    created_at: datetime


class NotificationList(BaseModel):
    items: list[Notification]
    next_cursor: str | None = Field(None, description="Pass as `cursor` for the next page; null on the last.")


class MySpell(BaseModel):
    key: str
    status: Literal["active", "suspended"] = Field(description="Suspended by an operator: not castable.")
    latest_version: str
    created_at: datetime


class MySpellList(BaseModel):
    items: list[MySpell]
    next_cursor: str | None = None


class NamespaceOwner(RequestBody):
    owner_id: str = Field(max_length=64, description="The user who owns the namespace from now on.")


class NamespaceInfo(BaseModel):
    name: str = Field(description="The namespace, e.g. com.acme: every key com.acme.… is in it.")
    owner_id: str
    previous_owner_id: str | None = Field(description="Who owned it before; null when nobody did.")


class SecretValue(RequestBody):
    value: str = Field(max_length=4096, description="Sealed at rest; never shown again.")


class SecretInfo(BaseModel):
    name: str
    updated_at: datetime


class SecretList(BaseModel):
    items: list[SecretInfo]


router = APIRouter(prefix="/v1", route_class=StrictJSONRoute)
PUBLISH_ERRORS = (
    "unauthenticated",
    "request_invalid",
    "package_too_large",
    "package_invalid",
    "manifest_invalid",
    "schema_invalid",
    "sbom_invalid",
    "sbom_mismatch",
    "module_invalid",
    "signature_required",
    "signature_invalid",
    "vulnerable_dependency",
    "version_conflict",
    "spell_owned_by_other",
    "namespace_reserved",
    "namespace_owned_by_other",
)


def version_info(version: SpellVersion) -> VersionInfo:
    return VersionInfo(
        key=version.spell_key,
        version=version.version,
        signed=version.signed,
        yanked=version.yanked,
        price=price(version.price_micros),
        module_digest=version.module_digest,
        package_sha256=version.package_digest,
        published_at=version.published_at,
        provenance=ProvenanceInfo(**version.provenance) if version.provenance else None,
    )


def uploaded_file(schema: dict[str, Any]) -> None:
    """Beside OpenAPI 3.1's contentMediaType, `format: binary` on the string (also inside an
    optional's anyOf): what client generators read as "send these bytes as a file"."""
    for member in schema.get("anyOf", [schema]):
        if member.get("type") == "string":
            member["format"] = "binary"


async def read_upload(upload: UploadFile, limit: int, what: str) -> bytes:
    data = await upload.read(limit + 1)
    if len(data) > limit:
        raise SpellError("package_too_large", f"the {what} is larger than {limit} bytes")
    return data


@router.post(
    "/spells",
    tags=["publishing"],
    status_code=status.HTTP_201_CREATED,
    responses={
        200: {"model": Published, "description": "This exact package was already published."},
        **problem_responses(*PUBLISH_ERRORS),
    },
)
async def publish(
    platform: PlatformDep,
    caster: PublishCaster,
    actor: ActorDep,
    response: Response,
    package: Annotated[
        UploadFile,
        File(description="The canonical package made by `spell pack`.", json_schema_extra=uploaded_file),
    ],
    bundle: Annotated[
        UploadFile | None,
        File(description="Sigstore bundle over the package.", json_schema_extra=uploaded_file),
    ] = None,
) -> Published:
    """Publish a signed spell version. It is castable as soon as this returns."""
    limit = platform.settings.package_limits.max_package_bytes
    raw = await read_upload(package, limit, "package")
    signature = await read_upload(bundle, 1024 * 1024, "bundle") if bundle is not None else None
    published = await platform.publishing.publish(caster, raw, signature, actor=actor)
    if not published.created:
        response.status_code = status.HTTP_200_OK
    return Published(
        created=published.created, version=version_info(published.version), warnings=published.warnings
    )


@router.get(
    "/spells/{key}/versions",
    tags=["spells"],
    responses=problem_responses("unauthenticated", "spell_not_found", "request_invalid"),
)
async def list_versions(
    key: str, platform: PlatformDep, caster: ReadCaster, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
) -> VersionList:
    """Every version of a spell, newest first, yanked ones included and marked."""
    every = await versions.every_version(platform.db, key)
    shown, next_cursor = page_after(every, limit, cursor, lambda v: v.version)
    return VersionList(items=[version_info(v) for v in shown], next_cursor=next_cursor)


@router.get(
    "/spells/{key}/versions/{version}",
    tags=["spells"],
    responses=problem_responses("unauthenticated", "spell_not_found"),
)
async def get_version(key: str, version: str, platform: PlatformDep, caster: ReadCaster) -> VersionInfo:
    return version_info(await versions.one_version(platform.db, key, version))


@router.get(
    "/spells/{key}/versions/{version}/bundle",
    tags=["spells"],
    responses={
        200: {
            "content": {"application/json": {}},
            "description": "The Sigstore bundle, as the maker sent it.",
        },
        **problem_responses("unauthenticated", "spell_not_found", "not_found"),
    },
)
async def get_bundle(key: str, version: str, platform: PlatformDep, caster: ReadCaster) -> Response:
    """The Sigstore bundle a version was published with, to verify it yourself
    (`spell verify package.tar --bundle …`)."""
    return Response(await versions.bundle(platform, key, version), media_type="application/json")


@router.get(
    "/spells/{key}/versions/{version}/package",
    tags=["spells"],
    responses={
        200: {"content": {"application/x-tar": {}}, "description": "The canonical package that was signed."},
        **problem_responses("unauthenticated", "spell_not_found"),
    },
)
async def get_package(key: str, version: str, platform: PlatformDep, caster: ReadCaster) -> Response:
    """The exact package bytes published (their sha256 is the version's package_sha256)."""
    return Response(await versions.package(platform, key, version), media_type="application/x-tar")


@router.get(
    "/spells/{key}/provenance",
    tags=["spells"],
    responses=problem_responses("unauthenticated", "spell_not_found"),
)
async def get_provenance(
    key: str, platform: PlatformDep, caster: ReadCaster, version: str | None = None
) -> VersionInfo:
    """Who signed the latest (or the given) version, with its Rekor entry and package digest."""
    return version_info(await versions.castable(platform.db, key, version))


@router.get(
    "/spells/{key}/sbom", tags=["spells"], responses=problem_responses("unauthenticated", "spell_not_found")
)
async def get_sbom(
    key: str, platform: PlatformDep, caster: ReadCaster, version: str | None = None
) -> SbomSummary:
    """What the latest (or the given) version is made of: packages, licences, known vulnerabilities."""
    spell = await versions.castable(platform.db, key, version)
    components = spell.sbom.get("components", [])
    licences = Counter(component.get("license") or "NOASSERTION" for component in components)
    return SbomSummary(
        key=spell.spell_key,
        version=spell.version,
        format=spell.sbom.get("format", ""),
        packages=len(components),
        licences=dict(licences),
        components=components,
        vulnerabilities=dict(Counter(finding["severity"] for finding in spell.vulnerabilities)),
        findings=spell.vulnerabilities,
        licence_warnings=spell.licence_warnings,
        last_scan=spell.scanned_at,
        delist_at=spell.delist_at,
    )


@router.post(
    "/spells/{key}/versions/{version}/yank",
    tags=["publishing"],
    responses=problem_responses("unauthenticated", "spell_not_found", "forbidden"),
)
async def yank_version(
    key: str, version: str, platform: PlatformDep, caster: PublishCaster, actor: ActorDep
) -> VersionInfo:
    """Withdraw a version of your spell: it can no longer be cast, nor be the latest."""
    return version_info(await versions.withdraw(platform, caster, key, version, actor))


@router.delete(
    "/spells/{key}/versions/{version}/yank",
    tags=["publishing"],
    responses=problem_responses("unauthenticated", "spell_not_found", "forbidden"),
)
async def unyank_version(
    key: str, version: str, platform: PlatformDep, caster: PublishCaster, actor: ActorDep
) -> VersionInfo:
    """Restore a yanked version of your spell."""
    return version_info(await versions.restore(platform, caster, key, version, actor))


def _require_operator(caster: Caster) -> None:
    if not caster.is_operator:
        raise SpellError("forbidden", "only an operator can suspend or reinstate a spell")


@router.post(
    "/spells/{key}/suspend",
    tags=["operations"],
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses("unauthenticated", "spell_not_found", "forbidden"),
)
async def suspend(key: str, platform: PlatformDep, caster: AdminCaster, actor: ActorDep) -> None:
    """Operator: stop every cast of a spell and remove it from listings and tools."""
    _require_operator(caster)
    await suspensions.suspend(platform, key, actor)


@router.delete(
    "/spells/{key}/suspend",
    tags=["operations"],
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses("unauthenticated", "spell_not_found", "forbidden"),
)
async def reinstate(key: str, platform: PlatformDep, caster: AdminCaster, actor: ActorDep) -> None:
    """Operator: lift a suspension."""
    _require_operator(caster)
    await suspensions.reinstate(platform, key, actor)


@router.put(
    "/admin/namespaces/{name}",
    tags=["operations"],
    responses=problem_responses("unauthenticated", "forbidden", "not_found", *JSON_BODY_ERRORS),
)
async def transfer_namespace(
    name: str, body: NamespaceOwner, platform: PlatformDep, caster: AdminCaster, actor: ActorDep
) -> NamespaceInfo:
    """Operator: give a namespace of spell keys to a maker. New keys in it are theirs alone from
    now on (the first maker to publish in a namespace owns it until then); spells already
    published in it stay with their makers."""
    if not caster.is_operator:
        raise SpellError("forbidden", "only the platform's operators transfer namespaces")
    previous = await namespaces.transfer(platform.db, name, body.owner_id, actor)
    return NamespaceInfo(name=name, owner_id=body.owner_id, previous_owner_id=previous)


def signer_of(row: SignerIdentityRecord) -> Signer:
    assert row.id is not None
    return Signer(
        id=row.id,
        identity=row.identity,
        issuer=row.issuer,
        repository=row.repository,
        workflow_ref=row.workflow_ref,
        trigger=row.trigger,
        created_at=row.created_at,
    )


@router.get(
    "/makers/me/signers",
    tags=["publishing"],
    responses=problem_responses("unauthenticated", "request_invalid"),
)
async def list_signers(
    platform: PlatformDep, caster: PublishCaster, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
) -> SignerList:
    """The identities allowed to sign your spells, oldest first."""
    rows = await signers.signers_of(platform.db, caster.user_id)
    shown, next_cursor = page_after(rows, limit, cursor, lambda row: str(row.id))
    return SignerList(items=[signer_of(row) for row in shown], next_cursor=next_cursor)


@router.post(
    "/makers/me/signers",
    response_model=Signer,
    tags=["publishing"],
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses("unauthenticated", *JSON_BODY_ERRORS, *IDEMPOTENCY_ERRORS),
)
async def register_signer(
    body: SignerIn,
    platform: PlatformDep,
    caster: PublishCaster,
    actor: ActorDep,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """Allow an identity to sign your spells (like a PyPI trusted publisher)."""
    identity = signers.identity_of(**body.model_dump())

    async def run() -> Signer:
        return signer_of(await signers.add(platform.db, caster.user_id, identity, actor))

    request = ("POST", "/v1/makers/me/signers", body.model_dump(mode="json"))
    return await idempotently(platform, caster, idempotency_key, request, run, status=201)


@router.delete(
    "/makers/me/signers/{signer_id}",
    tags=["publishing"],
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses("unauthenticated", "not_found"),
)
async def remove_signer(
    signer_id: int, platform: PlatformDep, caster: PublishCaster, actor: ActorDep
) -> None:
    """Stop allowing an identity to sign your spells (versions it signed stay published)."""
    await signers.remove(platform.db, caster.user_id, signer_id, actor)


@router.get(
    "/makers/me/notifications",
    tags=["publishing"],
    responses=problem_responses("unauthenticated", "request_invalid"),
)
async def list_notifications(
    platform: PlatformDep, caster: PublishCaster, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
) -> NotificationList:
    """What needs your attention as a maker, newest first (e.g. a new vulnerability in a dependency)."""
    found = await makers.notifications_of(platform.db, caster.user_id, limit + 1, decode_id_cursor(cursor))
    rows, next_cursor = page(found, limit, lambda row: id_position(row.id))
    return NotificationList(
        next_cursor=next_cursor,
        items=[
            Notification(
                spell_key=row.spell_key,
                version=row.version,
                kind=row.kind,
                message=row.message,
                created_at=row.created_at,
            )
            for row in rows
        ],
    )


@router.get(
    "/makers/me/spells",
    tags=["publishing"],
    responses=problem_responses("unauthenticated", "request_invalid"),
)
async def my_spells(
    platform: PlatformDep, caster: PublishCaster, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
) -> MySpellList:
    """The spells you publish, whatever their state (each one's versions: GET /v1/spells/{key}/versions)."""
    rows = await makers.spells_of(platform.db, caster.user_id)
    shown, next_cursor = page_after(rows, limit, cursor, lambda spell: spell.key)
    return MySpellList(
        items=[
            MySpell(key=s.key, status=s.status, latest_version=s.latest_version, created_at=s.created_at)
            for s in shown
        ],
        next_cursor=next_cursor,
    )


@router.get(
    "/spells/{key}/readme",
    tags=["spells"],
    response_class=Response,
    responses={
        200: {"content": {"text/markdown": {}}, "description": "The README, as Markdown."},
        **problem_responses("unauthenticated", "spell_not_found"),
    },
)
async def get_readme(key: str, platform: PlatformDep, caster: ReadCaster) -> Response:
    """The spell's README (the package's README.md, or a page written from its manifest), as
    Markdown. It is the maker's text: render it without raw HTML."""
    text = await versions.readme_of(platform, key)
    return Response(text, media_type="text/markdown; charset=utf-8")


@router.get(
    "/spells/{key}/secrets",
    tags=["publishing"],
    responses=problem_responses("unauthenticated", "spell_not_found"),
)
async def list_secrets(key: str, platform: PlatformDep, caster: PublishCaster) -> SecretList:
    """The names of your spell's secrets and when each was set; values are never shown."""
    rows = await secrets.secrets_of(platform, caster, key)
    return SecretList(items=[SecretInfo(name=row.name, updated_at=row.updated_at) for row in rows])


@router.put(
    "/spells/{key}/secrets/{name}",
    tags=["publishing"],
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses("unauthenticated", "spell_not_found", *JSON_BODY_ERRORS),
)
async def put_secret(
    key: str, name: str, body: SecretValue, platform: PlatformDep, caster: PublishCaster, actor: ActorDep
) -> None:
    """Set a secret your spell reads as an environment variable (it must name it in
    runtime.policy.env_vars); sealed at rest, given only to a cast of this spell."""
    await secrets.put(platform, caster, key, name, body.value, actor)


@router.delete(
    "/spells/{key}/secrets/{name}",
    tags=["publishing"],
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses("unauthenticated", "spell_not_found", "not_found"),
)
async def delete_secret(
    key: str, name: str, platform: PlatformDep, caster: PublishCaster, actor: ActorDep
) -> None:
    """Remove a secret: later casts of the spell run without it."""
    await secrets.remove(platform, caster, key, name, actor)


@router.get(
    "/admin/spells/suspended",
    tags=["operations"],
    responses=problem_responses("unauthenticated", "forbidden"),
)
async def suspended_spells(platform: PlatformDep, caster: AdminCaster) -> MySpellList:
    """Spells an operator suspended (reinstate one with DELETE /v1/spells/{key}/suspend)."""
    if not caster.is_operator:
        raise SpellError("forbidden", "only the platform's operators see suspended spells")
    rows = await suspensions.suspended(platform.db)
    return MySpellList(
        items=[
            MySpell(key=s.key, status=s.status, latest_version=s.latest_version, created_at=s.created_at)
            for s in rows
        ]
    )
