"""An operator's grant of a caster's credits (or, negative, a correction), however it is made:
`POST /v1/admin/users/{id}/credits`, `spell credits grant`, or the credits a new account starts
with (`spell users create --credits`, the local operator's first start). One unit of work posts
it to the ledger, lists it in the caster's payments and records it in their audit trail; then
whatever remembers the caster's credits forgets them."""

from __future__ import annotations

import secrets

from sqlalchemy.orm import Session

from billing import InsufficientCredits, usd
from spell_mcp import audit
from spell_mcp.accounts.users import NewUser, check_name_free, create_user
from spell_mcp.database.engine import Database
from spell_mcp.database.tables import Payment
from spell_mcp.errors import SpellError
from spell_mcp.payments.records import grant
from spell_mcp.platform import Platform
from spell_mcp.settings import Settings

REASON_LENGTH = 500
STARTING_CREDITS = "credits the account was made with"


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

    try:
        made = await platform.db.write(
            lambda session: record_grant(session, actor, user_id, amount, reason, reference)
        )
    except InsufficientCredits as exc:
        raise SpellError(
            "insufficient_credits",
            f"the caster has ${usd(exc.available)} available; a correction cannot take more",
        ) from None
    await platform.casts.credits_changed(user_id)
    return made


def record_grant(
    session: Session, actor: audit.Actor, user_id: str, amount: int, reason: str, reference: str
) -> Payment:
    """Post the grant, list it in the caster's payments and record it in their audit trail."""
    made = grant(session, user_id, amount, reason[:REASON_LENGTH], reference)
    details = {"amount_micros": amount, "payment": made.id}
    audit.record(session, actor, "credits.granted", "user", user_id, subject_id=user_id, details=details)
    return made


def create_user_with_credits(
    session: Session, actor: audit.Actor, name: str, *, credits_micros: int = 0, is_operator: bool = False
) -> NewUser:
    """A new user (`create_user`) and, in the same unit of work, the credits they start with,
    granted as every grant is."""
    made = create_user(session, name, is_operator=is_operator)
    if credits_micros:
        record_grant(session, actor, made.user_id, credits_micros, STARTING_CREDITS, f"grant:{made.user_id}")
    return made


async def create_named_user(
    db: Database, actor: audit.Actor, name: str, *, credits_micros: int = 0, is_operator: bool = False
) -> NewUser:
    """`create_user_with_credits`, for a name that may be theirs (`check_name_free`)."""

    def create(session: Session) -> NewUser:
        check_name_free(session, name, operator=is_operator)
        return create_user_with_credits(
            session, actor, name, credits_micros=credits_micros, is_operator=is_operator
        )

    return await db.write(create)
