"""A caster's recorded casts and the files they wrote, as REST and MCP both serve them: another
caster's cast does not exist as far as anyone else can tell."""

from __future__ import annotations

from sqlalchemy.orm import Session
from sqlmodel import col, select

from spell_mcp.database.tables import Cast
from spell_mcp.errors import SpellError


def own_cast(caster_id: str, cast_id: str, session: Session) -> Cast:
    query = select(Cast).where(col(Cast.id) == cast_id, col(Cast.caster_id) == caster_id)
    cast = session.execute(query).scalar_one_or_none()
    if cast is None:
        raise SpellError("cast_not_found", f"you have no cast {cast_id}")
    return cast


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
