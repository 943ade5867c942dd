"""MCP resources: what an agent may read besides calling tools.

- `spell://spells/{key}`: a spell's README (the package's README.md, or one written from its
  manifest), in Markdown;
- `spell://spells/{key}/schema`: its input schema;
- `spell://casts/{cast_id}/artifacts/{name}`: a file a cast of yours wrote (results link here);
- `ui://spell/cast.html`: the MCP App every spell tool names (spell_mcp/mcp/cast_app.py).

Completion fills in `key` from the catalog, so clients can offer the spells as the user types.
"""

from __future__ import annotations

import base64
import json
import mimetypes
import re
from typing import Any
from urllib.parse import quote, unquote

import anyio
import anyio.to_thread
import mcp_types as types

from spell_mcp.accounts.keys import Caster
from spell_mcp.casting.records import artifact_digest, cast_of
from spell_mcp.catalog import versions
from spell_mcp.errors import SpellError
from spell_mcp.mcp import cast_app
from spell_mcp.platform import Platform

_SPELL = re.compile(r"^spell://spells/(?P<key>[a-z0-9.-]+)(?P<schema>/schema)?$")
_ARTIFACT = re.compile(r"^spell://casts/(?P<cast>cast_[0-9a-f]{32})/artifacts/(?P<name>[^?#]+)$")
MAX_COMPLETIONS = 100

TEMPLATES = [
    types.ResourceTemplate(
        uri_template="spell://spells/{key}",
        name="spell-readme",
        title="Spell README",
        description="What a spell does, its price, grants and input, in Markdown.",
        mime_type="text/markdown",
    ),
    types.ResourceTemplate(
        uri_template="spell://spells/{key}/schema",
        name="spell-schema",
        title="Spell input schema",
        description="The JSON Schema (2020-12) a spell's input must match.",
        mime_type="application/schema+json",
    ),
    types.ResourceTemplate(
        uri_template="spell://casts/{cast_id}/artifacts/{name}",
        name="cast-artifact",
        title="Cast artifact",
        description="A file one of your casts wrote under /scratch.",
    ),
]


def readme_uri(key: str) -> str:
    return f"spell://spells/{key}"


def artifact_uri(cast_id: str, name: str) -> str:
    return f"spell://casts/{cast_id}/artifacts/{quote(name)}"


def artifact_link(cast_id: str, artifact: dict[str, Any]) -> types.ResourceLink:
    return types.ResourceLink(
        uri=artifact_uri(cast_id, artifact["name"]),
        name=artifact["name"],
        mime_type=mimetypes.guess_type(artifact["name"])[0] or "application/octet-stream",
        size=artifact["size"],
    )


async def list_resources(platform: Platform) -> types.ListResourcesResult:
    spells = await versions.castable_spells(platform.db)
    resources = [cast_app.resource()]
    for spell in spells:
        resources.append(
            types.Resource(
                uri=readme_uri(spell.spell_key),
                name=spell.spell_key,
                title=f"{spell.name}: README",
                description=spell.description,
                mime_type="text/markdown",
            )
        )
        resources.append(
            types.Resource(
                uri=f"{readme_uri(spell.spell_key)}/schema",
                name=f"{spell.spell_key}/schema",
                title=f"{spell.name}: input schema",
                mime_type="application/schema+json",
            )
        )
    return types.ListResourcesResult(resources=resources)


async def read_resource(platform: Platform, caster: Caster, uri: str) -> types.ReadResourceResult:
    if uri == cast_app.URI:
        return cast_app.read()
    spell_match = _SPELL.match(uri)
    if spell_match:
        key = spell_match["key"]
        if spell_match["schema"]:
            spell = await versions.castable(platform.db, key)
            text = json.dumps(spell.input_schema, indent=2, ensure_ascii=False)
            contents = types.TextResourceContents(uri=uri, mime_type="application/schema+json", text=text)
        else:
            text = await versions.readme_of(platform, key)
            contents = types.TextResourceContents(uri=uri, mime_type="text/markdown", text=text)
        return types.ReadResourceResult(contents=[contents])
    artifact_match = _ARTIFACT.match(uri)
    if artifact_match:
        cast_id, name = artifact_match["cast"], unquote(artifact_match["name"])
        cast = await cast_of(platform.db, caster.user_id, cast_id)
        data = await anyio.to_thread.run_sync(platform.blobs.get, artifact_digest(cast, name))
        mime = mimetypes.guess_type(name)[0] or "application/octet-stream"
        blob = types.BlobResourceContents(uri=uri, mime_type=mime, blob=base64.b64encode(data).decode())
        return types.ReadResourceResult(contents=[blob])
    raise SpellError("not_found", f"no resource {uri[:200]}; see resources/templates/list")


async def complete(platform: Platform, params: types.CompleteRequestParams) -> types.CompleteResult:
    """Spell keys for a template's `key` argument (or the catalog tools' `key`)."""
    if params.argument.name != "key":
        return types.CompleteResult(completion=types.Completion(values=[]))
    prefix = params.argument.value.lower()
    spells = await versions.castable_spells(platform.db)
    keys = [spell.spell_key for spell in spells if spell.spell_key.startswith(prefix)]
    return types.CompleteResult(
        completion=types.Completion(
            values=keys[:MAX_COMPLETIONS], total=len(keys), has_more=len(keys) > MAX_COMPLETIONS
        )
    )
