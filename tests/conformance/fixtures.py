"""Test-only spells that give the MCP conformance suite the tools its scenarios call.

Each is an ordinary spell (a WAT module writing a fixed output), published like any other; its
key maps to the tool name a scenario expects (`test.image.content` → `test_image_content`).
"""

from __future__ import annotations

import base64
import io
import json
import struct
import wave
import zlib
from pathlib import Path
from typing import Any

from tests import wasm_modules as wat
from tests.spellbook import write_spell

TEXT = "This is a simple text response for testing."


def red_pixel_png() -> str:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)  # 1x1, 8-bit RGB
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    return base64.b64encode(png).decode()


def short_silence_wav() -> str:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as audio:
        audio.setnchannels(1)
        audio.setsampwidth(2)
        audio.setframerate(8000)
        audio.writeframes(b"\x00\x00" * 80)  # 10 ms
    return base64.b64encode(buffer.getvalue()).decode()


def _content(*blocks: dict[str, Any]) -> bytes:
    return wat.writes(json.dumps({"content": list(blocks)}))


EMBEDDED = {
    "type": "resource",
    "resource": {
        "uri": "test://embedded-resource",
        "mimeType": "text/plain",
        "text": "This is an embedded resource content.",
    },
}
IMAGE = {"type": "image", "data": red_pixel_png(), "mimeType": "image/png"}
# The scenario's schema (SEP-1613, SEP-2106): these 2020-12 keywords must reach the client untouched.
JSON_SCHEMA_2020_12 = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "$defs": {
        "address": {
            "$anchor": "addressDef",
            "type": "object",
            "properties": {"street": {"type": "string"}, "city": {"type": "string"}},
        }
    },
    "properties": {
        "name": {"type": "string"},
        "address": {"$ref": "#/$defs/address"},
        "contactMethod": {"type": "string", "enum": ["phone", "email"]},
        "phone": {"type": "string"},
        "email": {"type": "string"},
    },
    "allOf": [{"anyOf": [{"required": ["phone"]}, {"required": ["email"]}]}],
    "if": {"properties": {"contactMethod": {"const": "phone"}}, "required": ["contactMethod"]},
    "then": {"required": ["phone"]},
    "else": {"required": ["email"]},
    "additionalProperties": False,
}
# Above the conformance server's confirmation threshold (SPELL_CONFIRM_ABOVE_MICROS): a cast
# of it asks the person first, with an InputRequiredResult on 2026-07-28.
COSTLY = {"price_usd": "1"}


def write_conformance_spells(directory: Path) -> None:
    free = {"price_usd": "0"}
    write_spell(directory, "test.simple.text", wat.writes(json.dumps({"text": TEXT})), **free)
    write_spell(directory, "test.image.content", _content(IMAGE), output_format="content", **free)
    write_spell(
        directory,
        "test.audio.content",
        _content({"type": "audio", "data": short_silence_wav(), "mimeType": "audio/wav"}),
        output_format="content",
        **free,
    )
    write_spell(directory, "test.embedded.resource", _content(EMBEDDED), output_format="content", **free)
    write_spell(
        directory,
        "test.multiple.content.types",
        _content({"type": "text", "text": "Multiple content types test:"}, IMAGE, EMBEDDED),
        output_format="content",
        **free,
    )
    write_spell(directory, "test.error.handling", wat.exits(1), **free)
    # The platform reports each step of a cast as progress and as a log message.
    write_spell(directory, "test.tool.with.progress", wat.writes("{}"), **free)
    write_spell(directory, "test.tool.with.logging", wat.writes("{}"), **free)
    write_spell(directory, "test.logging.tool", wat.writes("{}"), **free)  # its 2026-07-28 name
    write_spell(directory, "test.streaming.elicitation", wat.writes("{}"), **COSTLY)
    # Cast by a 2026-07-28 client that cannot ask the person: -32021 naming elicitation.
    write_spell(directory, "test.missing.capability", wat.writes("{}"), **COSTLY)
    write_spell(directory, "json.schema.2020.12.tool", wat.writes("{}"), schema=JSON_SCHEMA_2020_12, **free)
