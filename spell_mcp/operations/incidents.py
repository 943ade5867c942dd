"""Incidents for the people on call: PagerDuty's Events API v2 when the operator set a routing
key, and always an error in the log. An incident has a stable `dedup_key`, so raising it again
while it is open adds nothing, and resolving it closes it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from spell_mcp.observability import logs
from spell_mcp.settings import Settings

log = logs.get("incidents")
TIMEOUT_S = 10.0


@dataclass(frozen=True, slots=True)
class Incident:
    dedup_key: str
    summary: str
    severity: str = "critical"  # critical | error | warning | info
    component: str = "spell"
    details: dict[str, Any] | None = None


class Pager:
    def __init__(self, settings: Settings, source: str) -> None:
        self.routing_key = settings.pagerduty_routing_key
        self.url = settings.pagerduty_url
        self.source = source

    async def trigger(self, incident: Incident) -> None:
        log.error(
            "incident", dedup_key=incident.dedup_key, summary=incident.summary, severity=incident.severity
        )
        await self._send(
            {
                "event_action": "trigger",
                "dedup_key": incident.dedup_key,
                "payload": {
                    "summary": incident.summary[:1024],
                    "source": self.source,
                    "severity": incident.severity,
                    "component": incident.component,
                    "custom_details": incident.details or {},
                },
            }
        )

    async def resolve(self, dedup_key: str) -> None:
        log.info("incident resolved", dedup_key=dedup_key)
        await self._send({"event_action": "resolve", "dedup_key": dedup_key})

    async def _send(self, event: dict[str, Any]) -> None:
        if not self.routing_key:
            return
        try:
            async with httpx.AsyncClient(timeout=TIMEOUT_S) as client:
                response = await client.post(self.url, json={"routing_key": self.routing_key, **event})
            if response.status_code != 202:
                log.error("pagerduty refused an event", status=response.status_code, body=response.text[:200])
        except httpx.HTTPError as error:
            log.error("pagerduty unreachable", error=type(error).__name__)
