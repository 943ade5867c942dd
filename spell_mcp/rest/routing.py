"""How every REST route reads its body: JSON bodies only as `application/json`, parsed strictly
(spell_mcp/strict_json.py) before FastAPI sees them, so that a malformed, non-standard or
hostile body is refused with words a person can act on instead of a 500 or a puzzle."""

from __future__ import annotations

import email.message
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response, params
from fastapi.routing import APIRoute

from spell_mcp import strict_json
from spell_mcp.errors import SpellError


class StrictJSONRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            try:
                self._json = strict_json.loads(await self.body())
            except strict_json.NotStrictJSON as exc:
                raise SpellError("request_invalid", f"the body is not acceptable JSON: {exc}") from None
        return self._json


def is_json(content_type: str | None) -> bool:
    if not content_type:
        return False
    message = email.message.Message()
    message["content-type"] = content_type
    subtype = message.get_content_subtype()
    return message.get_content_maintype() == "application" and (
        subtype == "json" or subtype.endswith("+json")
    )


class StrictJSONRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        takes_json = self.body_field is not None and not isinstance(self.body_field.field_info, params.Form)

        async def strict(request: Request) -> Response:
            request = StrictJSONRequest(request.scope, request.receive)
            if takes_json and await request.body():
                if not is_json(request.headers.get("content-type")):
                    raise SpellError(
                        "unsupported_media_type",
                        "send the body as JSON, with 'Content-Type: application/json'",
                    )
                await request.json()
            return await handler(request)

        return strict
