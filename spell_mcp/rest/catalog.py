"""The REST face of the Grimoire: publishing, versions, provenance, SBOMs, signers, yank, suspend."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from functools import partial
from typing import Annotated, Any, TypeVar

import anyio.to_thread
from fastapi import APIRouter, File, Response, UploadFile, status
from sqlalchemy.orm import Session
from sqlmodel import col, select

from registry import (
    CatalogError,
    MakerNotification,
    SignatureError,
    SignerIdentity,
    SignerIdentityRecord,
    SpellVersion,
    add_signer,
    find_version,
    versions_of,
    yank,
)
from registry.models import Spell
from runtime.policy import PolicyError, check_env_name
from spell_mcp import audit
from spell_mcp.accounts.keys import Caster
from spell_mcp.accounts.secrets import set_secret
from spell_mcp.catalog.publishing import refusal
from spell_mcp.catalog.readme import readme
from spell_mcp.catalog.suspensions import change_status
from spell_mcp.database.tables import SpellSecret
from spell_mcp.errors import SpellError
from spell_mcp.platform import Platform
from spell_mcp.rest.bodies import (
    MySpell,
    MySpellList,
    Notification,
    NotificationList,
    ProvenanceInfo,
    Published,
    SbomSummary,
    SecretInfo,
    SecretList,
    SecretValue,
    Signer,
    SignerIn,
    SignerList,
    VersionInfo,
    VersionList,
)
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
from spell_mcp.rest.pagination import DEFAULT_LIMIT, Cursor, Limit, decode_cursor, page, page_after
from spell_mcp.rest.routing import StrictJSONRoute

router = APIRouter(prefix="/v1", route_class=StrictJSONRoute)
T = TypeVar("T")
PUBLISH_ERRORS = (
    "unauthenticated",
    "request_invalid",
    "package_too_large",
    "package_invalid",
    "manifest_invalid",
    "schema_invalid",
    "sbom_invalid",
    "module_invalid",
    "signature_required",
    "signature_invalid",
    "vulnerable_dependency",
    "version_conflict",
    "spell_owned_by_other",
    "namespace_reserved",
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
    if published.created:
        await platform.announcer.tools_changed()
    else:
        response.status_code = status.HTTP_200_OK
    return Published(
        created=published.created, version=version_info(published.version), warnings=published.warnings
    )


async def _versions(platform: PlatformDep, key: str) -> list[SpellVersion]:
    versions = await platform.db.read(lambda session: versions_of(session, key))
    if not versions:
        raise SpellError("spell_not_found", f"no spell {key}")
    return versions


async def _version(platform: Platform, key: str, number: str) -> SpellVersion:
    for candidate in await _versions(platform, key):
        if candidate.version == number:
            return candidate
    raise SpellError("spell_not_found", f"{key} has no version {number}")


@router.get(
    "/spells/{key}/versions",
    tags=["spells"],
    responses=problem_responses("unauthenticated", "spell_not_found", "request_invalid"),
)
async def list_versions(
    key: str, platform: PlatformDep, caster: ReadCaster, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
) -> VersionList:
    """Every version of a spell, newest first, yanked ones included and marked."""
    versions, next_cursor = page_after(await _versions(platform, key), limit, cursor, lambda v: v.version)
    return VersionList(items=[version_info(v) for v in versions], next_cursor=next_cursor)


@router.get(
    "/spells/{key}/versions/{version}",
    tags=["spells"],
    responses=problem_responses("unauthenticated", "spell_not_found"),
)
async def get_version(key: str, version: str, platform: PlatformDep, caster: ReadCaster) -> VersionInfo:
    return version_info(await _version(platform, key, version))


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
    found = await _version(platform, key, version)
    if found.bundle_digest is None:
        raise SpellError("not_found", f"{key} {version} is unsigned: it has no bundle")
    data = await anyio.to_thread.run_sync(platform.blobs.get, found.bundle_digest)
    return Response(data, media_type="application/json")


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
    found = await _version(platform, key, version)
    data = await anyio.to_thread.run_sync(platform.blobs.get, found.package_digest)
    return Response(data, media_type="application/x-tar")


async def _castable(platform: PlatformDep, key: str, version: str | None) -> SpellVersion:
    found = await platform.db.read(lambda session: find_version(session, key, version))
    if found is None:
        raise SpellError("spell_not_found", f"no castable spell {key}")
    return found[0]


@router.get(
    "/spells/{key}/provenance",
    tags=["spells"],
    responses=problem_responses("unauthenticated", "spell_not_found"),
)
async def get_provenance(
    key: str, platform: PlatformDep, caster: ReadCaster, version: str | None = None
) -> VersionInfo:
    """Who signed the latest (or the given) version, with its Rekor entry and package digest."""
    return version_info(await _castable(platform, key, version))


@router.get(
    "/spells/{key}/sbom", tags=["spells"], responses=problem_responses("unauthenticated", "spell_not_found")
)
async def get_sbom(
    key: str, platform: PlatformDep, caster: ReadCaster, version: str | None = None
) -> SbomSummary:
    """What the latest (or the given) version is made of: packages, licences, known vulnerabilities."""
    spell = await _castable(platform, key, version)
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


async def _catalog_write(platform: Platform, work: Callable[[Session], T]) -> T:
    try:
        return await platform.db.write(work)
    except CatalogError as error:
        raise refusal(error) from None


@router.post(
    "/spells/{key}/versions/{version}/yank",
    tags=["publishing"],
    responses=problem_responses("unauthenticated", "spell_not_found", "forbidden"),
)
async def yank_version(
    key: str, version: str, platform: PlatformDep, caster: PublishCaster, actor: ActorDep
) -> VersionInfo:
    """Withdraw a version of your spell: it can no longer be cast, nor be the latest."""

    def work(session: Session) -> SpellVersion:
        withdrawn = yank(session, key, version, caster.user_id)
        audit.record(session, actor, "spell.yanked", "spell", key, details={"version": version})
        return withdrawn

    yanked = await _catalog_write(platform, work)
    await platform.announcer.tools_changed()
    return version_info(yanked)


@router.delete(
    "/spells/{key}/versions/{version}/yank",
    tags=["publishing"],
    responses=problem_responses("unauthenticated", "spell_not_found", "forbidden"),
)
async def unyank_version(
    key: str, version: str, platform: PlatformDep, caster: PublishCaster, actor: ActorDep
) -> VersionInfo:
    """Restore a yanked version of your spell."""

    def work(session: Session) -> SpellVersion:
        back = yank(session, key, version, caster.user_id, yanked=False)
        audit.record(session, actor, "spell.unyanked", "spell", key, details={"version": version})
        return back

    restored = await _catalog_write(platform, work)
    await platform.announcer.tools_changed()
    return version_info(restored)


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
    await _catalog_write(platform, partial(change_status, key, "suspended", actor))
    await platform.announcer.tools_changed()


@router.delete(
    "/spells/{key}/suspend",
    tags=["operations"],
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses("unauthenticated", "spell_not_found", "forbidden"),
)
async def reinstate(key: str, platform: PlatformDep, caster: AdminCaster, actor: ActorDep) -> None:
    """Operator: lift a suspension."""
    _require_operator(caster)
    await _catalog_write(platform, partial(change_status, key, "active", actor))
    await platform.announcer.tools_changed()


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
    query = (
        select(SignerIdentityRecord)
        .where(col(SignerIdentityRecord.maker_id) == caster.user_id)
        .order_by(col(SignerIdentityRecord.id))
    )
    rows = await platform.db.read(lambda session: list(session.execute(query).scalars()))
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
    try:
        identity = SignerIdentity(**body.model_dump())
    except SignatureError as exc:
        raise SpellError("request_invalid", str(exc)) from None

    def work(session: Session) -> SignerIdentityRecord:
        row = add_signer(session, caster.user_id, identity)
        details = {"identity": identity.identity, "issuer": identity.issuer}
        audit.record(session, actor, "signer.added", "signer", str(row.id), details=details)
        return row

    async def run() -> Signer:
        return signer_of(await platform.db.write(work))

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

    def work(session: Session) -> None:
        row = session.get(SignerIdentityRecord, signer_id)
        if row is None or row.maker_id != caster.user_id:
            raise SpellError("not_found", f"you have no signer {signer_id}")
        session.delete(row)
        details = {"identity": row.identity, "issuer": row.issuer}
        audit.record(session, actor, "signer.removed", "signer", str(signer_id), details=details)

    await platform.db.write(work)


@router.get(
    "/makers/me/notifications",
    tags=["publishing"],
    responses=problem_responses("unauthenticated", "request_invalid"),
)
async def list_notifications(
    platform: PlatformDep, caster: PublishCaster, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
) -> NotificationList:
    """What needs your attention as a maker, newest first (e.g. a new vulnerability in a dependency)."""
    position = decode_cursor(cursor, 1)
    query = select(MakerNotification).where(col(MakerNotification.maker_id) == caster.user_id)
    if position is not None:
        query = query.where(col(MakerNotification.id) < int(position[0]))
    query = query.order_by(col(MakerNotification.id).desc()).limit(limit + 1)
    found = await platform.db.read(lambda session: list(session.execute(query).scalars()))
    rows, next_cursor = page(found, limit, lambda row: (str(row.id),))
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
    query = select(Spell).where(col(Spell.maker_id) == caster.user_id).order_by(col(Spell.key))
    rows = await platform.db.read(lambda session: list(session.execute(query).scalars()))
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
    found = await platform.db.read(lambda session: find_version(session, key))
    if found is None:
        raise SpellError("spell_not_found", f"no castable spell {key}")
    text = await anyio.to_thread.run_sync(readme, platform.casts.trees, found[0])
    return Response(text, media_type="text/markdown; charset=utf-8")


def _own_spell(session: Session, caster: Caster, key: str) -> Spell:
    spell = session.get(Spell, key)
    if spell is None or spell.maker_id != caster.user_id:
        raise SpellError("spell_not_found", f"you publish no spell {key}")
    return spell


@router.get(
    "/spells/{key}/secrets",
    tags=["publishing"],
    responses=problem_responses("unauthenticated", "spell_not_found"),
)
async def list_secrets(key: str, platform: PlatformDep, caster: PublishCaster) -> SecretList:
    """The names of your spell's secrets and when each was set; values are never shown."""

    def read(session: Session) -> SecretList:
        _own_spell(session, caster, key)
        rows = session.execute(select(SpellSecret).where(col(SpellSecret.spell_key) == key)).scalars()
        return SecretList(items=[SecretInfo(name=row.name, updated_at=row.updated_at) for row in rows])

    return await platform.db.read(read)


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
    try:
        check_env_name(name)
    except PolicyError as exc:
        raise SpellError("request_invalid", str(exc)) from None

    def write(session: Session) -> None:
        _own_spell(session, caster, key)
        set_secret(session, platform.secrets, key, name, body.value)
        audit.record(session, actor, "secret.set", "spell", key, details={"name": name})

    await platform.db.write(write)


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

    def remove(session: Session) -> None:
        _own_spell(session, caster, key)
        secret = session.get(SpellSecret, (key, name))
        if secret is None:
            raise SpellError("not_found", f"{key} has no secret {name[:80]}")
        session.delete(secret)
        audit.record(session, actor, "secret.removed", "spell", key, details={"name": name})

    await platform.db.write(remove)


@router.get(
    "/admin/spells/suspended",
    tags=["operations"],
    responses=problem_responses("unauthenticated", "forbidden"),
)
async def suspended_spells(platform: PlatformDep, caster: AdminCaster) -> MySpellList:
    """Spells an operator suspended (reinstate one with DELETE /v1/spells/{key}/suspend)."""
    if not caster.is_operator:
        raise SpellError("forbidden", "only the platform's operators see suspended spells")
    query = select(Spell).where(col(Spell.status) == "suspended").order_by(col(Spell.key))
    rows = await platform.db.read(lambda session: list(session.execute(query).scalars()))
    return MySpellList(
        items=[
            MySpell(key=s.key, status=s.status, latest_version=s.latest_version, created_at=s.created_at)
            for s in rows
        ]
    )
