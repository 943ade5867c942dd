"""Auto-reload: a caster who saved a card at a top-up may ask to be charged a set amount whenever
their available credits fall below a threshold, never beyond a monthly cap.

At most one reload is in flight per caster, however many casts race below the threshold: a
reload is claimed by one conditional UPDATE (`in_flight` empty, the month's total plus this reload
within the cap), and the credits arrive only with Stripe's `payment_intent.succeeded` webhook.
A failed charge is listed in the caster's payments with Stripe's reason; three in a row turn
auto-reload off. A claim nobody finished (a server that died) is free again after an hour.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import anyio
from sqlalchemy import or_, update
from sqlalchemy.orm import Session
from sqlmodel import col, select

from billing.payments import Payments
from spell_mcp import audit
from spell_mcp.casting.refusals import SHORT_OF_MONEY
from spell_mcp.database.engine import Database
from spell_mcp.database.tables import AutoReload as AutoReload  # a caster's auto-reload, as the faces name it
from spell_mcp.database.tables import PaymentCustomer, TopUp
from spell_mcp.errors import SpellError
from spell_mcp.payments.provider import ProviderRefused, Settlement, StripeGateway
from spell_mcp.payments.records import CENT, paid_back_if_erased, record
from spell_mcp.settings import Settings

log = logging.getLogger("spell.reloads")
MAX_FAILURES = 3
STALE_CLAIM = timedelta(hours=1)


def _month(now: datetime) -> str:
    return now.strftime("%Y-%m")


def configure(
    session: Session, user_id: str, *, enabled: bool, threshold: int, amount: int, monthly_cap: int
) -> AutoReload:
    row = session.get(AutoReload, user_id)
    if enabled and (row is None or row.payment_method is None):
        raise SpellError(
            "request_invalid",
            'auto-reload charges a saved card: top up once with "save_card": true first',
        )
    if amount > monthly_cap:
        raise SpellError("request_invalid", "one reload cannot be more than the monthly cap")
    now = datetime.now(UTC)
    row = _standing(session, user_id)
    row.enabled, row.threshold_micros, row.amount_micros, row.monthly_cap_micros = (
        enabled,
        threshold,
        amount,
        monthly_cap,
    )
    if enabled:
        row.failures, row.last_error = 0, None
    row.updated_at = now
    session.flush()
    return row


async def auto_reload_of(db: Database, user_id: str) -> AutoReload | None:
    """The caster's auto-reload, if they ever set one or saved a card."""
    return await db.read(lambda session: session.get(AutoReload, user_id))


async def set_auto_reload(
    db: Database,
    gateway: StripeGateway | None,
    settings: Settings,
    user_id: str,
    actor: audit.Actor,
    *,
    enabled: bool,
    threshold: int,
    amount: int,
    monthly_cap: int,
) -> AutoReload:
    """Charge the caster's saved card `amount` whenever their available credits fall below
    `threshold`, at most `monthly_cap` a month (micro-USD); audited."""
    if gateway is None:
        raise SpellError("not_found", "this platform takes no payments")
    if amount < settings.top_up_min_micros:
        raise SpellError("request_invalid", f"a reload buys at least ${settings.top_up_min_usd}")

    def work(session: Session) -> AutoReload:
        row = configure(
            session, user_id, enabled=enabled, threshold=threshold, amount=amount, monthly_cap=monthly_cap
        )
        details = {"enabled": enabled, "amount_micros": amount, "monthly_cap_micros": monthly_cap}
        audit.record(session, actor, "auto_reload.set", "user", user_id, details=details)
        return row

    return await db.write(work)


def card_saved(session: Session, user_id: str, payment_method: str) -> None:
    """A top-up kept its card: auto-reload may use it (it stays off until the caster turns it on)."""
    _standing(session, user_id).payment_method = payment_method


def _standing(session: Session, user_id: str) -> AutoReload:
    """The caster's auto-reload, or a new one that is off."""
    row = session.get(AutoReload, user_id)
    if row is None:
        now = datetime.now(UTC)
        row = AutoReload(
            user_id=user_id,
            enabled=False,
            threshold_micros=0,
            amount_micros=0,
            monthly_cap_micros=0,
            month=_month(now),
            updated_at=now,
        )
        session.add(row)
    return row


async def refused_for_money(
    db: Database, gateway: StripeGateway | None, caster_id: str, error: SpellError
) -> SpellError:
    """A cast refused for want of credits starts the caster's auto-reload (where it is on);
    the refusal then says so. Any other refusal comes back as it was."""
    if error.code not in SHORT_OF_MONEY or not await reload_if_low(db, gateway, caster_id):
        return error
    return SpellError(
        error.code,
        f"{error.detail}; an auto-reload of your saved card has started: cast again once it is paid",
        headers=error.headers,
        **error.extra,
        reloading=True,
    )


async def reload_if_low(db: Database, gateway: StripeGateway | None, user_id: str) -> str | None:
    """Charge the caster's saved card if auto-reload is on, their credits are low, the monthly
    cap allows it and no other reload is in flight. Returns what happened, or None."""
    if gateway is None:
        return None
    standing = await db.read(lambda session: session.get(AutoReload, user_id))
    if standing is None or not standing.enabled:
        return None  # most casters: one read, no write
    reload_id = f"reload_{uuid.uuid4().hex}"
    claimed = await db.write(lambda session: _claim(session, user_id, reload_id))
    if claimed is None:
        return None
    customer, card, amount = claimed
    try:
        status = await gateway.charge_saved_card(
            customer=customer,
            payment_method=card,
            amount_cents=amount // CENT,
            user_id=user_id,
            reload_id=reload_id,
        )
    except ProviderRefused as refused:
        reason = refused.reason
        await db.write(lambda session: reload_failed(session, user_id, reload_id, amount, reason))
        return f"reload {reload_id} refused: {reason}"
    except SpellError:
        return f"reload {reload_id}: Stripe unreachable; its webhook (or the stale claim) settles it"
    log.info("auto-reload %s for %s: %s", reload_id, user_id, status)
    return f"reload {reload_id}: {status}"


def _claim(session: Session, user_id: str, reload_id: str) -> tuple[str, str, int] | None:
    row = session.get(AutoReload, user_id)
    customer = session.get(PaymentCustomer, user_id)
    if row is None or not row.enabled or row.payment_method is None or customer is None:
        return None
    money = Payments(session).money(user_id)
    if money.available >= row.threshold_micros and money.debt == 0:
        return None
    now = datetime.now(UTC)
    month = _month(now)
    spent = row.month_total_micros if row.month == month else 0
    if spent + row.amount_micros > row.monthly_cap_micros:
        return None
    won = session.execute(
        update(AutoReload)
        .where(
            col(AutoReload.user_id) == user_id,
            col(AutoReload.enabled).is_(True),
            or_(col(AutoReload.in_flight).is_(None), col(AutoReload.updated_at) < now - STALE_CLAIM),
            col(AutoReload.month_total_micros) == row.month_total_micros,
        )
        .values(
            in_flight=reload_id, month=month, month_total_micros=spent + row.amount_micros, updated_at=now
        )
    )
    if won.rowcount != 1:  # type: ignore[attr-defined]
        return None
    return customer.provider_customer_id, row.payment_method, row.amount_micros


def reload_failed(session: Session, user_id: str, reload_id: str, amount: int, reason: str) -> str:
    failed = record(
        session,
        user_id=user_id,
        kind="reload_failed",
        reference=reload_id,
        amount=0,
        reason=f"auto-reload of {amount // CENT / 100:.2f} USD failed: {reason}"[:500],
        post=None,
    )
    if failed is None:
        return "already recorded"
    row = session.get(AutoReload, user_id)
    if row is not None and row.in_flight == reload_id:
        row.in_flight = None
        row.month_total_micros = max(row.month_total_micros - amount, 0)
        row.failures += 1
        row.last_error = reason[:500]
        if row.failures >= MAX_FAILURES:
            row.enabled = False
        row.updated_at = datetime.now(UTC)
    return "reload failed"


def reload_paid(
    session: Session, intent: dict[str, Any], settlement: Settlement | None, refunded: set[str]
) -> str:
    """`payment_intent.succeeded` for a reload: the credits arrive, once; or, the caster erased
    their account meanwhile, the payment is refunded (`paid_back_if_erased`)."""
    metadata = intent.get("metadata") or {}
    user_id, reload_id = str(metadata.get("spell_user_id")), str(metadata.get("spell_reload"))
    fee_cents = settlement.fee_cents if settlement else 0
    intent_id = str(intent.get("id") or "")
    if (
        paid_back := paid_back_if_erased(session, user_id, intent_id, fee_cents, reload_id, refunded)
    ) is not None:
        return paid_back
    row = session.get(AutoReload, user_id)
    if row is None:
        return "ignored: no auto-reload for this caster"
    received = intent.get("amount_received")
    credits = received * CENT if isinstance(received, int) and received > 0 else 0
    if credits == 0:
        return "ignored: nothing received"
    fee = settlement.fee_cents * CENT if settlement else 0
    paid = record(
        session,
        user_id=user_id,
        kind="top_up",
        reference=reload_id,
        amount=credits,
        fee=fee,
        reason="auto-reload",
        receipt_url=settlement.receipt_url if settlement else None,
        post=lambda payments: payments.top_up(
            user_id, credits=credits, tax=0, fee=fee, reference=reload_id[:64]
        ),
    )
    if paid is None:
        return "already credited"
    # Remembered as a paid top-up with its payment, so that a refund or a dispute of the charge
    # finds what it bought (spell_mcp/payments/events.py) as it does for a checkout's.
    now = datetime.now(UTC)
    session.add(
        TopUp(
            id=reload_id,
            user_id=user_id,
            amount_micros=credits,
            status="paid",
            url="",
            payment_intent=str(intent.get("id")),
            created_at=now,
            paid_at=now,
        )
    )
    if row.in_flight == reload_id:
        row.in_flight, row.failures, row.updated_at = None, 0, datetime.now(UTC)
    return f"reloaded {credits} micro-USD"


async def reload_forever(db: Database, gateway: StripeGateway | None, settings: Settings) -> None:
    """Every process looks for casters below their threshold now and then (casts refused for
    want of credits ask at once); the claim lets only one reload through."""
    if gateway is None:
        return
    while True:
        try:
            low = await db.read(
                lambda session: list(
                    session.execute(
                        select(AutoReload.user_id).where(
                            col(AutoReload.enabled).is_(True), col(AutoReload.in_flight).is_(None)
                        )
                    ).scalars()
                )
            )
            for user_id in low:
                await reload_if_low(db, gateway, user_id)
        except Exception:
            log.exception("an auto-reload round failed; the next one retries")
        await anyio.sleep(settings.auto_reload_interval_s)
