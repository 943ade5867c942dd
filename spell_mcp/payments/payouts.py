"""Makers get paid: a connected Stripe account each (Express, onboarded on Stripe's pages), and
a payout job that sends every maker the earnings older than the refund window, once per maker and
UTC day, by separate transfers.

A payout is made in three steps, each safe to repeat, so that a crash anywhere (even between
Stripe making the transfer and us recording it) pays once and leaves the ledger right:
1. claim (one transaction): the payout row, unique per maker and day, and the earnings moved to
   payout clearing. A second process claiming the same payout fails on the unique index.
2. transfer: look for the payout's transfer group at Stripe first, create the transfer only if
   there is none (its idempotency key is the group, too).
3. record the transfer id. A refused transfer returns the earnings instead.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import UTC, datetime, timedelta
from functools import partial

import anyio
from sqlalchemy import func, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlmodel import col, select

from billing.payouts import pay_out, payout_returned, statement
from spell_mcp import audit
from spell_mcp.accounts.keys import Caster
from spell_mcp.audit import Actor
from spell_mcp.database.engine import Database
from spell_mcp.database.tables import Payout as Payout  # a maker's payout statement, as the faces name it
from spell_mcp.database.tables import PayoutAccount
from spell_mcp.errors import SpellError
from spell_mcp.payments.provider import ProviderRefused, StripeGateway
from spell_mcp.payments.records import CENT
from spell_mcp.settings import Settings

log = logging.getLogger("spell.payouts")


async def open_payout_account(
    db: Database, gateway: StripeGateway | None, maker: Caster, country: str, return_url: str, actor: Actor
) -> tuple[PayoutAccount, str]:
    """The maker's connected account (created once) and a fresh onboarding link."""
    if gateway is None:
        raise SpellError("not_found", "this platform makes no payouts: its operator has not set up Stripe")
    account = await db.read(lambda session: session.get(PayoutAccount, maker.user_id))
    if account is None:
        created = await gateway.payout_account(maker.user_id, country)

        def remember(session: Session) -> PayoutAccount:
            known = session.get(PayoutAccount, maker.user_id)
            if known is not None:
                return known
            fresh = PayoutAccount(
                user_id=maker.user_id, provider_account_id=created, updated_at=datetime.now(UTC)
            )
            session.add(fresh)
            session.flush()
            audit.record(session, actor, "payout.account_linked", "payout_account", created)
            return fresh

        account = await db.write(remember)
    link = await gateway.onboarding_link(account.provider_account_id, return_url)
    return account, link


async def payout_account_of(db: Database, maker_id: str) -> PayoutAccount:
    """The maker's connected account, once they opened one."""
    account = await db.read(lambda session: session.get(PayoutAccount, maker_id))
    if account is None:
        raise SpellError("not_found", "you have no payout account: POST /v1/makers/me/payouts/account")
    return account


async def payouts_of(db: Database, maker_id: str, limit: int, before: str | None = None) -> list[Payout]:
    """The maker's payout statements, newest first: at most `limit`, of periods before `before`."""
    query = select(Payout).where(col(Payout.maker_id) == maker_id)
    if before is not None:
        query = query.where(col(Payout.period) < before)
    query = query.order_by(col(Payout.period).desc()).limit(limit)
    return await db.read(lambda session: list(session.execute(query).scalars()))


def payout_group(maker_id: str, period: str) -> str:
    """The payout's name at Stripe (transfer group and idempotency key): fixed by maker and day."""
    return f"spell-payout-{maker_id}-{period}"


async def run_payouts(
    db: Database, gateway: StripeGateway, settings: Settings, now: datetime | None = None
) -> list[str]:
    """One round: every maker with an enabled account is paid what is payable, or finishes a
    payout a crashed round left pending. Returns a line per payout made or finished."""
    moment = now or datetime.now(UTC)
    period = moment.date().isoformat()
    cutoff = moment - timedelta(days=settings.payout_delay_days)
    minimum = settings.payout_minimum_micros
    accounts = await db.read(
        lambda session: list(
            session.execute(
                select(PayoutAccount).where(col(PayoutAccount.payouts_enabled).is_(True))
            ).scalars()
        )
    )
    report = []
    for account in accounts:
        try:
            payout = await db.write(
                partial(_claim, maker_id=account.user_id, period=period, cutoff=cutoff, minimum=minimum)
            )
        except IntegrityError:
            continue  # another server process claimed it this moment: it pays
        if payout is None or payout.status != "pending":
            continue
        line = await _send(db, gateway, account, payout)
        report.append(line)
        log.info("%s", line)
    return report


def _claim(session: Session, *, maker_id: str, period: str, cutoff: datetime, minimum: int) -> Payout | None:
    existing = session.execute(
        select(Payout).where(col(Payout.maker_id) == maker_id, col(Payout.period) == period)
    ).scalar_one_or_none()
    if existing is not None:
        return existing
    since = session.execute(
        select(func.max(col(Payout.cutoff))).where(
            col(Payout.maker_id) == maker_id, col(Payout.status).in_(("pending", "paid", "reversed"))
        )
    ).scalar_one()
    earnings = statement(session, maker_id, since, cutoff)
    amount = earnings.payable // CENT * CENT  # transfers are in cents; the rest waits
    if amount < minimum:
        return None
    payout = Payout(
        id=f"po_{hashlib.sha256(payout_group(maker_id, period).encode()).hexdigest()[:24]}",
        maker_id=maker_id,
        period=period,
        cutoff=cutoff,
        casts=earnings.casts,
        gross_micros=earnings.gross,
        platform_micros=earnings.platform,
        clawback_micros=earnings.clawbacks,
        amount_micros=amount,
        created_at=datetime.now(UTC),
    )
    session.add(payout)
    session.flush()  # the unique index decides between racing processes, before money moves
    pay_out(session, maker_id, amount, payout.id)
    return payout


async def _send(db: Database, gateway: StripeGateway, account: PayoutAccount, payout: Payout) -> str:
    group = payout_group(payout.maker_id, payout.period)
    try:
        transfer = await gateway.find_transfer(group) or await gateway.transfer(
            account=account.provider_account_id, amount_cents=payout.amount_micros // CENT, group=group
        )
    except ProviderRefused as refused:

        def fail(session: Session) -> None:
            failed = session.execute(
                update(Payout)
                .where(col(Payout.id) == payout.id, col(Payout.status) == "pending")
                .values(status="failed")
            )
            if failed.rowcount:  # type: ignore[attr-defined]
                payout_returned(session, payout.maker_id, payout.amount_micros, payout.id)

        await db.write(fail)
        return f"payout {payout.id} to {payout.maker_id} refused by Stripe ({refused}); the earnings wait"
    except SpellError:
        return f"payout {payout.id} to {payout.maker_id}: Stripe unreachable; the next round finishes it"

    def paid(session: Session) -> None:
        sent = session.execute(
            update(Payout)
            .where(col(Payout.id) == payout.id, col(Payout.status) == "pending")
            .values(status="paid", transfer_id=transfer, paid_at=datetime.now(UTC))
        )
        if sent.rowcount:  # type: ignore[attr-defined]
            details = {"amount_micros": payout.amount_micros, "period": payout.period, "transfer": transfer}
            audit.record(
                session,
                audit.SYSTEM,
                "payout.sent",
                "payout",
                payout.id,
                subject_id=payout.maker_id,
                details=details,
            )

    await db.write(paid)
    return f"paid {payout.maker_id} {payout.amount_micros} micro-USD for {payout.period} ({transfer})"


def transfer_reversed(session: Session, transfer: dict[str, object]) -> str:
    """`transfer.reversed`: what came back is the maker's earnings again, once."""
    payout = session.execute(
        select(Payout).where(col(Payout.transfer_id) == str(transfer.get("id")))
    ).scalar_one_or_none()
    if payout is None:
        return "ignored: not a payout's transfer"
    reversed_cents = transfer.get("amount_reversed")
    total = min(reversed_cents * CENT if isinstance(reversed_cents, int) else 0, payout.amount_micros)
    back = total - payout.returned_micros
    if back <= 0:
        return "already returned"
    payout_returned(session, payout.maker_id, back, payout.id)
    payout.returned_micros = total
    if total == payout.amount_micros:
        payout.status = "reversed"
    return f"returned {back} micro-USD to earnings"


def account_updated(session: Session, account: dict[str, object]) -> str:
    known = session.execute(
        select(PayoutAccount).where(col(PayoutAccount.provider_account_id) == str(account.get("id")))
    ).scalar_one_or_none()
    if known is None:
        return "ignored: not a maker's account"
    known.payouts_enabled = account.get("payouts_enabled") is True
    known.details_submitted = account.get("details_submitted") is True
    known.updated_at = datetime.now(UTC)
    return f"payouts {'enabled' if known.payouts_enabled else 'disabled'}"


async def pay_forever(db: Database, gateway: StripeGateway | None, settings: Settings) -> None:
    """The server's payout job; every process runs it, and each payout has one winner."""
    if gateway is None:
        return
    while True:
        try:
            await run_payouts(db, gateway, settings)
        except Exception:
            log.exception("a payout round failed; the next one retries")
        await anyio.sleep(settings.payout_interval_s)
