"""A caster's payments: each posted to the ledger once and listed, newest first."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy.orm import Session
from sqlmodel import col, select

from billing.payments import Payments
from spell_mcp.database.engine import Database
from spell_mcp.database.paging import older_than
from spell_mcp.database.tables import Cast, User
from spell_mcp.database.tables import Payment as Payment  # a caster's payment, as the faces name it
from spell_mcp.errors import SpellError

CENT = 10_000  # micro-USD in a cent: the provider counts in cents, the ledger in micro-USD


def record(
    session: Session,
    *,
    user_id: str,
    kind: str,
    reference: str,
    amount: int,
    post: Callable[[Payments], str] | None,
    tax: int = 0,
    fee: int = 0,
    reason: str | None = None,
    receipt_url: str | None = None,
) -> Payment | None:
    """Post a payment with `post` (None: a payment that moved no money, like a declined card) and
    list it, unless (kind, reference) was recorded before: then nothing moves and None comes
    back. (The unique index makes a racing twin fail.)"""
    seen = session.execute(
        select(Payment.id).where(col(Payment.kind) == kind, col(Payment.reference) == reference)
    ).first()
    if seen is not None:
        return None
    transfer_id = post(Payments(session)) if post is not None else None
    payment = Payment(
        id=f"pay_{secrets.token_hex(12)}",
        user_id=user_id,
        kind=kind,
        amount_micros=amount,
        tax_micros=tax,
        fee_micros=fee,
        reference=reference,
        reason=reason,
        receipt_url=receipt_url,
        transfer_id=transfer_id,
        created_at=datetime.now(UTC),
    )
    session.add(payment)
    session.flush()
    touched(session).add(user_id)
    return payment


def touched(session: Session) -> set[str]:
    """The casters whose money this transaction moved: whatever remembers their credits (the
    Redis fast path) must forget it once it commits."""
    casters: set[str] = session.info.setdefault("payments_touched", set())
    return casters


def grant(session: Session, user_id: str, amount: int, reason: str, reference: str) -> Payment:
    """An operator's grant (or, negative, correction) of a caster's credits."""
    if session.get(User, user_id) is None:
        raise SpellError("not_found", f"there is no user {user_id[:80]}")
    payment = record(
        session,
        user_id=user_id,
        kind="grant",
        reference=reference,
        amount=amount,
        reason=reason,
        post=lambda payments: payments.grant(user_id, amount, reference),
    )
    if payment is None:
        raise SpellError("request_invalid", f"grant {reference[:80]} was made already")
    return payment


async def payments_of(
    db: Database, user_id: str, limit: int, after: tuple[datetime, str] | None = None
) -> list[Payment]:
    """The caster's payments, newest first: at most `limit`, after the position (created_at, id)
    of a previous page's last."""
    query = (
        select(Payment)
        .where(col(Payment.user_id) == user_id, *older_than(col(Payment.created_at), col(Payment.id), after))
        .order_by(col(Payment.created_at).desc(), col(Payment.id).desc())
        .limit(limit)
    )
    return await db.read(lambda session: list(session.execute(query).scalars()))


def refund_cast(session: Session, cast_id: str, reason: str) -> Payment:
    """An operator gives a caster back what a settled cast cost; the maker's share is clawed back
    from its earnings (paid out already or not)."""
    cast = session.get(Cast, cast_id)
    if cast is None or cast.status != "succeeded" or cast.transfer_id is None or cast.charged_micros <= 0:
        raise SpellError("not_found", f"there is no charged cast {cast_id[:80]}")
    transfer_id = cast.transfer_id
    refunded = record(
        session,
        user_id=cast.caster_id,
        kind="cast_refund",
        reference=cast.id,
        amount=cast.charged_micros,
        reason=reason,
        post=lambda payments: payments.refund_cast(cast.caster_id, transfer_id, cast.id),
    )
    if refunded is None:
        raise SpellError("request_invalid", f"cast {cast_id[:80]} was refunded already")
    return refunded
