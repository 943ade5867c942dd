"""What a caster's `Idempotency-Key`s hold: a claim per (caster, key), the request it was claimed
for, and then the response retries get (spell_mcp/rest/idempotency.py says how REST uses them).

The first request with a key claims it (one INSERT that only one racer wins); a retry with the
same request gets the stored response; the same key with a different request is refused; a retry
while the first is still running is told to wait. A transient failure releases the claim so that a
retry runs again, and a claim abandoned by a dead server can be taken over once its hold would
have expired. Each function is one transaction.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlmodel import col

from spell_mcp.database.engine import Database
from spell_mcp.database.tables import IdempotencyRecord
from spell_mcp.errors import SpellError

TRANSIENT = {"internal_error", "cast_interrupted"}
MAX_KEY_LENGTH = 200


@dataclass(frozen=True, slots=True)
class Replay:
    status: int
    body: dict[str, Any]


def request_digest(method: str, path: str, body: Any) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(f"{method} {path}\n{canonical}".encode()).hexdigest()


async def claim(
    db: Database, caster_id: str, key: str, digest: str, abandon_after: timedelta
) -> Replay | None:
    """Claim `key` for this request, or return the stored response of the first one."""
    if not key or len(key) > MAX_KEY_LENGTH:
        raise SpellError("request_invalid", f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} characters")
    return await db.write(lambda session: _claim(session, caster_id, key, digest, abandon_after))


def _claim(
    session: Session, caster_id: str, key: str, digest: str, abandon_after: timedelta
) -> Replay | None:
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


async def release(db: Database, caster_id: str, key: str) -> None:
    """Forget a claim whose request failed for a passing reason: a retry will run it again."""
    await db.write(lambda session: _release(session, caster_id, key))


def _release(session: Session, caster_id: str, key: str) -> None:
    session.execute(
        delete(IdempotencyRecord).where(
            col(IdempotencyRecord.caster_id) == caster_id, col(IdempotencyRecord.key) == key
        )
    )


async def complete(db: Database, caster_id: str, key: str, status: int, body: dict[str, Any]) -> None:
    """Store the response retries will get (or release the claim after a transient failure)."""

    def work(session: Session) -> None:
        if body.get("code") in TRANSIENT:
            _release(session, caster_id, key)
            return
        session.execute(
            update(IdempotencyRecord)
            .where(col(IdempotencyRecord.caster_id) == caster_id, col(IdempotencyRecord.key) == key)
            .values(status=status, response=body)
        )

    await db.write(work)
