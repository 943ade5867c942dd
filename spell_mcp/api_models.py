"""Request and response bodies of the REST API (they also document it in OpenAPI)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

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


class SpellDetail(SpellSummary):
    author: str
    license: str
    module_digest: str
    input_schema: dict[str, Any]
    output_schema: dict[str, Any] | None
    limits: dict[str, int]
    policy: dict[str, list[str]]
    published_at: datetime


class SpellList(BaseModel):
    items: list[SpellSummary]


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


class ArtifactInfo(BaseModel):
    name: str = Field(description="Path of the file under the spell's /scratch.")
    size: int
    sha256: str
    url: str = Field(description="Where to download it (same authentication).")


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


class Balance(BaseModel):
    balance: Price = Field(description="Credits posted to the account.")
    held: Price = Field(description="Credits reserved by casts in progress.")
    available: Price = Field(description="What the next cast may spend.")
