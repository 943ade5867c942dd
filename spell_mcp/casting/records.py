"""A caster's recorded casts and the files they wrote, as REST and MCP both serve them: another
caster's cast does not exist as far as anyone else can tell."""

from __future__ import annotations

from datetime import datetime
from functools import partial

from sqlalchemy import and_, or_
from sqlalchemy.orm import Session
from sqlmodel import col, select

from registry import SpellVersion
from spell_mcp.database.engine import Database

# The record of a cast, as the faces name it: they read it from here, never from the database.
from spell_mcp.database.tables import Cast as Cast
from spell_mcp.errors import SpellError


def own_cast(caster_id: str, cast_id: str, session: Session) -> Cast:
    query = select(Cast).where(col(Cast.id) == cast_id, col(Cast.caster_id) == caster_id)
    cast = session.execute(query).scalar_one_or_none()
    if cast is None:
        raise SpellError("cast_not_found", f"you have no cast {cast_id}")
    return cast


async def cast_of(db: Database, caster_id: str, cast_id: str) -> Cast:
    """The caster's cast `cast_id` (`cast_not_found` if they have none)."""
    return await db.read(partial(own_cast, caster_id, cast_id))


async def casts_of(
    db: Database,
    caster_id: str,
    limit: int,
    *,
    spell_key: str | None = None,
    status: str | None = None,
    queued: bool | None = None,
    after: tuple[datetime, str] | None = None,
) -> list[Cast]:
    """The caster's casts, newest first: at most `limit`, only those of `spell_key`, in `status`
    or queued (or not) when given, after the position (created_at, id) of a previous page's last."""
    query = select(Cast).where(col(Cast.caster_id) == caster_id)
    if spell_key is not None:
        query = query.where(col(Cast.spell_key) == spell_key)
    if status is not None:
        query = query.where(col(Cast.status) == status)
    if queued is not None:
        query = query.where(col(Cast.queued).is_(queued))
    if after is not None:
        moment, last_id = after
        query = query.where(
            or_(col(Cast.created_at) < moment, and_(col(Cast.created_at) == moment, col(Cast.id) < last_id))
        )
    query = query.order_by(col(Cast.created_at).desc(), col(Cast.id).desc()).limit(limit)
    return await db.read(lambda session: list(session.execute(query).scalars()))


def version_cast(cast: Cast, session: Session) -> SpellVersion | None:
    """The version the cast ran, yanked or not, if it is still here."""
    query = select(SpellVersion).where(
        col(SpellVersion.spell_key) == cast.spell_key, col(SpellVersion.version) == cast.spell_version
    )
    return session.execute(query).scalar_one_or_none()


async def version_of(db: Database, cast: Cast) -> SpellVersion | None:
    """`version_cast`, in a transaction of its own."""
    return await db.read(partial(version_cast, cast))


def artifact_digest(cast: Cast, name: str) -> str:
    """The blob digest of the file `name` the cast wrote."""
    for artifact in cast.artifacts or []:
        if artifact["name"] == name:
            return str(artifact["sha256"])
    raise SpellError("not_found", f"cast {cast.id} wrote no file {name[:200]}")


def still_running(cast_id: str, session: Session) -> bool:
    """The cast has not finished: it may yet be run, settled or failed."""
    status = session.execute(select(Cast.status).where(col(Cast.id) == cast_id)).scalar_one_or_none()
    return status == "running"
