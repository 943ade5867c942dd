"""Idempotency claims: one winner, replays, reuse refused, abandoned claims taken over."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from spell_mcp.accounts.idempotency import claim, complete, request_digest
from spell_mcp.database.tables import IdempotencyRecord
from spell_mcp.errors import SpellError
from spell_mcp.platform import Platform

WAIT = timedelta(minutes=15)


async def test_a_claim_is_replayed_refused_for_another_request_and_taken_over_when_abandoned(
    platform: Platform,
) -> None:
    digest = request_digest("POST", "/v1/spells/x/cast", {"input": {}})
    assert await claim(platform.db, "usr_1", "k1", digest, WAIT) is None
    with pytest.raises(SpellError) as running:
        await claim(platform.db, "usr_1", "k1", digest, WAIT)
    assert running.value.code == "idempotency_in_progress"

    # The server that claimed it died long ago: a retry takes the claim over.
    long_ago = datetime.now(UTC) - 2 * WAIT
    await platform.db.write(lambda s: s.execute(update(IdempotencyRecord).values(created_at=long_ago)))
    assert await claim(platform.db, "usr_1", "k1", digest, WAIT) is None

    await complete(platform.db, "usr_1", "k1", 200, {"cast_id": "cast_1"})
    replay = await claim(platform.db, "usr_1", "k1", digest, WAIT)
    assert replay is not None and (replay.status, replay.body) == (200, {"cast_id": "cast_1"})
    other = request_digest("POST", "/v1/spells/x/cast", {"input": {"a": 1}})
    with pytest.raises(SpellError) as reused:
        await claim(platform.db, "usr_1", "k1", other, WAIT)
    assert reused.value.code == "idempotency_key_reused"
    # Keys belong to their caster: another caster's identical key is a different claim.
    assert await claim(platform.db, "usr_2", "k1", other, WAIT) is None
