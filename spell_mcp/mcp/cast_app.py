"""Spell's MCP App (the `io.modelcontextprotocol/ui` extension): one `ui://` resource, an HTML
page that clients which render apps show beside a spell tool's result: the receipt (output,
charge, signer, grants) and a form to cast again through the host. Every spell tool names it in
`_meta.ui.resourceUri`; clients that render no apps ignore it and show the result's text."""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from typing import Any

import mcp_types as types

EXTENSION = "io.modelcontextprotocol/ui"
URI = "ui://spell/cast.html"
MIME_TYPE = "text/html;profile=mcp-app"
# Self-contained: it loads nothing and connects nowhere, so it asks for no CSP domains.
RESOURCE_META: dict[str, Any] = {"ui": {"prefersBorder": True, "csp": {}}}
# The current key, and the flat one hosts of the extension's first drafts read.
TOOL_META: dict[str, Any] = {"ui": {"resourceUri": URI}, "ui/resourceUri": URI}


@cache
def html() -> str:
    return (files("spell_mcp.mcp") / "cast_app.html").read_text(encoding="utf-8")


def resource() -> types.Resource:
    return types.Resource(
        uri=URI,
        name="spell-cast",
        title="Cast a spell",
        description="The receipt of a cast and a form to cast again, for clients that render MCP Apps.",
        mime_type=MIME_TYPE,
        _meta=RESOURCE_META,
    )


def read() -> types.ReadResourceResult:
    contents = types.TextResourceContents(uri=URI, mime_type=MIME_TYPE, text=html(), _meta=RESOURCE_META)
    return types.ReadResourceResult(contents=[contents])
