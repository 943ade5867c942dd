"""The bodies every area of the REST API shares: problem documents and prices. Each area's own
request and response bodies stand beside its routes (they also document it in OpenAPI)."""

from __future__ import annotations

from pydantic import BaseModel, Field


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
