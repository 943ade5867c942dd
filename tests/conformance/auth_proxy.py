"""An HTTP proxy that adds an API key to every request: the MCP conformance suite and the
Inspector connect without credentials, while Spell's /mcp requires a Bearer key.

    python tests/conformance/auth_proxy.py --listen 8124 --target http://127.0.0.1:8123 --key-file K

Everything else passes through untouched, Host header included (the suite checks DNS-rebinding
protection), and responses stream back as they come (Server-Sent Events).
"""

from __future__ import annotations

import argparse
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import StreamingResponse
from starlette.routing import Route

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "content-length"}


def build(target: str, key: str) -> Starlette:
    client = httpx.AsyncClient(base_url=target, timeout=None)

    async def forward(request: Request) -> StreamingResponse:
        # Trimmed as HTTP parsers must (RFC 9110 §5.5); httpx refuses to send them untrimmed.
        headers = [(k, v.strip(" \t")) for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP]
        headers = [(k, v) for k, v in headers if k.lower() != "authorization"]
        headers.append(("authorization", f"Bearer {key}"))
        upstream = await client.send(
            client.build_request(
                request.method,
                request.url.path + (f"?{request.url.query}" if request.url.query else ""),
                headers=headers,
                content=await request.body(),
            ),
            stream=True,
        )

        async def body() -> AsyncIterator[bytes]:
            async for chunk in upstream.aiter_raw():
                yield chunk

        return StreamingResponse(
            body(),
            status_code=upstream.status_code,
            headers={k: v for k, v in upstream.headers.items() if k.lower() not in HOP_BY_HOP},
            background=BackgroundTask(upstream.aclose),
        )

    methods = ["GET", "POST", "DELETE", "PUT", "OPTIONS"]
    return Starlette(routes=[Route("/{path:path}", forward, methods=methods)])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--listen", type=int, required=True)
    parser.add_argument("--target", required=True)
    parser.add_argument("--key-file", type=Path, required=True)
    args = parser.parse_args()
    app = build(args.target, args.key_file.read_text().strip())
    uvicorn.run(app, host="127.0.0.1", port=args.listen, log_level="warning")


if __name__ == "__main__":
    main()
