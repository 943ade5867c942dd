"""The bodies every area of the REST API shares: problem documents and prices. Each area's own
request and response bodies stand beside its routes (they also document it in OpenAPI)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, Strict, field_validator


class RequestBody(BaseModel):
    """A request's JSON body, read as it is written: no field it does not know, no value of one
    JSON type taken for another (`true` is not 1, `"5"` is not 5, `1.0` is not 1, `1` is not
    true: pydantic's strict mode), and no text with a NUL."""

    model_config = ConfigDict(extra="forbid", strict=True)

    @field_validator("*")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        """No text of a body holds a NUL: PostgreSQL cannot store one. (A cast's input is the
        spell's to read, and is not text stored here.)"""
        texts = [value] if isinstance(value, str) else value if isinstance(value, list) else []
        if any(isinstance(text, str) and "\x00" in text for text in texts):
            raise ValueError("text may not hold a NUL character (\\u0000)")
        return value


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


def in_utc(moment: datetime) -> datetime:
    """`moment` in UTC; ValueError when it has no time zone, or is not a time in UTC (before the
    year 1 or after 9999 once its offset is applied: 9999-12-31T23:59:59-05:00 is not)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("give the time with a time zone, e.g. 2026-11-01T00:00:00Z")
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise ValueError("the time is out of range once in UTC (years 1 to 9999)") from None


def _written_as_text(value: Any) -> Any:
    if not isinstance(value, str | datetime):
        raise ValueError("give the time as text, e.g. 2026-11-01T00:00:00Z")
    return value


# A time a client gives (RFC 3339 text with a zone), read as the same time in UTC. JSON has no
# time type: the text is parsed, also in a strict body.
Moment = Annotated[datetime, BeforeValidator(_written_as_text), Strict(False), AfterValidator(in_utc)]
