"""Browser sessions end: an expired one signs nobody in and the sweeper forgets it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from spell_mcp.accounts.users import create_user
from spell_mcp.accounts.web_sessions import open_session, session_caster
from spell_mcp.database.tables import WebSession
from spell_mcp.errors import SpellError
from spell_mcp.housekeeping import sweep
from spell_mcp.platform import Platform


async def test_an_expired_session_signs_nobody_in_and_is_swept(platform: Platform) -> None:
    user = await platform.db.write(lambda session: create_user(session, "browser"))
    old = await platform.db.write(lambda session: open_session(session, user.user_id, timedelta(seconds=-1)))
    live = await platform.db.write(lambda session: open_session(session, user.user_id, timedelta(days=1)))
    with pytest.raises(SpellError) as expired:
        await platform.db.read(lambda session: session_caster(session, old.secret, "GET", None))
    assert expired.value.code == "unauthenticated"
    caster = await platform.db.read(lambda session: session_caster(session, live.secret, "GET", None))
    assert caster.user_id == user.user_id and caster.key_id is None

    await sweep(platform)
    left = await platform.db.read(lambda session: list(session.execute(select(WebSession)).scalars()))
    assert [row.user_id for row in left] == [user.user_id]  # only the live one


async def test_an_unsafe_request_needs_the_sessions_own_csrf_token(platform: Platform) -> None:
    user = await platform.db.write(lambda session: create_user(session, "browser"))
    first = await platform.db.write(lambda session: open_session(session, user.user_id, timedelta(days=1)))
    second = await platform.db.write(lambda session: open_session(session, user.user_id, timedelta(days=1)))
    for token in (None, "", second.csrf_token):  # another session's token is no better
        with pytest.raises(SpellError) as refused:
            await platform.db.read(lambda session, t=token: session_caster(session, first.secret, "POST", t))
        assert refused.value.code == "csrf_failed"
    await platform.db.read(lambda session: session_caster(session, first.secret, "DELETE", first.csrf_token))
