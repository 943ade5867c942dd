"""The REST face of the platform: spells, casts and balances under /v1."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any, Literal
from urllib.parse import quote

import anyio
import anyio.to_thread
from fastapi import APIRouter, Header, Query, Response
from fastapi.responses import JSONResponse, RedirectResponse
from pydantic import BaseModel, Field

from registry import ObjectBlobStore, SpellVersion, tool_name
from registry.grants import deterministic
from spell_mcp import queueing
from spell_mcp.accounts.keys import Caster
from spell_mcp.casting import records
from spell_mcp.casting.records import Cast
from spell_mcp.casting.replay import replay
from spell_mcp.casting.running import limits_of
from spell_mcp.catalog import pinning, versions
from spell_mcp.errors import SpellError
from spell_mcp.platform import Platform
from spell_mcp.rest.bodies import Price, RequestBody
from spell_mcp.rest.deps import (
    JSON_BODY_ERRORS,
    ActorDep,
    AdminCaster,
    CastCaster,
    PlatformDep,
    ReadCaster,
    price,
    problem_responses,
)
from spell_mcp.rest.idempotency import IDEMPOTENCY_ERRORS, IdempotencyKey, idempotently
from spell_mcp.rest.pagination import (
    DEFAULT_LIMIT,
    Cursor,
    Limit,
    decode_time_cursor,
    page,
    page_after,
    time_position,
)
from spell_mcp.rest.routing import StrictJSONRoute


class SpellSummary(BaseModel):
    key: str
    version: str
    name: str
    description: str
    tool_name: str = Field(description="The spell's MCP tool name.")
    price: Price
    signed: bool = Field(description="False for unsigned development spells.")
    tags: list[str]
    category: str | None
    icon: str | None = Field(None, description="The spell's icon as a data: URI (PNG, JPEG, GIF or WebP).")


class SpellDetail(SpellSummary):
    author: str
    license: str
    module_digest: str
    input_schema: dict[str, Any]
    output_schema: dict[str, Any] | None
    limits: dict[str, int] = Field(description="The limits the manifest asks for.")
    enforced_limits: dict[str, int] = Field(
        description="The limits a cast runs under: the manifest's, within this platform's ceilings "
        "(bytes, milliseconds, fuel units)."
    )
    policy: dict[str, list[str]]
    deterministic: bool = Field(
        False, description="Clocks and random source fixed from the cast id: its casts can be replayed."
    )
    published_at: datetime
    pinned: Pinned | None = Field(
        None,
        description="Set when this (latest) version asks for more than you accepted: you are served the "
        "version you know until you accept it.",
    )


class Pinned(BaseModel):
    version: str = Field(description="The version your casts run, when they name none.")
    latest: str
    widened: list[str] = Field(description="What the latest version asks for beyond what you accepted.")
    accept: str = Field(description="How to accept it.")


class AcceptRequest(RequestBody):
    version: str | None = Field(None, description="The version to accept; the latest when omitted.")


class Acceptance(BaseModel):
    key: str
    version: str = Field(description="The version you are served from now on, when you name none.")
    widened: list[str] = Field(description="What you accepted beyond what you had accepted before.")
    grants: dict[str, Any] = Field(
        description="What you accepted: domains, secrets, files (read, write) and price_micros."
    )


class SpellList(BaseModel):
    items: list[SpellSummary]
    next_cursor: str | None = Field(None, description="Pass as `cursor` for the next page; null on the last.")


class CastRequest(RequestBody):
    input: dict[str, Any] = Field(description="The spell's input; must match its input schema.")
    version: str | None = Field(None, description="Pin a version; the latest when omitted.")


class Usage(BaseModel):
    duration_ms: float
    fuel_consumed: int = Field(description="wasmtime fuel units (about one per wasm instruction).")
    peak_memory_bytes: int
    input_bytes: int
    output_bytes: int
    stderr_bytes: int
    artifacts_bytes: int = 0
    network_requests: int = 0
    network_bytes_sent: int = 0
    network_bytes_received: int = 0
    policy_violations: list[str] = Field(
        default_factory=list, description="What the spell tried and was refused, e.g. a denied request."
    )


class ReplayRequest(RequestBody):
    input: dict[str, Any] = Field(
        description="The cast's exact input (only its hash was kept): the same JSON object, keys in the "
        "same order, so that it hashes to the receipt's input_sha256."
    )


class ReplayResult(BaseModel):
    """A cast run again: the same module, input and seed, in the same sandbox; free."""

    cast_id: str
    spell_key: str
    spell_version: str
    module_digest: str
    input_sha256: str
    output_sha256: str = Field(description="What the cast's signed receipt says it returned.")
    replayed_output_sha256: str | None = Field(
        description="What the replay returned (RFC 8785 canonical JSON, SHA-256); null if it failed."
    )
    matches: bool = Field(description="True when the replay returned exactly what the receipt names.")
    output: Any = Field(None, description="The replay's output.")
    error_code: str | None = Field(None, description="Why the replay failed, when it did.")
    usage: Usage


class ArtifactInfo(BaseModel):
    name: str = Field(description="Path of the file under the spell's /scratch.")
    size: int
    sha256: str
    url: str = Field(description="Where to download it (same authentication).")


class Receipt(BaseModel):
    receipt: dict[str, Any] = Field(
        description="cast_id, spell (key, version, module_digest), input_sha256, output_sha256 "
        "(of the RFC 8785 canonical JSON), price_micros, split, settled_at, ledger_hash, key_id."
    )
    signature: str = Field(description="Ed25519 over the RFC 8785 canonical JSON of `receipt`, base64url.")


class PublicKey(BaseModel):
    key_id: str
    algorithm: str
    public_key: str = Field(description="Raw public key, base64url.")
    status: Literal["current", "retired"] = Field(
        "current", description="current: signs new receipts; retired: signed earlier ones."
    )


class PublicKeys(BaseModel):
    keys: list[PublicKey]


class QueuedCast(BaseModel):
    """A cast answered with `Prefer: respond-async`: held, and running on."""

    cast_id: str
    status: Literal["running"] = "running"
    location: str = Field(description="Where to poll for its outcome: GET it until it is not running.")


class CastResponse(BaseModel):
    cast_id: str
    spell_key: str
    spell_version: str
    module_digest: str
    signed: bool
    output: Any
    price: Price
    charged: Price
    usage: Usage
    artifacts: list[ArtifactInfo]
    receipt: Receipt = Field(description="Signed by the platform; verify with /v1/.well-known/spell-keys.")


class CastRecord(BaseModel):
    cast_id: str
    spell_key: str
    spell_version: str
    module_digest: str
    status: str = Field(description="running, succeeded or failed.")
    price: Price
    charged: Price
    output: Any | None
    error_code: str | None
    error_detail: str | None
    usage: Usage | None
    artifacts: list[ArtifactInfo]
    via: str
    created_at: datetime
    finished_at: datetime | None


class CastList(BaseModel):
    items: list[CastRecord]
    next_cursor: str | None = Field(None, description="Pass as `cursor` for the next page; null on the last.")


def artifact_infos(cast_id: str, artifacts: list[dict[str, Any]]) -> list[ArtifactInfo]:
    return [
        ArtifactInfo(**artifact, url=f"/v1/casts/{cast_id}/artifacts/{quote(artifact['name'])}")
        for artifact in artifacts
    ]


def summary(spell: SpellVersion) -> SpellSummary:
    meta = spell.manifest["metadata"]
    return SpellSummary(
        key=spell.spell_key,
        version=spell.version,
        name=spell.name,
        description=spell.description,
        tool_name=tool_name(spell.spell_key),
        price=price(spell.price_micros),
        signed=spell.signed,
        tags=meta["tags"],
        category=meta["category"],
        icon=spell.icon,
    )


router = APIRouter(prefix="/v1", route_class=StrictJSONRoute)


@router.get("/spells", tags=["spells"], responses=problem_responses("unauthenticated", "request_invalid"))
async def list_spells(
    platform: PlatformDep,
    caster: ReadCaster,
    q: Annotated[
        str | None, Query(max_length=100, description="Text in the key, name or description.")
    ] = None,
    tag: Annotated[str | None, Query(max_length=32)] = None,
    category: Annotated[str | None, Query(max_length=64)] = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> SpellList:
    """Castable spells (latest versions) by key, optionally searched and filtered."""
    spells = await versions.castable_spells(platform.db, q=q, tag=tag, category=category)
    shown, next_cursor = page_after(spells, limit, cursor, lambda spell: spell.spell_key)
    return SpellList(items=[summary(spell) for spell in shown], next_cursor=next_cursor)


@router.get(
    "/spells/{key}", tags=["spells"], responses=problem_responses("unauthenticated", "spell_not_found")
)
async def describe_spell(key: str, platform: PlatformDep, caster: ReadCaster) -> SpellDetail:
    """One spell: price, input schema, limits and policy of its latest version."""
    spell = await versions.castable(platform.db, key)
    manifest = spell.manifest
    runtime = manifest["runtime"]
    return SpellDetail(
        **summary(spell).model_dump(),
        author=manifest["spell"]["author"],
        license=manifest["spell"]["license"],
        module_digest=spell.module_digest,
        input_schema=spell.input_schema,
        output_schema=spell.output_schema,
        limits={k: runtime[k] for k in ("timeout_ms", "max_memory_mb", "max_output_mb")},
        enforced_limits=asdict(limits_of(spell, platform.settings)),
        policy=runtime["policy"],
        deterministic=deterministic(spell),
        published_at=spell.published_at,
        pinned=pinned_of(spell, await pinning.pin_for(platform.db, caster.user_id, spell)),
    )


def pinned_of(latest: SpellVersion, pin: pinning.Pin | None) -> Pinned | None:
    if pin is None:
        return None
    accept = f"POST /v1/spells/{latest.spell_key}/accept"
    return Pinned(version=pin.version, latest=pin.latest, widened=pin.widened, accept=accept)


@router.post(
    "/spells/{key}/accept",
    tags=["spells"],
    responses=problem_responses("unauthenticated", "forbidden", "spell_not_found", *JSON_BODY_ERRORS),
)
async def accept_spell(
    key: str, platform: PlatformDep, caster: AdminCaster, actor: ActorDep, body: AcceptRequest | None = None
) -> Acceptance:
    """Accept what a version of a spell may touch and what it costs (the latest, or the one
    named): your casts that name no version run it from now on. Until you do, a version that
    widens what you accepted (a new domain, secret or file grant, or a higher price) is not
    served to you; a version that keeps or narrows it is, without asking. It takes a key with
    the `admin` scope, the person's own: an agent's cast key cannot consent for them. Audited."""
    version = body.version if body is not None else None
    accepted, more = await versions.accept(platform, caster.user_id, key, version, actor)
    return Acceptance(key=key, version=accepted.version, widened=more, grants=accepted.grants.as_dict())


@router.post(
    "/spells/{key}/cast",
    tags=["casts"],
    response_model=CastResponse,
    responses={
        202: {"model": QueuedCast, "description": "With `Prefer: respond-async`: held, and running on."},
        **problem_responses(
            "unauthenticated",
            "forbidden",
            "spell_not_found",
            "input_invalid",
            "input_too_large",
            *JSON_BODY_ERRORS,
            "overloaded",
            "insufficient_credits",
            "budget_exceeded",
            *IDEMPOTENCY_ERRORS,
            "spell_timeout",
            "spell_cpu_exhausted",
            "spell_memory_exceeded",
            "spell_output_too_large",
            "spell_artifacts_too_large",
            "spell_output_invalid",
            "spell_failed",
            "spell_crashed",
        ),
    },
)
async def cast_spell(
    key: str,
    body: CastRequest,
    platform: PlatformDep,
    caster: CastCaster,
    idempotency_key: IdempotencyKey = None,
    prefer: Annotated[
        str | None,
        Header(description="`respond-async` (RFC 7240): answer 202 once the price is held; poll the cast."),
    ] = None,
) -> Any:
    """Run a spell on an input. Charged once, and only when the cast succeeds. With
    `Prefer: respond-async`, the answer is 202 as soon as the price is held, with the cast's
    `Location`: GET it until its status is no longer `running`."""
    request = ("POST", f"/v1/spells/{key}/cast", body.model_dump(mode="json"))
    if not _prefers_async(prefer):
        return await idempotently(
            platform, caster, idempotency_key, request, lambda: _cast(platform, caster, key, body)
        )
    queued = await idempotently(
        platform,
        caster,
        idempotency_key,
        request,
        lambda: _cast_later(platform, caster, key, body),
        status=202,
    )
    if not isinstance(queued, QueuedCast):
        return queued  # a replay of the first answer, or a retry refused while it is in progress
    headers = {"Location": queued.location, "Preference-Applied": "respond-async"}
    return JSONResponse(queued.model_dump(mode="json"), status_code=202, headers=headers)


def _prefers_async(prefer: str | None) -> bool:
    preferences = (item.split(";")[0].strip().lower() for item in (prefer or "").split(","))
    return "respond-async" in preferences


async def _cast_later(platform: Platform, caster: Caster, key: str, body: CastRequest) -> QueuedCast:
    if platform.queue is None:
        raise SpellError("overloaded", "this server cannot queue casts; cast without respond-async")
    cast_id = await queueing.submit(
        platform.casts, platform.queue, caster, key, body.input, version=body.version, via="rest"
    )
    return QueuedCast(cast_id=cast_id, location=f"/v1/casts/{cast_id}")


async def _cast(platform: Platform, caster: Caster, key: str, body: CastRequest) -> CastResponse:
    result = await platform.casts.cast(caster, key, body.input, version=body.version, via="rest")
    return CastResponse(
        cast_id=result.cast_id,
        spell_key=result.spell_key,
        spell_version=result.spell_version,
        module_digest=result.module_digest,
        signed=result.spell.signed,
        output=result.output,
        price=price(result.price_micros),
        charged=price(result.charged_micros),
        usage=Usage(**result.usage.as_dict()),
        artifacts=artifact_infos(result.cast_id, result.artifacts),
        receipt=Receipt(**result.receipt),
    )


@router.get("/casts", tags=["casts"], responses=problem_responses("unauthenticated", "request_invalid"))
async def list_casts(
    platform: PlatformDep,
    caster: ReadCaster,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
    spell: Annotated[str | None, Query(max_length=64, description="Only casts of this spell key.")] = None,
    status: Annotated[Literal["running", "succeeded", "failed"] | None, Query()] = None,
) -> CastList:
    """Your casts, newest first."""
    after = decode_time_cursor(cursor)
    rows = await records.casts_of(
        platform.db, caster.user_id, limit + 1, spell_key=spell, status=status, after=after
    )
    casts, next_cursor = page(rows, limit, lambda cast: time_position(cast.created_at, cast.id))
    return CastList(items=[cast_record(cast) for cast in casts], next_cursor=next_cursor)


@router.get(
    "/casts/{cast_id}", tags=["casts"], responses=problem_responses("unauthenticated", "cast_not_found")
)
async def get_cast(cast_id: str, platform: PlatformDep, caster: ReadCaster) -> CastRecord:
    """A recorded cast of the caller's."""
    return cast_record(await records.cast_of(platform.db, caster.user_id, cast_id))


@router.post(
    "/casts/{cast_id}/cancel",
    tags=["casts"],
    responses=problem_responses("unauthenticated", "forbidden", "cast_not_found"),
)
async def cancel_cast(cast_id: str, platform: PlatformDep, caster: CastCaster) -> CastRecord:
    """Cancel a queued cast (`Prefer: respond-async`) that has not finished: its hold is released
    and it is recorded as failed with `cast_cancelled`, never charged. A cast that has finished
    is returned as it is."""
    await records.cast_of(platform.db, caster.user_id, cast_id)
    await platform.cancel_cast(caster.user_id, cast_id)
    return cast_record(await records.cast_of(platform.db, caster.user_id, cast_id))


@router.post(
    "/casts/{cast_id}/replay",
    tags=["casts"],
    responses=problem_responses(
        "unauthenticated",
        "forbidden",
        "cast_not_found",
        "replay_unavailable",
        "input_mismatch",
        "input_invalid",
        *JSON_BODY_ERRORS,
        "rate_limited",
        "overloaded",
    ),
)
async def replay_cast(
    cast_id: str, body: ReplayRequest, platform: PlatformDep, caster: CastCaster
) -> ReplayResult:
    """Run one of your successful casts of a deterministic spell again, to check its receipt:
    the same module (by digest), your input (which must hash to the receipt's input_sha256) and
    the cast's seed. `matches` says whether the output hashes to the receipt's output_sha256.
    Free: nothing is held, charged or recorded. Refused (replay_unavailable) for other spells, for
    spells that read their maker's secrets (a replay never receives them), and for what no cast
    may run (a suspended spell, a yanked or delisted version)."""
    await platform.limits.check(caster)
    done = await replay(platform.casts, caster, cast_id, body.input)
    return ReplayResult(
        cast_id=done.cast_id,
        spell_key=done.spell_key,
        spell_version=done.spell_version,
        module_digest=done.module_digest,
        input_sha256=done.input_sha256,
        output_sha256=done.output_sha256,
        replayed_output_sha256=done.replayed_output_sha256,
        matches=done.matches,
        output=done.output,
        error_code=done.error_code,
        usage=Usage(**done.usage.as_dict()),
    )


def cast_record(cast: Cast) -> CastRecord:
    return CastRecord(
        cast_id=cast.id,
        spell_key=cast.spell_key,
        spell_version=cast.spell_version,
        module_digest=cast.module_digest,
        status=cast.status,
        price=price(cast.price_micros),
        charged=price(cast.charged_micros),
        output=cast.output,
        error_code=cast.error_code,
        error_detail=cast.error_detail,
        usage=Usage(**cast.usage) if cast.usage else None,
        artifacts=artifact_infos(cast.id, cast.artifacts or []),
        via=cast.via,
        created_at=cast.created_at,
        finished_at=cast.finished_at,
    )


@router.get(
    "/casts/{cast_id}/artifacts/{name:path}",
    tags=["casts"],
    response_class=Response,
    responses={
        200: {"content": {"application/octet-stream": {}}, "description": "The file's bytes."},
        307: {"description": "With an object store: a short-lived link to fetch the file from it."},
        **problem_responses("unauthenticated", "cast_not_found", "not_found"),
    },
)
async def get_artifact(cast_id: str, name: str, platform: PlatformDep, caster: ReadCaster) -> Response:
    """A file a cast of the caller's wrote under /scratch. On an object store, the answer is a
    redirect to a presigned link (SPELL_ARTIFACT_LINK_TTL_S) that serves it from there."""
    cast = await records.cast_of(platform.db, caster.user_id, cast_id)
    digest = records.artifact_digest(cast, name)
    disposition = f"attachment; filename*=UTF-8''{quote(name.rsplit('/', 1)[-1])}"
    if isinstance(platform.blobs, ObjectBlobStore):
        link = platform.blobs.download_url(
            digest,
            disposition=disposition,
            media_type="application/octet-stream",
            expires_s=platform.settings.artifact_link_ttl_s,
        )
        return RedirectResponse(link, status_code=307, headers={"Cache-Control": "no-store"})
    data = await anyio.to_thread.run_sync(platform.blobs.get, digest)
    return Response(data, media_type="application/octet-stream", headers={"Content-Disposition": disposition})


@router.get(
    "/casts/{cast_id}/receipt",
    tags=["casts"],
    responses=problem_responses("unauthenticated", "cast_not_found"),
)
async def get_receipt(cast_id: str, platform: PlatformDep, caster: ReadCaster) -> Receipt:
    """The signed receipt of a settled cast of the caller's."""
    cast = await records.cast_of(platform.db, caster.user_id, cast_id)
    if cast.receipt is None:
        raise SpellError("cast_not_found", f"cast {cast_id} was not settled: it has no receipt")
    return Receipt(**cast.receipt)


@router.get("/.well-known/spell-keys", tags=["casts"])
async def spell_keys(platform: PlatformDep) -> PublicKeys:
    """The platform's public keys that sign receipts (no authentication needed): the current
    one, and the retired ones that signed earlier receipts."""
    return PublicKeys(keys=[PublicKey(**key) for key in platform.receipts.public_keys()])
