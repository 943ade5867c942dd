"""Rich output: a spell whose manifest says `[io] output_format = "content"` writes a content
document instead of a bare JSON value, so it can return images, audio and documents.

    {"content": [{"type": "text", "text": "…"},
                 {"type": "image", "data": "<base64>", "mimeType": "image/png"},
                 {"type": "audio", "data": "<base64>", "mimeType": "audio/wav"},
                 {"type": "resource", "resource": {"uri": "…", "mimeType": "…", "text" | "blob": "…"}}],
     "structured": {…}}

The blocks are MCP's content blocks; `structured` (optional) is the machine-readable result,
checked against the spell's output schema when it declares one. REST callers get the document
as it is.
"""

from __future__ import annotations

import base64
import binascii
import functools
from typing import Any

_MEDIA = {"type": "string", "pattern": r"^[a-z]+/[A-Za-z0-9.+-]+(;.*)?$", "maxLength": 200}
_BASE64 = {"type": "string", "contentEncoding": "base64"}


def _media_block(kind: str) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["type", "data", "mimeType"],
        "additionalProperties": False,
        "properties": {
            "type": {"const": kind},
            "data": _BASE64,
            "mimeType": {**_MEDIA, "pattern": rf"^{kind}/[A-Za-z0-9.+-]+$"},
        },
    }


_RESOURCE = {
    "type": "object",
    "required": ["uri", "mimeType"],
    "additionalProperties": False,
    "properties": {
        "uri": {"type": "string", "minLength": 1, "maxLength": 2048},
        "mimeType": _MEDIA,
        "text": {"type": "string"},
        "blob": _BASE64,
    },
    "oneOf": [{"required": ["text"]}, {"required": ["blob"]}],
}
CONTENT_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["content"],
    "additionalProperties": False,
    "properties": {
        "content": {
            "type": "array",
            "minItems": 1,
            "maxItems": 64,
            "items": {
                "oneOf": [
                    {
                        "type": "object",
                        "required": ["type", "text"],
                        "additionalProperties": False,
                        "properties": {"type": {"const": "text"}, "text": {"type": "string"}},
                    },
                    _media_block("image"),
                    _media_block("audio"),
                    {
                        "type": "object",
                        "required": ["type", "resource"],
                        "additionalProperties": False,
                        "properties": {"type": {"const": "resource"}, "resource": _RESOURCE},
                    },
                ]
            },
        },
        "structured": {"type": "object"},
    },
}


@functools.cache
def _validator() -> Any:
    # Loaded when first needed: see registry/schemas.py.
    from registry.json_schema import load

    return load().Draft202012Validator(CONTENT_SCHEMA)


def content_problems(document: Any) -> list[str]:
    """What keeps `document` from being a content document (empty when it is one)."""
    errors = sorted(_validator().iter_errors(document), key=lambda e: [str(p) for p in e.absolute_path])
    if errors:
        best = errors[0]
        where = "/".join(str(p) for p in best.absolute_path)
        return [f"{'/' + where if where else '(root)'}: {best.message}"]
    problems = []
    for index, block in enumerate(document["content"]):
        encoded = block.get("data") or block.get("resource", {}).get("blob")
        if encoded is not None and not _is_base64(encoded):
            problems.append(f"/content/{index}: data is not valid base64")
    return problems


def _is_base64(text: str) -> bool:
    try:
        base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return False
    return True
