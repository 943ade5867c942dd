"""Asking the person before a cast above their confirmation threshold (a soft limit; the budget
caps are the hard ones), through MCP elicitation.

- 2026-07-28 clients: the call returns `InputRequiredResult` with one form to fill; the client
  asks the person and retries the call with the answer (no session needed).
- Earlier revisions: a mid-call `elicitation/create` request, where the connection has a back
  channel (stdio; HTTP is stateless here and has none).
- Clients that cannot ask: `confirmation_required`, saying how to proceed (spells_cast with
  `"confirmed": true` once the person agreed). `"confirmed": true` stands for the person's yes
  only where they cannot be asked: a client that can ask is asked all the same. A 2026-07-28
  client calling a spell's own tool,
  which has no such way, gets MissingRequiredClientCapabilityError (-32021, HTTP 400) naming
  `elicitation`, as that revision requires of a request the server cannot process without it.

Nothing is held before the answer, so a refusal or an abandoned question costs nothing.
"""

from __future__ import annotations

from typing import Any

import mcp_types as types
from mcp.server.context import ServerRequestContext
from mcp.shared.exceptions import MCPError
from mcp_types.version import MODERN_PROTOCOL_VERSIONS

from billing import usd
from registry import SpellVersion
from spell_mcp.errors import SpellError

ANSWER_KEY = "dev.spell/confirm"
# The person's yes, as the agent reports it (spells_cast's `"confirmed": true`).
AGREED = types.ElicitResult(action="accept", content={"confirm": True})
QUESTION: types.ElicitRequestedSchema = {
    "type": "object",
    "properties": {
        "confirm": {
            "type": "boolean",
            "title": "Cast it",
            "description": "Charge this cast to your credits.",
            "default": False,
        }
    },
    "required": ["confirm"],
}


class InputNeeded(Exception):
    """The call must return this result and be retried with the person's answer."""

    def __init__(self, result: types.InputRequiredResult) -> None:
        super().__init__("input required")
        self.result = result


class Confirmation:
    """The `confirm` step of one tools/call."""

    def __init__(
        self,
        ctx: ServerRequestContext[Any, Any],
        params: types.CallToolRequestParams,
        *,
        way_without_asking: bool = False,
        confirmed: bool = False,
    ) -> None:
        self.ctx = ctx
        self.answers = params.input_responses or {}
        # spells_cast takes `"confirmed": true` instead: it needs no elicitation to proceed.
        self.way_without_asking = way_without_asking
        # The agent says the person agreed: taken only where the person cannot be asked.
        self.confirmed = way_without_asking and confirmed

    async def __call__(self, spell: SpellVersion, threshold: int) -> None:
        message = (
            f"Cast {spell.name} ({spell.spell_key} {spell.version}) for ${usd(spell.price_micros)}? "
            f"That is above your confirmation threshold of ${usd(threshold)}."
        )
        answer = await self._ask(message, spell, threshold)
        if answer.action == "accept" and (answer.content or {}).get("confirm") is True:
            return
        raise SpellError(
            "confirmation_declined",
            f"the cast of {spell.spell_key} for ${usd(spell.price_micros)} was not confirmed; "
            "nothing was charged",
        )

    async def _ask(self, message: str, spell: SpellVersion, threshold: int) -> types.ElicitResult:
        given = self.answers.get(ANSWER_KEY)
        if isinstance(given, types.ElicitResult):
            return given
        modern = self.ctx.protocol_version in MODERN_PROTOCOL_VERSIONS
        if not self._can_elicit():
            if self.confirmed:
                return AGREED
            if modern and not self.way_without_asking:
                raise _capability_missing(_required(spell, threshold))
            raise _required(spell, threshold)
        if modern:
            question = types.ElicitRequest(
                params=types.ElicitRequestFormParams(message=message, requested_schema=QUESTION)
            )
            raise InputNeeded(types.InputRequiredResult(input_requests={ANSWER_KEY: question}))
        try:
            return await self.ctx.session.elicit_form(
                message, QUESTION, related_request_id=self.ctx.request_id
            )
        except MCPError:
            # No back channel (stateless HTTP), or the client failed to answer.
            if self.confirmed:
                return AGREED
            raise _required(spell, threshold) from None

    def _can_elicit(self) -> bool:
        wanted = types.ClientCapabilities(elicitation=types.ElicitationCapability())
        return bool(self.ctx.session.check_client_capability(wanted))


def _capability_missing(required: SpellError) -> MCPError:
    data = types.MissingRequiredClientCapabilityErrorData(
        required_capabilities=types.ClientCapabilities(elicitation=types.ElicitationCapability())
    )
    return MCPError(
        types.MISSING_REQUIRED_CLIENT_CAPABILITY,
        f"{required.code}: {required.detail} (It needs a client that declares elicitation.)",
        {**data.model_dump(by_alias=True, exclude_none=True), **required.problem()},
    )


def _required(spell: SpellVersion, threshold: int) -> SpellError:
    return SpellError(
        "confirmation_required",
        f"{spell.spell_key} costs ${usd(spell.price_micros)}, above the confirmation threshold of "
        f"${usd(threshold)}, and this client cannot ask the person. Ask them; if they agree, cast it "
        'with spells_cast and "confirmed": true.',
        price_micros=spell.price_micros,
        threshold_micros=threshold,
    )
