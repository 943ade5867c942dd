"""Request and response bodies of the REST API (they also document it in OpenAPI)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Problem(BaseModel):
    """RFC 9457 problem details; `code` is the stable error code from the catalog."""

    type: str
    title: str
    status: int
    code: str
    detail: str
    instance: str | None = None
    problems: list[str] | None = None
    cast_id: str | None = None


class Price(BaseModel):
    micros: int = Field(description="Price in micro-USD (1 USD = 1,000,000).")
    usd: str = Field(description="The same price as an exact decimal string.")


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


class AcceptRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

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


class CastRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

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


class ReplayRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

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
