"""`Idempotency-Key` on the REST operations that create something: a retried request gets the
first one's response (with `Idempotent-Replayed: true`), whatever happened to the connection,
and nothing is created or charged twice.

The first request with a key claims it (one INSERT that only one racer wins), runs, and stores
its response; a retry with the same key and the same request gets that response back; the same
key with a different request is refused; a retry while the first is still running is told to
wait. Transient failures (an internal error, an interrupted cast) release the key so a retry
runs again. A claim abandoned by a dead server can be taken over once its hold would have
expired.

Responses that carry a secret (a new API key, a webhook's signing secret) are stored sealed
with the platform's secret key, never in clear.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Annotated, Any

import anyio
from fastapi import Header
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import delete, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlmodel import col

from spell_mcp.accounts.keys import Caster
from spell_mcp.database.tables import IdempotencyRecord
from spell_mcp.errors import SpellError
from spell_mcp.platform import Platform

TRANSIENT = {"internal_error", "cast_interrupted"}
MAX_KEY_LENGTH = 200


@dataclass(frozen=True, slots=True)
class Replay:
    status: int
    body: dict[str, Any]


def request_digest(method: str, path: str, body: Any) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(f"{method} {path}\n{canonical}".encode()).hexdigest()


def claim(session: Session, caster_id: str, key: str, digest: str, abandon_after: timedelta) -> Replay | None:
    """Claim `key` for this request, or return the stored response of the first one."""
    if not key or len(key) > MAX_KEY_LENGTH:
        raise SpellError("request_invalid", f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} characters")
    now = datetime.now(UTC)
    values = {
        "caster_id": caster_id,
        "key": key,
        "request_sha256": digest,
        "status": None,
        "response": None,
        "created_at": now,
    }
    dialect = session.get_bind().dialect.name
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(IdempotencyRecord)
    if session.execute(insert.values(**values).on_conflict_do_nothing()).rowcount == 1:  # type: ignore[attr-defined]
        return None
    record = session.get(IdempotencyRecord, (caster_id, key), populate_existing=True)
    assert record is not None
    if record.request_sha256 != digest:
        raise SpellError("idempotency_key_reused", "this Idempotency-Key was used for a different request")
    if record.status is not None and record.response is not None:
        return Replay(status=record.status, body=record.response)
    if record.created_at > now - abandon_after:
        raise SpellError(
            "idempotency_in_progress", "the first request with this Idempotency-Key is still running"
        )
    # Abandoned by a server that died: take it over, if nobody else just did.
    taken = session.execute(
        update(IdempotencyRecord)
        .where(
            col(IdempotencyRecord.caster_id) == caster_id,
            col(IdempotencyRecord.key) == key,
            col(IdempotencyRecord.created_at) == record.created_at,
        )
        .values(created_at=now)
    )
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        raise SpellError(
            "idempotency_in_progress", "the first request with this Idempotency-Key is still running"
        )
    return None


def release(session: Session, caster_id: str, key: str) -> None:
    """Forget a claim whose request failed for a passing reason: a retry will run it again."""
    session.execute(
        delete(IdempotencyRecord).where(
            col(IdempotencyRecord.caster_id) == caster_id, col(IdempotencyRecord.key) == key
        )
    )


def complete(session: Session, caster_id: str, key: str, status: int, body: dict[str, Any]) -> None:
    """Store the response retries will get (or release the claim after a transient failure)."""
    if body.get("code") in TRANSIENT:
        release(session, caster_id, key)
        return
    session.execute(
        update(IdempotencyRecord)
        .where(col(IdempotencyRecord.caster_id) == caster_id, col(IdempotencyRecord.key) == key)
        .values(status=status, response=body)
    )


IdempotencyKey = Annotated[
    str | None,
    Header(
        max_length=200,
        description="Send the same key to retry safely: you get the first response, and nothing is "
        "done twice.",
    ),
]
# A malformed key is a request_invalid like any bad header.
IDEMPOTENCY_ERRORS = ("request_invalid", "idempotency_key_reused", "idempotency_in_progress")
_SEALED = "sealed"


async def idempotently(
    platform: Platform,
    caster: Caster,
    key: str | None,
    request: tuple[str, str, Any],
    run: Callable[[], Awaitable[BaseModel]],
    *,
    status: int = 200,
    secret: bool = False,
) -> Any:
    """Run `run` once per (caster, key): `request` is (method, path, body) as sent, which a retry
    must repeat exactly."""
    if key is None:
        return await run()
    digest = request_digest(*request)
    abandon_after = timedelta(seconds=platform.settings.hold_ttl_s)
    try:
        replay = await platform.db.write(
            lambda session: claim(session, caster.user_id, key, digest, abandon_after)
        )
    except SpellError as error:
        if error.code == "idempotency_in_progress":
            return JSONResponse(
                error.problem(),
                status_code=409,
                headers={"Retry-After": "1"},
                media_type="application/problem+json",
            )
        raise
    if replay is not None:
        body = replay.body
        if _SEALED in body:
            body = json.loads(platform.secrets.open(body[_SEALED].encode()) or "{}")
        media = "application/json" if replay.status < 400 else "application/problem+json"
        return JSONResponse(
            body, status_code=replay.status, headers={"Idempotent-Replayed": "true"}, media_type=media
        )
    try:
        response = await run()
    except SpellError as error:
        await platform.db.write(
            partial(complete, caster_id=caster.user_id, key=key, status=error.status, body=error.problem())
        )
        raise
    except BaseException:
        with anyio.CancelScope(shield=True):
            await platform.db.write(partial(release, caster_id=caster.user_id, key=key))
        raise
    stored = response.model_dump(mode="json")
    if secret:
        stored = {_SEALED: platform.secrets.seal(json.dumps(stored)).decode()}
    await platform.db.write(partial(complete, caster_id=caster.user_id, key=key, status=status, body=stored))
    return response
