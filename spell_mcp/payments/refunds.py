"""An operator's refund of a settled cast: the caster gets its price back and the maker's share is
clawed back from their earnings (carried into later payouts if they were paid already). One unit
of work posts it, lists it in the caster's payments and records it in the audit trail; then
whatever remembers the caster's credits forgets them."""

from __future__ import annotations

from sqlalchemy.orm import Session

from spell_mcp import audit
from spell_mcp.payments.records import Payment, refund_cast
from spell_mcp.platform import Platform


async def refund(platform: Platform, actor: audit.Actor, cast_id: str, reason: str) -> Payment:
    """Refund the cast `cast_id`, with a reason the caster sees."""

    def work(session: Session) -> Payment:
        refunded = refund_cast(session, cast_id, reason)
        details = {"amount_micros": refunded.amount_micros, "payment": refunded.id}
        audit.record(
            session, actor, "cast.refunded", "cast", cast_id, subject_id=refunded.user_id, details=details
        )
        return refunded

    refunded = await platform.db.write(work)
    await platform.casts.credits_changed(refunded.user_id)
    return refunded
