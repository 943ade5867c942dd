"""Spell describing itself for discovery, in the shapes of the official MCP registry: the
platform's `server.json` (what `mcp-publisher publish` sends), and each castable spell as a
registry entry, with its provenance, for aggregators that read the registry's API
(spell_mcp/rest/discovery.py).

A spell is not a server of its own: every entry's remote is this platform's MCP endpoint, where
the spell is the tool named in its `_meta`.
"""

from __future__ import annotations

import ipaddress
from importlib.metadata import version
from typing import Any
from urllib.parse import urlsplit

from registry import SpellVersion, tool_name
from spell_mcp.catalog.provenance import provenance
from spell_mcp.settings import Settings

SCHEMA = "https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json"
PUBLISHER = "io.modelcontextprotocol.registry/publisher-provided"
OFFICIAL = "io.modelcontextprotocol.registry/official"
# The official registry's limit on a description.
DESCRIPTION_CHARS = 100
AUTHORIZATION = {
    "name": "Authorization",
    "description": "Bearer followed by a Spell API key (spell_sk_…) with the cast scope",
    "isRequired": True,
    "isSecret": True,
}


def registry_name(settings: Settings, base_url: str) -> str:
    """`SPELL_REGISTRY_NAME`, or the public host reversed (spell.example.com → com.example.spell)
    then /spell; a host that is an address or a single label is `local.spell/spell`."""
    if settings.registry_name:
        return settings.registry_name
    host = urlsplit(base_url).hostname or ""
    try:
        ipaddress.ip_address(host)
        host = ""
    except ValueError:
        pass
    labels = host.split(".")
    namespace = ".".join(reversed(labels)) if len(labels) > 1 else "local.spell"
    return f"{namespace}/spell"


def remotes(base_url: str) -> list[dict[str, Any]]:
    return [
        {"type": "streamable-http", "url": f"{base_url}/mcp", "headers": [AUTHORIZATION]},
        {"type": "sse", "url": f"{base_url}/sse", "headers": [AUTHORIZATION]},
    ]


def server_json(settings: Settings, base_url: str) -> dict[str, Any]:
    """The platform itself, for the official registry."""
    return {
        "$schema": SCHEMA,
        "name": registry_name(settings, base_url),
        "title": "Spell",
        "description": _short("Pay-per-use WebAssembly tools in a sandbox, with signed receipts and budgets"),
        "version": version("spell-mcp"),
        "websiteUrl": base_url,
        "remotes": remotes(base_url),
    }


def spell_entry(
    spell: SpellVersion, settings: Settings, base_url: str, *, latest: bool = True
) -> dict[str, Any]:
    """One castable version as the registry's API lists a server (`{"server", "_meta"}`);
    `latest` when it is the spell's latest."""
    namespace = registry_name(settings, base_url).split("/", 1)[0]
    published = spell.published_at.isoformat().replace("+00:00", "Z")
    return {
        "server": {
            "$schema": SCHEMA,
            "name": f"{namespace}/{spell.spell_key}",
            "title": spell.name,
            "description": _short(spell.description),
            "version": spell.version,
            "websiteUrl": f"{base_url}/spell/?key={spell.spell_key}",
            "remotes": remotes(base_url),
            "_meta": {PUBLISHER: {"dev.spell/tool": tool_name(spell.spell_key), **provenance(spell)}},
        },
        "_meta": {
            OFFICIAL: {
                "status": "active",
                "publishedAt": published,
                "updatedAt": published,
                "isLatest": latest,
            }
        },
    }


def _short(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= DESCRIPTION_CHARS else line[: DESCRIPTION_CHARS - 1].rstrip() + "…"
