"""An operator's grant of a caster's credits (or, negative, a correction), however it is made:
`POST /v1/admin/users/{id}/credits` or `spell credits grant`. One unit of work posts it to the
ledger, lists it in the caster's payments and records it in their audit trail; then whatever
remembers the caster's credits forgets them."""

from __future__ import annotations

import secrets

from sqlalchemy.orm import Session

from billing import InsufficientCredits, usd
from spell_mcp import audit
from spell_mcp.database.tables import Payment
from spell_mcp.errors import SpellError
from spell_mcp.payments.records import grant
from spell_mcp.platform import Platform
from spell_mcp.settings import Settings

REASON_LENGTH = 500


def check_amount(settings: Settings, amount: int) -> None:
    """Refuse a grant of nothing, or of more than the operator's ceiling (SPELL_MAX_GRANT_USD)."""
    if amount == 0 or abs(amount) > settings.max_grant_micros:
        raise SpellError(
            "request_invalid", f"a grant moves more than $0 and at most ${settings.max_grant_usd}"
        )


async def grant_credits(
    platform: Platform,
    actor: audit.Actor,
    user_id: str,
    amount: int,
    reason: str,
    *,
    attempt: str | None = None,
) -> Payment:
    """Give `user_id` `amount` micro-USD (negative: take back at most what is available), with a
    reason the caster sees. `attempt` names the grant (an idempotency key): the same attempt is
    never granted twice."""
    check_amount(platform.settings, amount)
    reference = f"grant:{attempt or secrets.token_hex(12)}:{user_id}"[:255]

    def work(session: Session) -> Payment:
        made = grant(session, user_id, amount, reason[:REASON_LENGTH], reference)
        details = {"amount_micros": amount, "payment": made.id}
        audit.record(session, actor, "credits.granted", "user", user_id, subject_id=user_id, details=details)
        return made

    try:
        made = await platform.db.write(work)
    except InsufficientCredits as exc:
        raise SpellError(
            "insufficient_credits",
            f"the caster has ${usd(exc.available)} available; a correction cannot take more",
        ) from None
    await platform.casts.credits_changed(user_id)
    return made
