"""The REST face of billing: balance, budgets, usage and earnings."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from spell_mcp.casting.budget_alerts import check_url
from spell_mcp.payments import budgets, reports
from spell_mcp.rest.bodies import Moment, Price, RequestBody
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


class BudgetCaps(RequestBody):
    """Caps in micro-USD; null removes a cap."""

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


class AlertWebhookRequest(RequestBody):
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
    money = await reports.money_of(platform.db, caster.user_id)
    return Balance(
        balance=price(money.balance),
        held=price(money.held),
        available=price(money.available),
        debt=price(money.debt),
        frozen=price(money.frozen),
    )


def budget_status(state: budgets.BudgetState) -> BudgetStatus:
    budget = state.budget
    return BudgetStatus(
        subject=state.subject,
        caps=BudgetCaps(
            daily_cap_micros=budget.daily_cap_micros if budget else None,
            monthly_cap_micros=budget.monthly_cap_micros if budget else None,
            per_cast_max_micros=budget.per_cast_max_micros if budget else None,
            confirm_above_micros=budget.confirm_above_micros if budget else None,
        ),
        windows=[BudgetWindowStatus(**window) for window in state.windows],
        alerts=[
            BudgetAlertInfo(period=a.period, threshold=a.threshold, window_start=a.starts, at=a.created_at)
            for a in state.alerts
        ],
    )


@router.get("/users/me/budget", tags=["billing"], responses=problem_responses("unauthenticated"))
async def my_budget(platform: PlatformDep, caster: BillingCaster) -> BudgetStatus:
    """Your caps, what you spent and hold in the current day and month, and the alerts crossed."""
    return budget_status(await budgets.budget_of(platform.db, caster.user_id))


@router.put(
    "/users/me/budget", tags=["billing"], responses=problem_responses("unauthenticated", *JSON_BODY_ERRORS)
)
async def put_my_budget(
    body: BudgetCaps, platform: PlatformDep, caster: BillingCaster, actor: ActorDep
) -> BudgetStatus:
    """Set your caps; every cast of every key of yours counts against them, those of the current
    day and month before the caps were set included."""
    return budget_status(await budgets.set_budget(platform, caster, actor, body.model_dump()))


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
        secret = await budgets.set_alert_webhook(platform, caster.user_id, url, actor)
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
    webhook, deliveries = await budgets.alert_webhook_of(platform.db, caster.user_id)
    return AlertWebhookInfo(
        url=webhook.url,
        created_at=webhook.created_at,
        deliveries=[WebhookDeliveryInfo.model_validate(d, from_attributes=True) for d in deliveries],
    )


@router.delete(
    "/users/me/budget/webhook",
    tags=["billing"],
    status_code=204,
    responses=problem_responses("unauthenticated", "not_found"),
)
async def delete_my_alert_webhook(platform: PlatformDep, caster: BillingCaster, actor: ActorDep) -> Response:
    """Stop sending budget alerts and queued casts' ends to a webhook; deliveries not yet sent are
    dropped."""
    await budgets.remove_alert_webhook(platform.db, caster.user_id, actor)
    return Response(status_code=204)


@router.put(
    "/keys/{key_id}/budget",
    tags=["billing"],
    responses=problem_responses("unauthenticated", *JSON_BODY_ERRORS, "not_found"),
)
async def put_key_budget(
    key_id: str, body: BudgetCaps, platform: PlatformDep, caster: BillingCaster, actor: ActorDep
) -> BudgetStatus:
    """Caps for one API key, e.g. the one you hand to an agent; the key's casts of the current day
    and month before the caps were set count against them."""
    return budget_status(await budgets.set_budget(platform, caster, actor, body.model_dump(), key_id=key_id))


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
    since: Annotated[Moment | None, Query(description="From (inclusive); default 30 days ago.")] = None,
    until: Annotated[Moment | None, Query(description="To (exclusive); default now.")] = None,
    format: Annotated[Literal["json", "csv"], Query()] = "json",
) -> Any:
    """What your successful casts cost, grouped by day, spell or API key."""
    usage = await reports.usage_of(platform.db, caster.user_id, group, since, until)
    rows = [UsageRow(group=line.group, casts=line.casts, spent=price(line.spent)) for line in usage.lines]
    if format == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow([group, "casts", "spent_micros", "spent_usd"])
        for row in rows:
            writer.writerow([row.group, row.casts, row.spent.micros, row.spent.usd])
        return Response(out.getvalue(), media_type="text/csv; charset=utf-8")
    return UsageReport(group=group, since=usage.since, until=usage.until, rows=rows)


@router.get("/makers/me/earnings", tags=["billing"], responses=problem_responses("unauthenticated"))
async def my_earnings(platform: PlatformDep, caster: BillingCaster) -> Earnings:
    """Your share of every successful cast of your spells."""
    earned = await reports.earnings_of(platform.db, caster.user_id)
    return Earnings(
        balance=price(earned.balance),
        by_spell={key: price(amount) for key, amount in earned.by_spell.items()},
    )
