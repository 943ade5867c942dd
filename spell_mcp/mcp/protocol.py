"""What the server and the stdio relay both say, kept light: the relay imports nothing else of
the server (which brings the whole platform), so that `spell mcp --url` starts quickly."""

from __future__ import annotations

from mcp_types import INVALID_PARAMS
from mcp_types.version import MODERN_PROTOCOL_VERSIONS

SERVER_NAME = "spell"
INSTRUCTIONS = (
    "Each tool runs one published WebAssembly spell in a sandbox and charges its stated price "
    "to your credits, only when the cast succeeds. Results carry a cast id in _meta."
)
# A refused tools/call's problem document (RFC 9457, as REST answers) rides in the result's
# `_meta` under this key, beside its words in the text content: `structuredContent` is the
# spell's output alone, which the tool's outputSchema describes.
PROBLEM_META = "dev.spell/problem"
# The code for an unknown resource URI before 2026-07-28, which uses INVALID_PARAMS (SEP-2164).
RESOURCE_NOT_FOUND = -32002


def resource_not_found(protocol_version: str | None) -> int:
    """The JSON-RPC code of an unknown resource in the caller's protocol generation."""
    return INVALID_PARAMS if protocol_version in MODERN_PROTOCOL_VERSIONS else RESOURCE_NOT_FOUND
