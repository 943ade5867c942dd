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
    if recorded(session, kind, reference):
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


class RefundDue(Exception):
    """A payment arrived for an account that was erased: it goes back to the payer and never
    into credits. Raised inside the event's transaction, which it rolls back: the refund is asked
    of the provider outside any transaction, then the event is handled again
    (spell_mcp/payments/events.py)."""

    def __init__(self, payment_intent: str) -> None:
        super().__init__(payment_intent)
        self.payment_intent = payment_intent


def paid_back_if_erased(
    session: Session, user_id: str, payment_intent: str, fee_cents: int, reference: str, refunded: set[str]
) -> str | None:
    """When `user_id` was erased, what becomes of their payment (a top-up or reload, by
    `reference`): refunded whole (`RefundDue` until `refunded` has its payment intent) and
    recorded once, no credits moving; the provider's fee, which it keeps, is the platform's
    expense. None for a live account."""
    user = session.get(User, user_id)
    if user is None or user.status != "erased":
        return None
    if not payment_intent:
        return "not credited: the account was erased (and the event names no payment to refund)"
    refund = f"erased:{reference}"
    if recorded(session, "refund", refund):
        return "already refunded"
    if payment_intent not in refunded:
        raise RefundDue(payment_intent)
    fee = fee_cents * CENT
    record(
        session,
        user_id=user_id,
        kind="refund",
        reference=refund,
        amount=0,
        fee=fee,
        reason="paid after the account was erased: refunded to the payer",
        post=(lambda payments: payments.provider_fee(fee, reference[:64])) if fee else None,
    )
    return "refunded to the payer: the account was erased"


def recorded(session: Session, kind: str, reference: str) -> bool:
    """A payment of this kind and reference is listed already."""
    query = select(Payment.id).where(col(Payment.kind) == kind, col(Payment.reference) == reference)
    return session.execute(query).first() is not None


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
