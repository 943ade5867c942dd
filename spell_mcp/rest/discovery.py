"""The catalog in the official MCP registry's API shape (v0.1), read-only and public, so that
aggregators which read registries can list every castable spell with its provenance. Each entry
is built by spell_mcp/catalog/discovery.py; errors are problem documents, as the registry's are."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from sqlalchemy.orm import Session

from registry import SpellVersion, find_version, list_latest, versions_of
from spell_mcp.catalog.discovery import OFFICIAL, registry_name, spell_entry
from spell_mcp.errors import SpellError
from spell_mcp.rest.deps import PlatformDep, public_base_url
from spell_mcp.rest.pagination import Cursor, page_after

router = APIRouter(prefix="/v0.1", include_in_schema=False)
MAX_LIMIT = 100


@router.get("/servers")
async def list_servers(
    request: Request,
    platform: PlatformDep,
    search: Annotated[str | None, Query(max_length=100)] = None,
    version: Annotated[str | None, Query(max_length=20)] = None,
    cursor: Cursor = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 30,
) -> dict[str, Any]:
    """Every castable spell's latest version, by name; `search` keeps those whose key, name or
    description contains it."""
    if version not in (None, "latest"):
        raise SpellError("request_invalid", 'version: only "latest" is listed here')
    spells = await platform.db.read(lambda session: list_latest(session, q=search))
    shown, next_cursor = page_after(spells, limit, cursor, lambda spell: spell.spell_key)
    base = public_base_url(request)
    entries = [spell_entry(spell, platform.settings, base) for spell in shown]
    return {"servers": entries, "metadata": {"count": len(entries), "nextCursor": next_cursor}}


@router.get("/servers/{name:path}/versions/{number}")
async def get_server_version(
    request: Request, platform: PlatformDep, name: str, number: str
) -> dict[str, Any]:
    """One castable version (`latest` for the latest) of the spell the name names."""
    base = public_base_url(request)
    key = _key_of(name, registry_name(platform.settings, base))
    found = await platform.db.read(
        lambda session: find_version(session, key, None if number == "latest" else number)
    )
    if found is None:
        raise SpellError("not_found", f"no castable server {name[:200]} version {number[:64]}")
    latest = number == "latest" or await _is_latest(platform, found[0])
    return _entry(found[0], platform, base, latest)


@router.get("/servers/{name:path}/versions")
async def list_server_versions(request: Request, platform: PlatformDep, name: str) -> dict[str, Any]:
    """Every castable version of the spell the name names, newest first."""
    base = public_base_url(request)
    key = _key_of(name, registry_name(platform.settings, base))
    listed = await platform.db.read(lambda session: _castable_versions(session, key))
    if not listed:
        raise SpellError("not_found", f"no castable server {name[:200]}")
    latest = listed[0][1]
    entries = [_entry(spell, platform, base, spell.version == latest) for spell, _ in listed]
    return {"servers": entries, "metadata": {"count": len(entries)}}


def _key_of(name: str, own: str) -> str:
    namespace, _, key = name.partition("/")
    if namespace != own.split("/", 1)[0] or not key:
        raise SpellError(
            "not_found", f"no server {name[:200]} here: names here start with {own.split('/')[0]}/"
        )
    return key


def _castable_versions(session: Session, key: str) -> list[tuple[SpellVersion, str]]:
    latest = find_version(session, key)
    if latest is None:
        return []
    return [
        (spell, latest[0].version)
        for spell in versions_of(session, key)
        if not spell.yanked and not spell.delisted
    ]


async def _is_latest(platform: PlatformDep, spell: SpellVersion) -> bool:
    latest = await platform.db.read(lambda session: find_version(session, spell.spell_key))
    return latest is not None and latest[0].version == spell.version


def _entry(spell: SpellVersion, platform: PlatformDep, base: str, latest: bool) -> dict[str, Any]:
    entry = spell_entry(spell, platform.settings, base)
    entry["_meta"][OFFICIAL]["isLatest"] = latest
    return entry
