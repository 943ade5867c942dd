"""Starting a top-up: the caster's Stripe customer (created once), then a Checkout Session
for the amount. Nothing is credited here: only Stripe's signed word that it was paid does that
(spell_mcp/payments/events.py)."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from billing import MICROS_PER_USD
from spell_mcp.accounts.keys import Caster
from spell_mcp.database.engine import Database
from spell_mcp.database.tables import PaymentCustomer, TopUp, User
from spell_mcp.errors import SpellError
from spell_mcp.payments.provider import StripeGateway
from spell_mcp.privacy import consents, notice
from spell_mcp.settings import Settings


async def check_consent(db: Database, user_id: str) -> None:
    """A top-up hands the caster's data to Stripe: refused while they withdraw that consent."""
    kind = notice.consent_kind("stripe")
    if not await db.read(lambda session: consents.in_force(session, user_id, kind, default=True)):
        raise SpellError(
            "forbidden",
            "you withdrew your consent to transfers to Stripe; give it again at "
            "PUT /v1/users/me/privacy/data-transfers/stripe to buy credits",
        )


async def start_top_up(
    db: Database,
    gateway: StripeGateway | None,
    settings: Settings,
    caster: Caster,
    amount_usd: Decimal,
    *,
    save_card: bool,
    return_url: str,
    attempt: str,
) -> TopUp:
    """`attempt` keys Stripe's idempotency: the same attempt retried gets the same session."""
    if gateway is None:
        raise SpellError("not_found", "this platform takes no payments: ask its operator for credits")
    if not settings.top_up_min_usd <= amount_usd <= settings.top_up_max_usd:
        raise SpellError(
            "request_invalid",
            f"a top-up is between ${settings.top_up_min_usd} and ${settings.top_up_max_usd}",
        )
    micros = int(amount_usd * MICROS_PER_USD)
    customer = await _customer(db, gateway, caster.user_id)
    checkout = await gateway.checkout(
        customer=customer,
        user_id=caster.user_id,
        amount_cents=micros // 10_000,
        success_url=f"{return_url}?top_up=paid",
        cancel_url=f"{return_url}?top_up=cancelled",
        automatic_tax=settings.stripe_tax,
        save_card=save_card,
        idempotency_key=f"top-up-{caster.user_id}-{attempt}",
    )

    def remember(session: Session) -> TopUp:
        known = session.get(TopUp, checkout.id)
        if known is not None:
            return known  # a retried attempt: Stripe answered with the same session
        top_up = TopUp(
            id=checkout.id,
            user_id=caster.user_id,
            amount_micros=micros,
            url=checkout.url,
            created_at=datetime.now(UTC),
        )
        session.add(top_up)
        session.flush()
        return top_up

    return await db.write(remember)


async def _customer(db: Database, gateway: StripeGateway, user_id: str) -> str:
    known = await db.read(lambda session: session.get(PaymentCustomer, user_id))
    if known is not None:
        return known.provider_customer_id
    user = await db.read(lambda session: session.get(User, user_id))
    name = user.name if user is not None else "caster"
    created = await gateway.customer(user_id, name)

    def remember(session: Session) -> None:
        session.add(
            PaymentCustomer(user_id=user_id, provider_customer_id=created, created_at=datetime.now(UTC))
        )

    # A racing request may have remembered it first: Stripe gave both the same customer.
    with contextlib.suppress(IntegrityError):
        await db.write(remember)
    return created
