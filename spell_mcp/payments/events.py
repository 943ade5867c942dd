"""Stripe's webhook events, each handled once (by event id) and each payment posted once (by
what it is: the checkout session, the refunded total of a charge, the dispute), so that an
event delivered three times, two events for one session, or events out of order move money
exactly as often as they should. Unknown events are recorded and acknowledged.

What each event does to the ledger:
- checkout.session.completed (when paid) and checkout.session.async_payment_succeeded: the
  credits (before tax) to the caster, repaying any debt first; the tax to tax liability; Stripe's
  fee to payment fees. Paid after the caster erased their account, it is refunded whole instead
  (Stripe keeps its fee: a payment fee all the same), and nothing is credited.
- checkout.session.async_payment_failed, checkout.session.expired: nothing; the top-up is marked.
- charge.refunded: the newly refunded part leaves: its credits (into debt where they were
  spent) and its share of the tax.
- charge.dispute.created: the disputed credits are frozen (into debt where they were spent).
- charge.dispute.closed: won, they are unfrozen (repaying debt first); lost, the frozen credits
  and their tax leave.
- transfer.reversed: what came back of a maker's payout is earnings again (a transfer is the
  platform's own object, so its events come to the platform's endpoint).
- payment_intent.succeeded / payment_failed of an auto-reload: the credits arrive, once (or,
  the account erased meanwhile, the payment is refunded); or the failure is listed and counted
  (three in a row turn auto-reload off).

Events on makers' connected accounts come only to the Connect endpoint, signed with its own secret
and naming the account (spell_mcp/payments/payouts.py, `connect_event`): account.updated,
account.application.deauthorized, payout.paid and payout.failed. The platform's endpoint never acts
on them: an `account.updated` there is about the platform's own account.

Spell asks Stripe about an event's object (a payment's fee and receipt) only once it knows the
object is its own; anything else is acknowledged and recorded as ignored without a call.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlmodel import col, select

from spell_mcp.database.engine import Database
from spell_mcp.database.tables import Payment, PaymentEvent, TopUp, User
from spell_mcp.errors import SpellError
from spell_mcp.observability import metrics
from spell_mcp.payments.payouts import CONNECT_EVENTS, connect_event, transfer_reversed
from spell_mcp.payments.provider import Settlement, StripeGateway
from spell_mcp.payments.records import CENT, RefundDue, paid_back_if_erased, record, touched
from spell_mcp.payments.reloads import card_saved, reload_failed, reload_paid
from spell_mcp.platform import Platform

log = logging.getLogger("spell.payments")
PAID = ("checkout.session.completed", "checkout.session.async_payment_succeeded")
ENDED = {"checkout.session.async_payment_failed": "failed", "checkout.session.expired": "expired"}


@dataclass(frozen=True, slots=True)
class Handled:
    outcome: str
    # The casters whose credits it changed.
    casters: frozenset[str] = frozenset()


async def receive(platform: Platform, payload: bytes, signature: str | None, *, connect: bool = False) -> str:
    """An event as Stripe posts it to one of the two endpoints (`connect`: the Connect one): its
    signature checked with that endpoint's secret (a refusal is counted), handled once, and
    whatever remembers the credits of the casters it moved told to forget them. Returns what was
    done."""
    if platform.stripe is None:
        raise SpellError("not_found", "this platform takes no payments")
    try:
        event = platform.stripe.verified_event(payload, signature, connect=connect)
    except SpellError:
        metrics.PAYMENT_EVENTS.labels("refused").inc()
        raise
    handled = await handle(platform.db, platform.stripe, event, connect=connect)
    for caster_id in handled.casters:
        await platform.casts.credits_changed(caster_id)
    return handled.outcome


async def handle(
    db: Database, gateway: StripeGateway, event: dict[str, Any], *, connect: bool = False
) -> Handled:
    """Handle a verified event (`connect`: verified with the Connect endpoint's secret); returns
    what was done (also recorded with the event)."""
    event_id, kind = str(event["id"]), str(event.get("type", ""))
    data = event.get("data")
    obj: dict[str, Any] = data.get("object", {}) if isinstance(data, dict) else {}
    if not isinstance(obj, dict):
        obj = {}
    if await db.read(lambda session: session.get(PaymentEvent, event_id)) is not None:
        metrics.PAYMENT_EVENTS.labels("duplicate").inc()
        return Handled("duplicate event")
    # Asked before the transaction (a network call must not hold the database), and only about a
    # payment of the platform's own.
    paid_by = None if connect else await db.read(lambda session: _own_payment(session, kind, obj))
    settlement = await gateway.settlement(paid_by) if paid_by else None

    # Payments refunded because their account was erased: asked of Stripe outside any
    # transaction (RefundDue), then the event is handled again.
    refunded: set[str] = set()

    def work(session: Session) -> Handled:
        session.add(
            PaymentEvent(
                id=event_id[:255],
                type=kind[:100],
                object_id=str(obj.get("id", ""))[:255] or None,
                outcome="handling",
                received_at=datetime.now(UTC),
            )
        )
        session.flush()  # a twin delivered at the same moment fails here, before any money moves
        outcome = (
            connect_event(session, event, kind, obj)
            if connect
            else _dispatch(session, kind, obj, settlement, refunded)
        )
        session.execute(
            update(PaymentEvent).where(col(PaymentEvent.id) == event_id).values(outcome=outcome[:500])
        )
        return Handled(outcome, frozenset(touched(session)))

    try:
        handled = await _handled_refunding(db, gateway, work, refunded)
    except IntegrityError:
        if await db.read(lambda session: session.get(PaymentEvent, event_id)) is not None:
            metrics.PAYMENT_EVENTS.labels("duplicate").inc()
            return Handled("duplicate event")  # its twin, delivered at the same moment, was handled
        # Another event for the same payment won a race (or a rule of the database refused):
        # Stripe retries this one, which then finds the payment recorded.
        raise
    log.info("stripe event %s %s: %s", event_id, kind, handled.outcome)
    metrics.PAYMENT_EVENTS.labels("handled").inc()
    return handled


async def _handled_refunding(
    db: Database, gateway: StripeGateway, work: Callable[[Session], Handled], refunded: set[str]
) -> Handled:
    """`work`'s transaction, after refunding (once) the payment of an erased account it met."""
    while True:
        try:
            return await db.write(work)
        except RefundDue as due:
            await gateway.refund(due.payment_intent, "account_erased")
            refunded.add(due.payment_intent)


def _own_payment(session: Session, kind: str, obj: dict[str, Any]) -> str | None:
    """The payment intent to ask Stripe about (the fee, the receipt, the card kept), when the event
    says one of the platform's own top-ups or auto-reloads was paid."""
    if kind in PAID and obj.get("payment_status") == "paid" and isinstance(obj.get("payment_intent"), str):
        top_up = session.get(TopUp, str(obj.get("id")))
        mine = top_up is not None and top_up.user_id == obj.get("client_reference_id")
        return obj["payment_intent"] if mine else None
    if kind == "payment_intent.succeeded" and _is_reload(obj) and isinstance(obj.get("id"), str):
        caster = str(obj["metadata"].get("spell_user_id"))
        return obj["id"] if session.get(User, caster) is not None else None  # erased ones too
    return None


def _dispatch(
    session: Session, kind: str, obj: dict[str, Any], settlement: Settlement | None, refunded: set[str]
) -> str:
    """An event of the platform's own account."""
    if kind in CONNECT_EVENTS:
        return "ignored: the platform's own account (makers' accounts are heard at the Connect endpoint)"
    if kind in PAID:
        return _paid(session, obj, settlement, refunded)
    if kind in ENDED:
        return _ended(session, obj, ENDED[kind])
    if kind == "charge.refunded":
        return _refunded(session, obj)
    if kind == "charge.dispute.created":
        return _disputed(session, obj)
    if kind == "charge.dispute.closed":
        return _dispute_closed(session, obj)
    if kind == "payment_intent.succeeded" and _is_reload(obj):
        return reload_paid(session, obj, settlement, refunded)
    if kind == "payment_intent.payment_failed" and _is_reload(obj):
        metadata = obj.get("metadata") or {}
        error = obj.get("last_payment_error") or {}
        reason = (
            str(error.get("message") or "the card was declined") if isinstance(error, dict) else "declined"
        )
        return reload_failed(
            session,
            str(metadata.get("spell_user_id")),
            str(metadata.get("spell_reload")),
            _cents(obj.get("amount")),
            reason,
        )
    if kind == "transfer.reversed":
        return transfer_reversed(session, obj)
    return "ignored: not an event this platform acts on"


def _paid(
    session: Session, checkout: dict[str, Any], settlement: Settlement | None, refunded: set[str]
) -> str:
    if checkout.get("payment_status") != "paid":
        return "awaiting payment"
    # Locked: another event for the same payment, handled at this moment, waits here and then
    # finds the payment recorded.
    top_up = session.get(TopUp, str(checkout.get("id")), with_for_update=True)
    if top_up is None:
        return "ignored: no top-up was started with this session"
    if checkout.get("client_reference_id") != top_up.user_id:
        return "ignored: the session names another caster than the one who started it"
    subtotal, tax = (
        _cents(checkout.get("amount_subtotal")),
        _cents((checkout.get("total_details") or {}).get("amount_tax")),
    )
    if subtotal <= 0:
        return "ignored: nothing was paid for credits"
    intent = str(checkout.get("payment_intent") or "")
    fee_cents = settlement.fee_cents if settlement else 0
    if (
        paid_back := paid_back_if_erased(session, top_up.user_id, intent, fee_cents, top_up.id, refunded)
    ) is not None:
        top_up.status, top_up.payment_intent = "refunded", intent or None
        return paid_back
    fee = fee_cents * CENT
    payment = record(
        session,
        user_id=top_up.user_id,
        kind="top_up",
        reference=top_up.id,
        amount=subtotal,
        tax=tax,
        fee=fee,
        receipt_url=settlement.receipt_url if settlement else None,
        post=lambda payments: payments.top_up(
            top_up.user_id, credits=subtotal, tax=tax, fee=fee, reference=top_up.id[:64]
        ),
    )
    if payment is None:
        return "already credited"
    top_up.status, top_up.paid_at = "paid", datetime.now(UTC)
    if settlement is not None and settlement.payment_method:
        card_saved(session, top_up.user_id, settlement.payment_method)
    top_up.payment_intent = intent or None
    return f"credited {subtotal} micro-USD"


def _ended(session: Session, checkout: dict[str, Any], status: str) -> str:
    top_up = session.get(TopUp, str(checkout.get("id")))
    if top_up is None or top_up.status != "open":
        return "ignored: no open top-up"
    top_up.status = status
    return f"top-up {status}"


def _paid_top_up(session: Session, payment_intent: Any) -> tuple[TopUp, Payment] | None:
    """The credited top-up a charge or dispute belongs to."""
    if not isinstance(payment_intent, str):
        return None
    locked = select(TopUp).where(col(TopUp.payment_intent) == payment_intent).with_for_update()
    top_up = session.execute(locked).scalars().first()
    if top_up is None:
        return None
    paid = session.execute(
        select(Payment).where(col(Payment.kind) == "top_up", col(Payment.reference) == top_up.id)
    ).scalar_one_or_none()
    return (top_up, paid) if paid is not None else None


def _split(paid: Payment, gross_cents: int) -> tuple[int, int]:
    """Part of a payment, gross (as Stripe counts it), split into credits and tax in the
    proportion of the original payment; the tax share rounded half-up."""
    gross = gross_cents * CENT
    total = paid.amount_micros + paid.tax_micros
    tax = (2 * gross * paid.tax_micros + total) // (2 * total) if total else 0
    return gross - tax, tax


def _refunded(session: Session, charge: dict[str, Any]) -> str:
    found = _paid_top_up(session, charge.get("payment_intent"))
    if found is None:
        return "ignored: not a charge of a credited top-up"
    top_up, paid = found
    refunded_total = _int(charge.get("amount_refunded"))
    earlier = session.execute(
        select(Payment.reference).where(col(Payment.kind) == "refund", col(Payment.user_id) == top_up.user_id)
    ).scalars()
    # References are "<charge>:<cumulative cents refunded>": the newest one says what was taken.
    prefix = f"{charge.get('id')}:"
    done = max((int(ref.removeprefix(prefix)) for ref in earlier if ref.startswith(prefix)), default=0)
    if refunded_total <= done:
        return "already refunded"
    # Split the totals, not the increment, so that refunds in parts add up to the whole exactly.
    credits_now, tax_now = _split(paid, refunded_total)
    credits_before, tax_before = _split(paid, done)
    credits, tax = credits_now - credits_before, tax_now - tax_before
    reference = f"{prefix}{refunded_total}"
    record(
        session,
        user_id=top_up.user_id,
        kind="refund",
        reference=reference,
        amount=-credits,
        tax=-tax,
        post=lambda payments: payments.refund(
            top_up.user_id, credits=credits, tax=tax, reference=reference[:64]
        ),
    )
    return f"refunded {credits} micro-USD of credits"


def _disputed(session: Session, dispute: dict[str, Any]) -> str:
    found = _paid_top_up(session, dispute.get("payment_intent"))
    if found is None:
        return "ignored: not a charge of a credited top-up"
    top_up, paid = found
    credits, _ = _split(paid, _int(dispute.get("amount")))
    frozen = record(
        session,
        user_id=top_up.user_id,
        kind="dispute",
        reference=str(dispute.get("id")),
        amount=-credits,
        post=lambda payments: payments.freeze(top_up.user_id, credits, str(dispute.get("id"))[:64]),
    )
    return "already frozen" if frozen is None else f"froze {credits} micro-USD of credits"


def _dispute_closed(session: Session, dispute: dict[str, Any]) -> str:
    found = _paid_top_up(session, dispute.get("payment_intent"))
    if found is None:
        return "ignored: not a charge of a credited top-up"
    top_up, paid = found
    status, dispute_id = dispute.get("status"), str(dispute.get("id"))
    if status not in ("won", "lost"):
        return f"ignored: closed as {str(status)[:40]}"
    _disputed(session, dispute)  # a closing that overtook its opening freezes first
    credits, tax = _split(paid, _int(dispute.get("amount")))
    reference = dispute_id[:64]
    if status == "won":
        closed = record(
            session,
            user_id=top_up.user_id,
            kind="dispute_won",
            reference=dispute_id,
            amount=credits,
            post=lambda payments: payments.dispute_won(top_up.user_id, credits, reference),
        )
    else:
        closed = record(
            session,
            user_id=top_up.user_id,
            kind="dispute_lost",
            reference=dispute_id,
            amount=0,
            tax=-tax,
            post=lambda payments: payments.dispute_lost(
                top_up.user_id, credits=credits, tax=tax, reference=reference
            ),
        )
    return "already closed" if closed is None else f"dispute {status}"


def _is_reload(intent: dict[str, Any]) -> bool:
    metadata = intent.get("metadata")
    return isinstance(metadata, dict) and isinstance(metadata.get("spell_reload"), str)


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def _cents(value: Any) -> int:
    return _int(value) * CENT
