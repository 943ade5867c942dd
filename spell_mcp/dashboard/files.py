"""Serving the dashboard's static export. Next.js inlines a few bootstrap scripts into every
page; rather than allow inline scripts at all, each HTML page is served with the SHA-256 of its
own inline scripts in its Content-Security-Policy, computed once per file. Nothing loads from
another origin."""

from __future__ import annotations

import base64
import hashlib
import re
from functools import lru_cache
from pathlib import Path

import anyio.to_thread
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

# Paths under these belong to the API, never to the dashboard.
API_ROOTS = frozenset({"v1", "mcp", "sse", "messages", ".well-known", "docs", "redoc", "openapi.json"})
_INLINE_SCRIPT = re.compile(rb"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.DOTALL)


@lru_cache(maxsize=256)
def page_policy(path: str, mtime_ns: int) -> str:
    """The CSP of one HTML page of the export (keyed by its modification time)."""
    hashes = " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(body).digest()).decode()}'"
        for body in _INLINE_SCRIPT.findall(Path(path).read_bytes())
    )
    return (
        f"default-src 'self'; script-src 'self' {hashes}; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )


def _policy_of(path: str) -> str:
    return page_policy(path, Path(path).stat().st_mtime_ns)


class Dashboard(StaticFiles):
    """The export at `directory`, `index.html` for a folder, `404.html` for what is not there."""

    def __init__(self, directory: Path) -> None:
        super().__init__(directory=directory, html=True, check_dir=False)

    async def get_response(self, path: str, scope: Scope) -> Response:
        if path.split("/", 1)[0] in API_ROOTS:
            # An API path no route took: the API's own 404 (a problem document), not a page.
            raise HTTPException(404, "no such resource")
        response = await super().get_response(path, scope)
        if response.media_type == "text/html" or response.headers.get("content-type", "").startswith(
            "text/html"
        ):
            served = getattr(response, "path", None)
            if served is not None:
                policy = await anyio.to_thread.run_sync(_policy_of, str(served))
                response.headers["content-security-policy"] = policy
        return response
