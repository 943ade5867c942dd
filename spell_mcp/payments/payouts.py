"""Makers get paid: a connected Stripe account each (Express, onboarded on Stripe's pages), and
a payout job that sends every maker the earnings older than the refund window, once per maker and
UTC day, by separate transfers.

Whether an account can be paid is heard from Stripe's Connect endpoint (`connect_event`: events on
connected accounts, each naming its account) and, as a second line, asked of Stripe by the payout
job before it passes over a maker who is owed a payout (a webhook endpoint missing, late or lost
must not keep a maker unpaid).

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
from typing import Any

import anyio
from sqlalchemy import func, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlmodel import col, select

from billing.payouts import EarningsStatement, pay_out, payout_returned, statement
from spell_mcp import audit
from spell_mcp.accounts.keys import Caster
from spell_mcp.audit import Actor
from spell_mcp.database.engine import Database
from spell_mcp.database.tables import Payout as Payout  # a maker's payout statement, as the faces name it
from spell_mcp.database.tables import PayoutAccount as PayoutAccount  # a maker's payout account, too
from spell_mcp.errors import SpellError
from spell_mcp.payments.provider import AccountState, ProviderRefused, StripeGateway
from spell_mcp.payments.records import CENT
from spell_mcp.settings import Settings

log = logging.getLogger("spell.payouts")
# The events on connected accounts the platform acts on (they come to the Connect endpoint).
CONNECT_EVENTS = ("account.updated", "account.application.deauthorized", "payout.paid", "payout.failed")
# What a newly linked account is known to be: nothing yet.
_FRESH: dict[str, Any] = {
    "payouts_enabled": False,
    "details_submitted": False,
    "state_at": None,
    "disconnected_at": None,
    "bank_payout_id": None,
    "bank_payout_status": None,
    "bank_payout_failure": None,
}


async def open_payout_account(
    db: Database, gateway: StripeGateway | None, maker: Caster, country: str, return_url: str, actor: Actor
) -> tuple[PayoutAccount, str]:
    """The maker's connected account (created once) and a fresh onboarding link."""
    if gateway is None:
        raise SpellError("not_found", "this platform makes no payouts: its operator has not set up Stripe")
    account = await db.read(lambda session: session.get(PayoutAccount, maker.user_id))
    if account is None or account.disconnected_at is not None:
        replacing = account.provider_account_id if account is not None else None
        created = await gateway.payout_account(maker.user_id, country, replacing=replacing)

        def remember(session: Session) -> PayoutAccount:
            known = session.get(PayoutAccount, maker.user_id)
            if known is not None and known.provider_account_id != replacing:
                return known  # a racing request linked it first
            if known is None:
                known = PayoutAccount(
                    user_id=maker.user_id, provider_account_id=created, updated_at=datetime.now(UTC)
                )
                session.add(known)
            for name, value in _FRESH.items():
                setattr(known, name, value)
            known.provider_account_id, known.updated_at = created, datetime.now(UTC)
            session.flush()
            audit.record(session, actor, "payout.account_linked", "payout_account", created)
            return known

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
                select(PayoutAccount).where(col(PayoutAccount.disconnected_at).is_(None))
            ).scalars()
        )
    )
    report = []
    for account in accounts:
        if not account.payouts_enabled:
            owed = await db.read(partial(_payable, maker_id=account.user_id, cutoff=cutoff))
            if owed < minimum or not await _payable_now(db, gateway, account):
                continue
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


async def _payable_now(db: Database, gateway: StripeGateway, account: PayoutAccount) -> bool:
    """Stripe's word on an account no event said could be paid, remembered; False when Stripe
    cannot say now (the gateway logs why) or says it cannot be paid."""
    try:
        state = await gateway.account(account.provider_account_id)
    except SpellError:
        return False
    moment = datetime.now(UTC).replace(microsecond=0)  # as Stripe dates its events
    await db.write(lambda session: _remember_state(session, account.user_id, state, moment))
    log.info(
        "asked Stripe about %s's account %s: payable %s",
        account.user_id,
        account.provider_account_id,
        state.payable,
    )
    return state.payable


def _payable(session: Session, *, maker_id: str, cutoff: datetime) -> int:
    """What the maker would be paid now, in whole cents: the rest waits."""
    return _earnings(session, maker_id, cutoff).payable // CENT * CENT


def _earnings(session: Session, maker_id: str, cutoff: datetime) -> EarningsStatement:
    """The maker's earnings since its last payout, up to `cutoff`."""
    since = session.execute(
        select(func.max(col(Payout.cutoff))).where(
            col(Payout.maker_id) == maker_id, col(Payout.status).in_(("pending", "paid", "reversed"))
        )
    ).scalar_one()
    return statement(session, maker_id, since, cutoff)


def _claim(session: Session, *, maker_id: str, period: str, cutoff: datetime, minimum: int) -> Payout | None:
    existing = session.execute(
        select(Payout).where(col(Payout.maker_id) == maker_id, col(Payout.period) == period)
    ).scalar_one_or_none()
    if existing is not None:
        return existing
    earnings = _earnings(session, maker_id, cutoff)
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


def connect_event(session: Session, event: dict[str, Any], kind: str, obj: dict[str, Any]) -> str:
    """An event on a connected account (verified with the Connect endpoint's secret; `account`
    names the account, whatever its data.object is):
    - account.updated: whether the account can be paid (an update older than what is known is
      ignored: Stripe does not promise order);
    - account.application.deauthorized: the maker disconnected it; nothing more is sent to it, and
      asking for a payout account again opens a new one;
    - payout.paid / payout.failed: how the account's own payout to its bank went (the money left
      the ledger with the transfer; a failed bank payout stays in the maker's Stripe balance until
      they fix their bank details), shown to the maker."""
    account_id, moment = str(event.get("account")), _moment(event.get("created"))
    known = session.execute(
        select(PayoutAccount).where(col(PayoutAccount.provider_account_id) == account_id)
    ).scalar_one_or_none()
    if known is None:
        return "ignored: not a maker's account"
    if kind not in CONNECT_EVENTS:
        return "ignored: not an event this platform acts on"
    if kind == "account.updated":
        if obj.get("id") != account_id:
            return "ignored: the event's account is not the one it names"
        if known.state_at is not None and moment < known.state_at:
            return "ignored: older than what is known of the account"
        _remember_state(session, known.user_id, AccountState.of(obj), moment)
        return f"payouts {'enabled' if known.payouts_enabled else 'disabled'}"
    if kind == "account.application.deauthorized":
        if known.disconnected_at is None:
            known.payouts_enabled, known.disconnected_at, known.updated_at = False, moment, datetime.now(UTC)
            audit.record(
                session,
                audit.SYSTEM,
                "payout.account_disconnected",
                "payout_account",
                account_id,
                subject_id=known.user_id,
            )
        return "account disconnected: no more payouts to it"
    status = kind.removeprefix("payout.")
    known.bank_payout_id = str(obj.get("id", ""))[:255] or None
    known.bank_payout_status = status
    failure = obj.get("failure_message") if status == "failed" else None
    known.bank_payout_failure = str(failure)[:500] if failure else None
    known.updated_at = datetime.now(UTC)
    if status == "failed":
        log.warning("a bank payout of %s's account %s failed: %s", known.user_id, account_id, failure)
    return f"bank payout {status}"


def _remember_state(session: Session, maker_id: str, state: AccountState, moment: datetime) -> None:
    account = session.get(PayoutAccount, maker_id)
    if account is None:
        return
    account.payouts_enabled, account.details_submitted = state.payable, state.details_submitted
    account.state_at, account.updated_at = moment, datetime.now(UTC)


def _moment(created: Any) -> datetime:
    """When Stripe says an event happened (now, if it does not say)."""
    if isinstance(created, int) and not isinstance(created, bool) and created > 0:
        return datetime.fromtimestamp(created, UTC)
    return datetime.now(UTC)


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
