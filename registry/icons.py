"""A spell's icon: an image file in its package (`[spell] icon = "icon.png"`), shown by MCP
clients beside the tool. It travels as a `data:` URI, so it is signed with the package and no
client fetches anything from elsewhere. Raster formats only: an SVG can carry script."""

from __future__ import annotations

import base64

MAX_ICON_BYTES = 64 * 1024
_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


class IconError(ValueError):
    pass


def media_type_of(data: bytes) -> str:
    """The image type the bytes really are (never what the file name claims)."""
    for signature, media_type in _SIGNATURES:
        if data.startswith(signature):
            return media_type
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    raise IconError("the icon must be a PNG, JPEG, GIF or WebP image")


def icon_data_uri(data: bytes) -> str:
    if len(data) > MAX_ICON_BYTES:
        raise IconError(f"the icon is {len(data)} bytes; at most {MAX_ICON_BYTES} are allowed")
    return f"data:{media_type_of(data)};base64,{base64.b64encode(data).decode()}"
