"""When credits run short, offer the person a way to buy more, there and then: a client that
can open links for its user (URL-mode elicitation, 2025-11-25) is handed a Stripe Checkout page
for what the cast lacks (at least the smallest top-up). The cast itself is still refused: the
credits arrive when Stripe says the payment succeeded, and the agent casts again."""

from __future__ import annotations

import logging
import math
import uuid
from decimal import Decimal
from typing import Any

import mcp_types as types
from mcp.server.context import ServerRequestContext
from mcp.shared.exceptions import MCPError
from mcp_types.version import MODERN_PROTOCOL_VERSIONS

from billing import MICROS_PER_USD, usd
from spell_mcp.accounts.keys import Caster
from spell_mcp.casting.refusals import SHORT_OF_MONEY
from spell_mcp.errors import SpellError
from spell_mcp.payments.checkout import start_top_up
from spell_mcp.payments.records import CENT
from spell_mcp.platform import Platform

log = logging.getLogger(__name__)


async def offer_top_up(
    ctx: ServerRequestContext[Any, Any], platform: Platform, caster: Caster, error: SpellError
) -> SpellError:
    """The refusal, after offering a top-up page where the client can show one."""
    if error.code not in SHORT_OF_MONEY or platform.stripe is None or not _can_open_links(ctx):
        return error
    settings = platform.settings
    lacking = int(error.extra.get("debt_micros") or 0) + max(
        int(error.extra.get("price_micros", 0)) - int(error.extra.get("available_micros", 0)), 0
    )
    cents = max(math.ceil(lacking / CENT), settings.top_up_min_micros // CENT)
    amount = min(Decimal(cents) / 100, settings.top_up_max_usd)
    try:
        top_up = await start_top_up(
            platform.db,
            platform.stripe,
            settings,
            caster,
            amount,
            save_card=False,
            return_url=f"{settings.advertised_url()}/",
            attempt=uuid.uuid4().hex,
        )
        message = f"{error.detail}. Buy ${usd(int(amount * MICROS_PER_USD))} of credits to continue?"
        await ctx.session.elicit_url(message, top_up.url, top_up.id, related_request_id=ctx.request_id)
    except (SpellError, MCPError) as exc:
        log.info("could not offer a top-up: %s", exc)
        return error
    return SpellError(
        error.code,
        f"{error.detail}; a top-up page was offered (credits arrive once it is paid; then cast again)",
        headers=error.headers,
        **error.extra,
        top_up_url=top_up.url,
    )


def _can_open_links(ctx: ServerRequestContext[Any, Any]) -> bool:
    if ctx.protocol_version in MODERN_PROTOCOL_VERSIONS:
        return False  # stateless: no server-to-client request mid-call
    wanted = types.ClientCapabilities(
        elicitation=types.ElicitationCapability(url=types.UrlElicitationCapability())
    )
    return bool(ctx.session.check_client_capability(wanted))
