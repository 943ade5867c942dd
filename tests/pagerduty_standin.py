"""A stand-in for PagerDuty's Events API v2 (POST /v2/enqueue), at its HTTP boundary: it keeps
the events it is sent and answers as PagerDuty does."""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


class PagerDutyStandIn:
    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def app(self) -> Starlette:
        async def enqueue(request: Request) -> JSONResponse:
            event = await request.json()
            if not isinstance(event, dict) or not event.get("routing_key") or "event_action" not in event:
                return JSONResponse({"status": "invalid event", "message": "Event object is invalid"}, 400)
            self.events.append(event)
            return JSONResponse(
                {"status": "success", "message": "Event processed", "dedup_key": event.get("dedup_key")}, 202
            )

        return Starlette(routes=[Route("/v2/enqueue", enqueue, methods=["POST"])])
