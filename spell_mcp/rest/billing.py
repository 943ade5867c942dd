"""The REST face of billing: balance, budgets, usage and earnings."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlmodel import col

from billing import AccountKind, Budgets, Ledger, LedgerEntry, account_id
from billing.payments import Payments
from spell_mcp import audit
from spell_mcp.audit import Actor
from spell_mcp.casting.budget_alerts import check_url, recent_deliveries, remove_webhook, set_webhook
from spell_mcp.database.tables import AlertWebhook, ApiKey, Cast
from spell_mcp.errors import SpellError
from spell_mcp.rest.bodies import Price
from spell_mcp.rest.deps import (
    JSON_BODY_ERRORS,
    ActorDep,
    BillingCaster,
    PlatformDep,
    price,
    problem_responses,
)
from spell_mcp.rest.idempotency import IDEMPOTENCY_ERRORS, IdempotencyKey, idempotently
from spell_mcp.rest.routing import StrictJSONRoute

# A billion dollars: every amount fits the database's 64-bit integers with room to add.
MAX_MICROS = 10**15


class BudgetCaps(BaseModel):
    """Caps in micro-USD; null removes a cap."""

    model_config = ConfigDict(extra="forbid")

    daily_cap_micros: int | None = Field(None, ge=0, le=MAX_MICROS, description="Per UTC day.")
    monthly_cap_micros: int | None = Field(None, ge=0, le=MAX_MICROS, description="Per UTC calendar month.")
    per_cast_max_micros: int | None = Field(
        None, ge=0, le=MAX_MICROS, description="Most a single cast may cost."
    )
    confirm_above_micros: int | None = Field(
        None,
        ge=0,
        le=MAX_MICROS,
        description="A soft limit: over MCP, a cast priced above it is confirmed by the person first "
        "(elicitation), or refused with confirmation_required.",
    )


class Balance(BaseModel):
    balance: Price = Field(description="Credits posted to the account.")
    held: Price = Field(description="Credits reserved by casts in progress.")
    available: Price = Field(description="What the next cast may spend.")
    debt: Price = Field(
        description="What you owe (a refund or lost dispute took back spent credits); "
        "nothing can be cast until a top-up repays it."
    )
    frozen: Price = Field(description="Credits frozen while a payment of yours is disputed.")


class BudgetWindowStatus(BaseModel):
    period: str = Field(description="day or month (UTC).")
    cap_micros: int | None
    spent_micros: int
    held_micros: int = Field(description="Reserved by casts still running.")
    resets_at: datetime


class BudgetAlertInfo(BaseModel):
    period: str
    threshold: int = Field(description="Percent of the cap crossed: 50, 80 or 100.")
    window_start: datetime
    at: datetime


class BudgetStatus(BaseModel):
    subject: str = Field(description='"user:<id>" or "key:<id>".')
    caps: BudgetCaps
    windows: list[BudgetWindowStatus]
    alerts: list[BudgetAlertInfo]


class AlertWebhookRequest(BaseModel):
    url: str = Field(
        description=(
            "An https URL on a public host: every budget alert and the end of every queued cast are "
            "POSTed there, signed."
        ),
        max_length=2048,
    )


class WebhookDeliveryInfo(BaseModel):
    id: str = Field(description="The `webhook-id` header it was (or will be) sent with.")
    event_type: str = Field(description="`budget.alert`, `cast.succeeded` or `cast.failed`.")
    status: Literal["pending", "delivered", "failed"]
    attempts: int
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None
    payload: dict[str, Any]


class AlertWebhookInfo(BaseModel):
    url: str
    created_at: datetime
    deliveries: list[WebhookDeliveryInfo] = Field(description="The most recent, newest first.")


class AlertWebhookCreated(BaseModel):
    url: str
    secret: str = Field(
        description=(
            "The signing secret (Standard Webhooks, `whsec_…`), shown only now. Verify each "
            "delivery's `webhook-signature` over `webhook-id.webhook-timestamp.body` with it."
        )
    )


class UsageRow(BaseModel):
    group: str = Field(description="The day (YYYY-MM-DD), spell key or API key id.")
    casts: int
    spent: Price


class UsageReport(BaseModel):
    group: str
    since: datetime
    until: datetime
    rows: list[UsageRow]


class Earnings(BaseModel):
    balance: Price = Field(description="Earned and not yet paid out.")
    by_spell: dict[str, Price] = Field(description="Maker share earned per spell, all time.")


router = APIRouter(prefix="/v1", route_class=StrictJSONRoute)


@router.get("/users/me/balance", tags=["billing"], responses=problem_responses("unauthenticated"))
async def my_balance(platform: PlatformDep, caster: BillingCaster) -> Balance:
    """The caller's credits: posted, held by running casts, available; and any debt or frozen
    credits (docs/payments.md)."""
    money = await platform.db.read(lambda session: Payments(session).money(caster.user_id))
    return Balance(
        balance=price(money.balance),
        held=price(money.held),
        available=price(money.available),
        debt=price(money.debt),
        frozen=price(money.frozen),
    )


def budget_status(session: Session, subject: str) -> BudgetStatus:
    budgets = Budgets(session)
    budget = budgets.get(subject)
    return BudgetStatus(
        subject=subject,
        caps=BudgetCaps(
            daily_cap_micros=budget.daily_cap_micros if budget else None,
            monthly_cap_micros=budget.monthly_cap_micros if budget else None,
            per_cast_max_micros=budget.per_cast_max_micros if budget else None,
            confirm_above_micros=budget.confirm_above_micros if budget else None,
        ),
        windows=[BudgetWindowStatus(**window) for window in budgets.windows(subject, datetime.now(UTC))],
        alerts=[
            BudgetAlertInfo(period=a.period, threshold=a.threshold, window_start=a.starts, at=a.created_at)
            for a in budgets.alerts(subject)
        ],
    )


def set_budget(session: Session, subject: str, caps: BudgetCaps, actor: Actor) -> BudgetStatus:
    Budgets(session).set(subject, **caps.model_dump())
    kind, _, target = subject.partition(":")
    audit.record(session, actor, "budget.set", kind, target, details=caps.model_dump())
    return budget_status(session, subject)


@router.get("/users/me/budget", tags=["billing"], responses=problem_responses("unauthenticated"))
async def my_budget(platform: PlatformDep, caster: BillingCaster) -> BudgetStatus:
    """Your caps, what you spent and hold in the current day and month, and the alerts crossed."""
    return await platform.db.read(lambda session: budget_status(session, f"user:{caster.user_id}"))


@router.put(
    "/users/me/budget", tags=["billing"], responses=problem_responses("unauthenticated", *JSON_BODY_ERRORS)
)
async def put_my_budget(
    body: BudgetCaps, platform: PlatformDep, caster: BillingCaster, actor: ActorDep
) -> BudgetStatus:
    """Set your caps; every cast of every key of yours counts against them."""
    status = await platform.db.write(
        lambda session: set_budget(session, f"user:{caster.user_id}", body, actor)
    )
    platform.lookups.forget_caps()
    return status


@router.put(
    "/users/me/budget/webhook",
    response_model=AlertWebhookCreated,
    tags=["billing"],
    responses=problem_responses("unauthenticated", *JSON_BODY_ERRORS, *IDEMPOTENCY_ERRORS),
)
async def put_my_alert_webhook(
    body: AlertWebhookRequest,
    platform: PlatformDep,
    caster: BillingCaster,
    actor: ActorDep,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """Send your budget alerts (`budget.alert`) and the end of your queued casts (`cast.succeeded`,
    `cast.failed`) to this URL (replacing any before), signed with a new secret that is shown
    only in this response."""
    url = check_url(body.url)

    async def run() -> AlertWebhookCreated:
        def work(session: Session) -> str:
            audit.record(session, actor, "webhook.set", "webhook", caster.user_id)
            return set_webhook(session, platform.secrets, caster.user_id, url)

        secret = await platform.db.write(work)
        return AlertWebhookCreated(url=url, secret=secret)

    request = ("PUT", "/v1/users/me/budget/webhook", body.model_dump(mode="json"))
    return await idempotently(platform, caster, idempotency_key, request, run, secret=True)


@router.get(
    "/users/me/budget/webhook",
    tags=["billing"],
    responses=problem_responses("unauthenticated", "not_found"),
)
async def my_alert_webhook(platform: PlatformDep, caster: BillingCaster) -> AlertWebhookInfo:
    """Your alert webhook and how its latest deliveries went."""

    def work(session: Session) -> AlertWebhookInfo:
        webhook = session.get(AlertWebhook, caster.user_id)
        if webhook is None:
            raise SpellError("not_found", "you have no alert webhook; PUT one first")
        deliveries = [
            WebhookDeliveryInfo.model_validate(delivery, from_attributes=True)
            for delivery in recent_deliveries(session, caster.user_id)
        ]
        return AlertWebhookInfo(url=webhook.url, created_at=webhook.created_at, deliveries=deliveries)

    return await platform.db.read(work)


@router.delete(
    "/users/me/budget/webhook",
    tags=["billing"],
    status_code=204,
    responses=problem_responses("unauthenticated", "not_found"),
)
async def delete_my_alert_webhook(platform: PlatformDep, caster: BillingCaster, actor: ActorDep) -> Response:
    """Stop sending budget alerts and queued casts' ends to a webhook; deliveries not yet sent are
    dropped."""

    def work(session: Session) -> bool:
        removed = remove_webhook(session, caster.user_id)
        if removed:
            audit.record(session, actor, "webhook.removed", "webhook", caster.user_id)
        return removed

    if not await platform.db.write(work):
        raise SpellError("not_found", "you have no alert webhook")
    return Response(status_code=204)


@router.put(
    "/keys/{key_id}/budget",
    tags=["billing"],
    responses=problem_responses("unauthenticated", *JSON_BODY_ERRORS, "not_found"),
)
async def put_key_budget(
    key_id: str, body: BudgetCaps, platform: PlatformDep, caster: BillingCaster, actor: ActorDep
) -> BudgetStatus:
    """Caps for one API key, e.g. the one you hand to an agent."""

    def work(session: Session) -> BudgetStatus:
        key = session.get(ApiKey, key_id)
        if key is None or key.user_id != caster.user_id:
            raise SpellError("not_found", f"you have no API key {key_id}")
        return set_budget(session, f"key:{key_id}", body, actor)

    status = await platform.db.write(work)
    platform.lookups.forget_caps()
    return status


_GROUPS = {"day": func.date(col(Cast.created_at)), "spell": col(Cast.spell_key), "key": col(Cast.api_key_id)}


def usage_rows(
    session: Session, caster_id: str, group: str, since: datetime, until: datetime
) -> list[UsageRow]:
    bucket = _GROUPS[group]
    query = (
        select(bucket, func.count(), func.coalesce(func.sum(col(Cast.charged_micros)), 0))
        .where(
            col(Cast.caster_id) == caster_id,
            col(Cast.status) == "succeeded",
            col(Cast.created_at) >= since,
            col(Cast.created_at) < until,
        )
        .group_by(bucket)
        .order_by(bucket)
    )
    return [
        UsageRow(
            group=str(value) if value is not None else "(no key)", casts=int(count), spent=price(int(spent))
        )
        for value, count, spent in session.execute(query).all()
    ]


@router.get(
    "/users/me/usage",
    tags=["billing"],
    response_model=UsageReport,
    responses={200: {"content": {"text/csv": {}}}, **problem_responses("unauthenticated", "request_invalid")},
)
async def my_usage(
    platform: PlatformDep,
    caster: BillingCaster,
    group: Annotated[
        Literal["day", "spell", "key"], Query(description="Rows per day, spell or key.")
    ] = "day",
    since: Annotated[datetime | None, Query(description="From (inclusive); default 30 days ago.")] = None,
    until: Annotated[datetime | None, Query(description="To (exclusive); default now.")] = None,
    format: Annotated[Literal["json", "csv"], Query()] = "json",
) -> Any:
    """What your successful casts cost, grouped by day, spell or API key."""
    end = until or datetime.now(UTC)
    start = since or end - timedelta(days=30)
    if start.tzinfo is None or end.tzinfo is None:
        raise SpellError(
            "request_invalid", "give since and until with a time zone, e.g. 2026-11-01T00:00:00Z"
        )
    rows = await platform.db.read(lambda session: usage_rows(session, caster.user_id, group, start, end))
    if format == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow([group, "casts", "spent_micros", "spent_usd"])
        for row in rows:
            writer.writerow([row.group, row.casts, row.spent.micros, row.spent.usd])
        return Response(out.getvalue(), media_type="text/csv; charset=utf-8")
    return UsageReport(group=group, since=start, until=end, rows=rows)


def earnings_of(session: Session, maker_id: str) -> Earnings:
    account = account_id(AccountKind.MAKER_EARNINGS, maker_id)
    balance, _ = Ledger(session).balance(account)
    per_spell: dict[str, int] = defaultdict(int)
    query = (
        select(col(Cast.spell_key), func.sum(col(LedgerEntry.amount)))
        .join(Cast, col(Cast.id) == col(LedgerEntry.reference))
        .where(col(LedgerEntry.account_id) == account, col(LedgerEntry.kind) == "cast")
        .group_by(col(Cast.spell_key))
    )
    for key, amount in session.execute(query).all():
        per_spell[key] += int(amount)
    return Earnings(
        balance=price(balance), by_spell={key: price(amount) for key, amount in sorted(per_spell.items())}
    )


@router.get("/makers/me/earnings", tags=["billing"], responses=problem_responses("unauthenticated"))
async def my_earnings(platform: PlatformDep, caster: BillingCaster) -> Earnings:
    """Your share of every successful cast of your spells."""
    return await platform.db.read(lambda session: earnings_of(session, caster.user_id))
