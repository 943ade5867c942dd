"""The REST face of payments: buying credits through Stripe Checkout, Stripe's webhook, the
caster's payments list, an operator's grants, and makers' payout accounts and statements
(spell_mcp/payments/)."""

from __future__ import annotations

import csv
import io
import secrets
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query, Request, Response, status
from pydantic import BaseModel, Field

from billing import MICROS_PER_USD
from spell_mcp.errors import SpellError
from spell_mcp.payments import events, grants, payouts, refunds, reloads
from spell_mcp.payments.checkout import check_consent, start_top_up
from spell_mcp.payments.records import Payment, payments_of
from spell_mcp.rest.bodies import Price, RequestBody
from spell_mcp.rest.deps import (
    JSON_BODY_ERRORS,
    ActorDep,
    AdminCaster,
    BillingCaster,
    PlatformDep,
    PublishCaster,
    price,
    problem_responses,
    public_base_url,
)
from spell_mcp.rest.idempotency import IDEMPOTENCY_ERRORS, IdempotencyKey, idempotently
from spell_mcp.rest.pagination import (
    DEFAULT_LIMIT,
    Cursor,
    Limit,
    decode_day_cursor,
    decode_time_cursor,
    page,
    time_position,
)
from spell_mcp.rest.routing import StrictJSONRoute


class TopUpRequest(RequestBody):
    amount_usd: str = Field(
        pattern=r"^[0-9]{1,7}(\.[0-9]{1,2})?$",
        description="Credits to buy, in whole cents (tax, where it applies, is added at checkout).",
        examples=["20.00"],
    )
    save_card: bool = Field(False, description="Keep the card at Stripe for automatic reloads.")


class TopUpStarted(BaseModel):
    id: str = Field(description="The checkout session.")
    url: str = Field(description="Stripe Checkout: open it to pay.")
    amount: Price


class GrantRequest(RequestBody):
    amount_usd: str = Field(
        pattern=r"^-?[0-9]{1,12}(\.[0-9]{1,6})?$",
        description="Credits to give; negative takes back (at most what is available).",
        examples=["5.00"],
    )
    reason: str = Field(min_length=1, max_length=500, description="Why: shown to the caster.")


class PaymentInfo(BaseModel):
    id: str
    kind: Literal[
        "grant", "top_up", "refund", "dispute", "dispute_won", "dispute_lost", "reload_failed", "cast_refund"
    ]
    amount: Price = Field(description="Credits in (positive) or out (negative).")
    tax: Price
    fee: Price = Field(description="What the payment provider charged the platform.")
    reference: str = Field(description="The checkout session, refund, dispute or grant.")
    reason: str | None
    receipt_url: str | None
    created_at: datetime


class PaymentList(BaseModel):
    items: list[PaymentInfo]
    next_cursor: str | None = None


class PayoutAccountRequest(RequestBody):
    country: str = Field(
        "US", pattern=r"^[A-Z]{2}$", description="Where the maker's bank account is (ISO 3166-1)."
    )


class PayoutAccountInfo(BaseModel):
    account_id: str = Field(description="The maker's connected Stripe account.")
    payouts_enabled: bool = Field(description="Stripe can pay this account (onboarding finished).")
    details_submitted: bool
    disconnected: bool = Field(
        False, description="You disconnected this account from the platform: open a payout account again."
    )
    bank_payout_status: Literal["paid", "failed"] | None = Field(
        None, description="How the account's latest payout to your bank went."
    )
    bank_payout_failure: str | None = Field(None, description="Stripe's reason, when it failed.")
    onboarding_url: str | None = Field(None, description="Finish (or update) onboarding here; expires soon.")

    @classmethod
    def of(cls, account: payouts.PayoutAccount, onboarding_url: str | None = None) -> PayoutAccountInfo:
        return cls(
            account_id=account.provider_account_id,
            payouts_enabled=account.payouts_enabled,
            details_submitted=account.details_submitted,
            disconnected=account.disconnected_at is not None,
            bank_payout_status=account.bank_payout_status,
            bank_payout_failure=account.bank_payout_failure,
            onboarding_url=onboarding_url,
        )


class PayoutInfo(BaseModel):
    id: str
    period: str = Field(description="The UTC day of the payout.")
    cutoff: datetime = Field(description="Earnings settled up to here are included.")
    casts: int
    gross: Price = Field(description="What casters paid for the casts in this statement.")
    platform: Price = Field(description="The platform's share of that.")
    clawbacks: Price
    amount: Price = Field(description="What was sent.")
    status: Literal["pending", "paid", "failed", "reversed"]
    transfer_id: str | None
    created_at: datetime
    paid_at: datetime | None


class PayoutList(BaseModel):
    items: list[PayoutInfo]
    next_cursor: str | None = None


class AutoReloadRequest(RequestBody):
    enabled: bool = True
    threshold_usd: str = Field(
        pattern=r"^[0-9]{1,7}(\.[0-9]{1,2})?$", description="Reload when available credits fall below this."
    )
    amount_usd: str = Field(pattern=r"^[0-9]{1,7}(\.[0-9]{1,2})?$", description="What one reload buys.")
    monthly_cap_usd: str = Field(
        pattern=r"^[0-9]{1,7}(\.[0-9]{1,2})?$", description="Most reloads may buy in a calendar month (UTC)."
    )


class AutoReloadInfo(BaseModel):
    enabled: bool
    card_saved: bool = Field(description="A top-up kept a card to charge (top up with save_card).")
    threshold: Price
    amount: Price
    monthly_cap: Price
    this_month: Price = Field(description="What reloads bought (or are buying) this month.")
    in_flight: bool = Field(description="A reload is being charged now.")
    failures: int = Field(description="Failed charges in a row; three turn auto-reload off.")
    last_error: str | None


class CastRefundRequest(RequestBody):
    reason: str = Field(min_length=1, max_length=500, description="Why: shown to the caster.")


class BillingOptions(BaseModel):
    """What this platform offers for money, so a page shows only what works."""

    top_ups: bool = Field(description="Credits can be bought (Stripe Checkout).")
    top_up_min: Price
    top_up_max: Price
    payouts: bool = Field(description="Makers are paid out (Stripe Connect).")


router = APIRouter(prefix="/v1", route_class=StrictJSONRoute)


def payment_info(payment: Payment) -> PaymentInfo:
    return PaymentInfo(
        id=payment.id,
        kind=payment.kind,
        amount=price(payment.amount_micros),
        tax=price(payment.tax_micros),
        fee=price(payment.fee_micros),
        reference=payment.reference,
        reason=payment.reason,
        receipt_url=payment.receipt_url,
        created_at=payment.created_at,
    )


@router.post(
    "/billing/checkout",
    tags=["billing"],
    status_code=status.HTTP_201_CREATED,
    response_model=TopUpStarted,
    responses=problem_responses(
        "unauthenticated",
        "forbidden",
        "not_found",
        *JSON_BODY_ERRORS,
        "payment_provider_unavailable",
        "payment_provider_misconfigured",
        *IDEMPOTENCY_ERRORS,
    ),
)
async def checkout(
    body: TopUpRequest,
    request: Request,
    platform: PlatformDep,
    caster: BillingCaster,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """Buy credits: a Stripe Checkout page to pay on. The credits arrive when Stripe says the
    payment succeeded (its webhook), not before."""
    await check_consent(platform.db, caster.user_id)

    async def run() -> TopUpStarted:
        top_up = await start_top_up(
            platform.db,
            platform.stripe,
            platform.settings,
            caster,
            Decimal(body.amount_usd),
            save_card=body.save_card,
            return_url=f"{public_base_url(request)}/",
            attempt=idempotency_key or secrets.token_hex(8),
        )
        return TopUpStarted(id=top_up.id, url=top_up.url, amount=price(top_up.amount_micros))

    request_body = ("POST", "/v1/billing/checkout", body.model_dump(mode="json"))
    return await idempotently(platform, caster, idempotency_key, request_body, run, status=201)


@router.post(
    "/webhooks/stripe",
    tags=["billing"],
    responses=problem_responses(
        "not_found",
        "webhook_signature_invalid",
        "payment_provider_unavailable",
        "payment_provider_misconfigured",
    ),
)
async def stripe_webhook(
    request: Request,
    platform: PlatformDep,
    stripe_signature: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> dict[str, Any]:
    """Stripe's events on the platform's own account (signed with this endpoint's secret): the
    only way credits are bought. Each is handled once however often it arrives; events this
    platform does not act on are acknowledged and recorded."""
    outcome = await events.receive(platform, await request.body(), stripe_signature)
    return {"received": True, "outcome": outcome}


@router.post(
    "/webhooks/stripe/connect",
    tags=["payouts"],
    responses=problem_responses("not_found", "webhook_signature_invalid", "request_invalid"),
)
async def stripe_connect_webhook(
    request: Request,
    platform: PlatformDep,
    stripe_signature: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> dict[str, Any]:
    """Stripe's events on makers' connected accounts (a Connect endpoint's, signed with its own
    secret): whether an account can be paid, its disconnection, its payouts to its bank."""
    outcome = await events.receive(platform, await request.body(), stripe_signature, connect=True)
    return {"received": True, "outcome": outcome}


@router.get(
    "/billing/payments",
    tags=["billing"],
    response_model=PaymentList,
    responses={200: {"content": {"text/csv": {}}}, **problem_responses("unauthenticated", "request_invalid")},
)
async def my_payments(
    platform: PlatformDep,
    caster: BillingCaster,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
    format: Annotated[Literal["json", "csv"], Query()] = "json",
) -> Any:
    """Money in and out of your credits, newest first: top-ups (with Stripe's receipt), refunds,
    disputes and grants."""
    rows = await payments_of(platform.db, caster.user_id, limit + 1, decode_time_cursor(cursor))
    shown, next_cursor = page(rows, limit, lambda payment: time_position(payment.created_at, payment.id))
    items = [payment_info(payment) for payment in shown]
    if format == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["created_at", "kind", "amount_usd", "tax_usd", "reference", "reason", "receipt_url"])
        for item in items:
            writer.writerow(
                [
                    item.created_at.isoformat(),
                    item.kind,
                    item.amount.usd,
                    item.tax.usd,
                    item.reference,
                    item.reason or "",
                    item.receipt_url or "",
                ]
            )
        return Response(out.getvalue(), media_type="text/csv; charset=utf-8")
    return PaymentList(items=items, next_cursor=next_cursor)


@router.post(
    "/admin/users/{user_id}/credits",
    tags=["billing"],
    status_code=status.HTTP_201_CREATED,
    response_model=PaymentInfo,
    responses=problem_responses(
        "unauthenticated",
        "forbidden",
        "not_found",
        *JSON_BODY_ERRORS,
        "insufficient_credits",
        *IDEMPOTENCY_ERRORS,
    ),
)
async def grant_credits(
    user_id: str,
    body: GrantRequest,
    platform: PlatformDep,
    caster: AdminCaster,
    actor: ActorDep,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """An operator gives a caster credits, or takes some back (negative), with a reason the
    caster sees. What is given repays any debt first."""
    if not caster.is_operator:
        raise SpellError("forbidden", "only the platform's operators grant credits")
    amount = int(Decimal(body.amount_usd) * MICROS_PER_USD)
    grants.check_amount(platform.settings, amount)  # a refused request keeps its Idempotency-Key free

    async def run() -> PaymentInfo:
        made = await grants.grant_credits(
            platform, actor, user_id, amount, body.reason, attempt=idempotency_key
        )
        return payment_info(made)

    request_body = ("POST", f"/v1/admin/users/{user_id}/credits", body.model_dump(mode="json"))
    return await idempotently(platform, caster, idempotency_key, request_body, run, status=201)


def payout_info(payout: payouts.Payout) -> PayoutInfo:
    return PayoutInfo(
        id=payout.id,
        period=payout.period,
        cutoff=payout.cutoff,
        casts=payout.casts,
        gross=price(payout.gross_micros),
        platform=price(payout.platform_micros),
        clawbacks=price(payout.clawback_micros),
        amount=price(payout.amount_micros),
        status=payout.status,
        transfer_id=payout.transfer_id,
        created_at=payout.created_at,
        paid_at=payout.paid_at,
    )


@router.post(
    "/makers/me/payouts/account",
    tags=["payouts"],
    responses=problem_responses(
        "unauthenticated",
        "not_found",
        *JSON_BODY_ERRORS,
        "payment_provider_unavailable",
        "payment_provider_misconfigured",
    ),
)
async def open_my_payout_account(
    body: PayoutAccountRequest,
    request: Request,
    platform: PlatformDep,
    caster: PublishCaster,
    actor: ActorDep,
) -> PayoutAccountInfo:
    """Get paid: your connected Stripe account (made once) and a link to finish onboarding."""
    account, link = await payouts.open_payout_account(
        platform.db, platform.stripe, caster, body.country, f"{public_base_url(request)}/", actor
    )
    return PayoutAccountInfo.of(account, link)


@router.get(
    "/makers/me/payouts/account",
    tags=["payouts"],
    responses=problem_responses("unauthenticated", "not_found"),
)
async def my_payout_account(platform: PlatformDep, caster: PublishCaster) -> PayoutAccountInfo:
    """Whether Stripe can pay you yet."""
    account = await payouts.payout_account_of(platform.db, caster.user_id)
    return PayoutAccountInfo.of(account)


@router.get(
    "/makers/me/payouts",
    tags=["payouts"],
    response_model=PayoutList,
    responses={200: {"content": {"text/csv": {}}}, **problem_responses("unauthenticated", "request_invalid")},
)
async def my_payouts(
    platform: PlatformDep,
    caster: PublishCaster,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
    format: Annotated[Literal["json", "csv"], Query()] = "json",
) -> Any:
    """Your payout statements, newest first: casts, what casters paid, the platform's share,
    clawbacks, and what was sent (with Stripe's transfer)."""
    rows = await payouts.payouts_of(platform.db, caster.user_id, limit + 1, decode_day_cursor(cursor))
    shown, next_cursor = page(rows, limit, lambda payout: (payout.period,))
    items = [payout_info(payout) for payout in shown]
    if format == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(
            [
                "period",
                "casts",
                "gross_usd",
                "platform_usd",
                "clawbacks_usd",
                "net_usd",
                "status",
                "transfer_id",
            ]
        )
        for item in items:
            writer.writerow(
                [
                    item.period,
                    item.casts,
                    item.gross.usd,
                    item.platform.usd,
                    item.clawbacks.usd,
                    item.amount.usd,
                    item.status,
                    item.transfer_id or "",
                ]
            )
        return Response(out.getvalue(), media_type="text/csv; charset=utf-8")
    return PayoutList(items=items, next_cursor=next_cursor)


def auto_reload_info(row: reloads.AutoReload | None) -> AutoReloadInfo:
    this_month = (
        row.month_total_micros if row is not None and row.month == datetime.now(UTC).strftime("%Y-%m") else 0
    )
    return AutoReloadInfo(
        enabled=bool(row and row.enabled),
        card_saved=bool(row and row.payment_method),
        threshold=price(row.threshold_micros if row else 0),
        amount=price(row.amount_micros if row else 0),
        monthly_cap=price(row.monthly_cap_micros if row else 0),
        this_month=price(this_month),
        in_flight=bool(row and row.in_flight),
        failures=row.failures if row else 0,
        last_error=row.last_error if row else None,
    )


@router.get("/billing/auto-reload", tags=["billing"], responses=problem_responses("unauthenticated"))
async def my_auto_reload(platform: PlatformDep, caster: BillingCaster) -> AutoReloadInfo:
    """Your auto-reload: whether a saved card is charged when your credits run low."""
    return auto_reload_info(await reloads.auto_reload_of(platform.db, caster.user_id))


@router.put(
    "/billing/auto-reload",
    tags=["billing"],
    responses=problem_responses("unauthenticated", "not_found", *JSON_BODY_ERRORS),
)
async def set_my_auto_reload(
    body: AutoReloadRequest, platform: PlatformDep, caster: BillingCaster, actor: ActorDep
) -> AutoReloadInfo:
    """Charge the card a top-up saved (`save_card`) for `amount_usd` whenever your available
    credits fall below `threshold_usd`, at most `monthly_cap_usd` a month."""
    threshold, amount, monthly_cap = (
        int(Decimal(text) * MICROS_PER_USD)
        for text in (body.threshold_usd, body.amount_usd, body.monthly_cap_usd)
    )
    row = await reloads.set_auto_reload(
        platform.db,
        platform.stripe,
        platform.settings,
        caster.user_id,
        actor,
        enabled=body.enabled,
        threshold=threshold,
        amount=amount,
        monthly_cap=monthly_cap,
    )
    return auto_reload_info(row)


@router.post(
    "/admin/casts/{cast_id}/refund",
    tags=["billing"],
    status_code=status.HTTP_201_CREATED,
    response_model=PaymentInfo,
    responses=problem_responses("unauthenticated", "forbidden", "not_found", *JSON_BODY_ERRORS),
)
async def refund_a_cast(
    cast_id: str, body: CastRefundRequest, platform: PlatformDep, caster: AdminCaster, actor: ActorDep
) -> Any:
    """An operator refunds a settled cast: the caster gets its price back, and the maker's share
    is clawed back from its earnings (carried into later payouts if they were paid already)."""
    if not caster.is_operator:
        raise SpellError("forbidden", "only the platform's operators refund casts")
    return payment_info(await refunds.refund(platform, actor, cast_id, body.reason))


@router.get("/billing/options", tags=["billing"])
async def billing_options(platform: PlatformDep) -> BillingOptions:
    """Whether credits can be bought here (and between which amounts) and makers paid out;
    without them, credits come from the platform's operator. No authentication needed."""
    settings = platform.settings
    return BillingOptions(
        top_ups=platform.stripe is not None,
        top_up_min=price(settings.top_up_min_micros),
        top_up_max=price(settings.top_up_max_micros),
        payouts=platform.stripe is not None,
    )
