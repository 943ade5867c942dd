"""A caster's budgets: caps on all their casts or on one API key's, what each capped window (UTC
day, month) has spent and holds, and the alerts crossed; setting caps (audited, and forgotten by
whatever remembers caps); and the webhook their budget alerts and queued casts' ends are sent to
(spell_mcp/casting/budget_alerts.py delivers them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session
from sqlmodel import col

from billing import Budgets
from billing.models import Budget, BudgetAlert
from billing.payments import CasterMoney, Payments
from spell_mcp import audit
from spell_mcp.accounts.keys import Caster, own_key
from spell_mcp.casting.budget_alerts import recent_deliveries, remove_webhook, set_webhook
from spell_mcp.database.engine import Database
from spell_mcp.database.tables import AlertWebhook, Cast, WebhookDelivery
from spell_mcp.errors import SpellError
from spell_mcp.platform import Platform


@dataclass(frozen=True, slots=True)
class BudgetState:
    subject: str  # "user:<id>" or "key:<id>"
    budget: Budget | None
    windows: list[dict[str, Any]]
    alerts: list[BudgetAlert]


def _state(session: Session, subject: str) -> BudgetState:
    budgets = Budgets(session)
    return BudgetState(
        subject, budgets.get(subject), budgets.windows(subject, datetime.now(UTC)), budgets.alerts(subject)
    )


async def budget_of(db: Database, user_id: str) -> BudgetState:
    """The caster's own budget (every key of theirs counts against it)."""
    return await db.read(lambda session: _state(session, f"user:{user_id}"))


async def standing_of(db: Database, caster: Caster) -> tuple[CasterMoney, list[BudgetState]]:
    """The caster's credits and every budget a cast of theirs counts against (their own and, cast
    with a key, the key's), read together."""

    def read(session: Session) -> tuple[CasterMoney, list[BudgetState]]:
        states = [_state(session, subject) for subject in caster.budget_subjects]
        return Payments(session).money(caster.user_id), states

    return await db.read(read)


async def set_budget(
    platform: Platform,
    caster: Caster,
    actor: audit.Actor,
    caps: dict[str, int | None],
    *,
    key_id: str | None = None,
) -> BudgetState:
    """Set the caps (micro-USD; None removes one) of the caster, or of one of their keys. A cap
    counts what was spent in its window before it was set."""
    subject = f"key:{key_id}" if key_id is not None else f"user:{caster.user_id}"

    def work(session: Session) -> BudgetState:
        if key_id is not None:
            own_key(session, caster, key_id)
        budgets = Budgets(session)
        budgets.set(subject, **caps)
        spent_since = partial(_spent_since, session, caster.user_id, key_id)
        budgets.count_earlier_spending(subject, caster.credits_account, datetime.now(UTC), spent_since)
        kind, _, target = subject.partition(":")
        audit.record(session, actor, "budget.set", kind, target, details=caps)
        return _state(session, subject)

    state = await platform.db.write(work)
    platform.lookups.forget_caps()
    return state


def _spent_since(session: Session, user_id: str, key_id: str | None, start: datetime) -> int:
    """What the caster's casts (with `key_id`, that key's) since `start` were charged, or hold
    while they run."""
    cost = case(
        (col(Cast.status) == "succeeded", col(Cast.charged_micros)),
        (col(Cast.status) == "running", col(Cast.price_micros)),
        else_=0,
    )
    query = select(func.coalesce(func.sum(cost), 0)).where(
        col(Cast.caster_id) == user_id, col(Cast.created_at) >= start
    )
    if key_id is not None:
        query = query.where(col(Cast.api_key_id) == key_id)
    return int(session.execute(query).scalar_one())


async def set_alert_webhook(platform: Platform, user_id: str, url: str, actor: audit.Actor) -> str:
    """Send the caster's alerts to `url` (as `check_url` accepted it), replacing any before; the
    new signing secret, shown this once."""

    def work(session: Session) -> str:
        audit.record(session, actor, "webhook.set", "webhook", user_id)
        return set_webhook(session, platform.secrets, user_id, url)

    return await platform.db.write(work)


async def alert_webhook_of(db: Database, user_id: str) -> tuple[AlertWebhook, list[WebhookDelivery]]:
    """The caster's alert webhook and its latest deliveries, newest first."""

    def read(session: Session) -> tuple[AlertWebhook, list[WebhookDelivery]]:
        webhook = session.get(AlertWebhook, user_id)
        if webhook is None:
            raise SpellError("not_found", "you have no alert webhook; PUT one first")
        return webhook, recent_deliveries(session, user_id)

    return await db.read(read)


async def remove_alert_webhook(db: Database, user_id: str, actor: audit.Actor) -> None:
    """Stop sending the caster's alerts anywhere; deliveries not yet sent are dropped."""

    def work(session: Session) -> bool:
        removed = remove_webhook(session, user_id)
        if removed:
            audit.record(session, actor, "webhook.removed", "webhook", user_id)
        return removed

    if not await db.write(work):
        raise SpellError("not_found", "you have no alert webhook")
