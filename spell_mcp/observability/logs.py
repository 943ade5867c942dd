"""Structured logs (structlog): one line per request and one per cast, as JSON for a log
pipeline (SPELL_LOG_FORMAT=json) or readable lines for a terminal (console, the default).

The standard library's loggers (`logging.getLogger("spell…")`, uvicorn's, the SDK's) go through
the same renderer, so every line of a server is in one format and carries the id of the request
it belongs to. What is logged is chosen, never dumped: no secret, key, input, output or
personal data reaches a line; a caster appears as a keyed pseudonym (spell_mcp/audit)."""

from __future__ import annotations

import contextvars
import logging
import sys
from typing import Any

import structlog
from structlog.types import EventDict, Processor

REQUEST_ID: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")


def _request_id(_logger: Any, _method: str, event: EventDict) -> EventDict:
    request_id = REQUEST_ID.get()
    if request_id != "-":
        event.setdefault("request_id", request_id)
    return event


def configure(log_format: str = "console") -> None:
    """Route structlog and the standard library's loggers to stderr, in `log_format`."""
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        _request_id,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer: Processor = (
        structlog.processors.JSONRenderer()
        if log_format == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            renderer,
        ],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    handler.set_name("spell")
    for name in ("spell", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers = [h for h in logger.handlers if h.get_name() != "spell"] + [handler]
        logger.setLevel(logging.INFO)
        logger.propagate = False
    # The platform verifies against trust roots it ships, offline on purpose; sigstore's notice
    # about that at every start is noise.
    logging.getLogger("sigstore").setLevel(logging.ERROR)


def get(name: str) -> Any:
    """A structured logger under "spell.": `log.info("event", key=value, …)`."""
    return structlog.stdlib.get_logger(f"spell.{name}")
