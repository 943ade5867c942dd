"""`Idempotency-Key` on the REST operations that create something: a retried request gets the
first one's response (with `Idempotent-Replayed: true`), whatever happened to the connection,
and nothing is created or charged twice.

The first request with a key claims it, runs, and stores its response; a retry with the same key
and the same request gets that response back; the same key with a different request is refused;
a retry while the first is still running is told to wait (409 with `Retry-After`). Transient
failures (an internal error, an interrupted cast) release the key so a retry runs again. The
claims are kept by spell_mcp/accounts/idempotency.py.

Responses that carry a secret (a new API key, a webhook's signing secret) are stored sealed
with the platform's secret key, never in clear.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Annotated, Any

import anyio
from fastapi import Header
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from spell_mcp.accounts import idempotency
from spell_mcp.accounts.keys import Caster
from spell_mcp.errors import SpellError
from spell_mcp.platform import Platform

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
    digest = idempotency.request_digest(*request)
    abandon_after = timedelta(seconds=platform.settings.hold_ttl_s)
    try:
        replay = await idempotency.claim(platform.db, caster.user_id, key, digest, abandon_after)
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
        await idempotency.complete(platform.db, caster.user_id, key, error.status, error.problem())
        raise
    except BaseException:
        with anyio.CancelScope(shield=True):
            await idempotency.release(platform.db, caster.user_id, key)
        raise
    stored = response.model_dump(mode="json")
    if secret:
        stored = {_SEALED: platform.secrets.seal(json.dumps(stored)).decode()}
    await idempotency.complete(platform.db, caster.user_id, key, status, stored)
    return response
