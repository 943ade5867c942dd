"""The catalog in the official MCP registry's API shape (v0.1), read-only and public, so that
aggregators which read registries can list every castable spell with its provenance. Each entry
is built by spell_mcp/catalog/discovery.py; errors are problem documents, as the registry's are.

The entries name this platform as its settings say (`Settings.advertised_url`), never as a
request's Host header does: the listings are public and cacheable, and a forged Host must not
reach what a cache serves others."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from spell_mcp.catalog import versions as catalog
from spell_mcp.catalog.discovery import registry_name, spell_entry
from spell_mcp.errors import SpellError
from spell_mcp.rest.deps import PlatformDep
from spell_mcp.rest.pagination import Cursor, page_after

router = APIRouter(prefix="/v0.1", include_in_schema=False)
MAX_LIMIT = 100
# The same for everyone, and a minute old at most: a spell published is listed within one.
CACHE_CONTROL = "public, max-age=60"


@router.get("/servers")
async def list_servers(
    response: Response,
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
    spells = await catalog.castable_spells(platform.db, q=search)
    shown, next_cursor = page_after(spells, limit, cursor, lambda spell: spell.spell_key)
    base = platform.settings.advertised_url()
    response.headers["Cache-Control"] = CACHE_CONTROL
    entries = [spell_entry(spell, platform.settings, base) for spell in shown]
    return {"servers": entries, "metadata": {"count": len(entries), "nextCursor": next_cursor}}


@router.get("/servers/{name:path}/versions/{number}")
async def get_server_version(
    response: Response, platform: PlatformDep, name: str, number: str
) -> dict[str, Any]:
    """One castable version (`latest` for the latest) of the spell the name names."""
    base = platform.settings.advertised_url()
    response.headers["Cache-Control"] = CACHE_CONTROL
    key = _key_of(name, registry_name(platform.settings, base))
    versions, latest = await catalog.castable_versions(platform.db, key)
    wanted = latest if number == "latest" else number
    found = next((spell for spell in versions if spell.version == wanted), None)
    if found is None:
        raise SpellError("not_found", f"no castable server {name[:200]} version {number[:64]}")
    return spell_entry(found, platform.settings, base, latest=found.version == latest)


@router.get("/servers/{name:path}/versions")
async def list_server_versions(response: Response, platform: PlatformDep, name: str) -> dict[str, Any]:
    """Every castable version of the spell the name names, newest first."""
    base = platform.settings.advertised_url()
    response.headers["Cache-Control"] = CACHE_CONTROL
    key = _key_of(name, registry_name(platform.settings, base))
    versions, latest = await catalog.castable_versions(platform.db, key)
    if not versions:
        raise SpellError("not_found", f"no castable server {name[:200]}")
    entries = [
        spell_entry(spell, platform.settings, base, latest=spell.version == latest) for spell in versions
    ]
    return {"servers": entries, "metadata": {"count": len(entries)}}


def _key_of(name: str, own: str) -> str:
    namespace, _, key = name.partition("/")
    ours = own.split("/", 1)[0]
    if namespace != ours or not key:
        raise SpellError("not_found", f"no server {name[:200]} here: names here start with {ours}/")
    return key
