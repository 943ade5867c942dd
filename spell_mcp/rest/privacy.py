"""Users' privacy rights over REST (docs/privacy.md), and operators' legal holds. These routes
serve a user who restricted processing too: they are how a user exercises their rights."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response, status
from pydantic import BaseModel, Field

from spell_mcp.accounts.keys import Caster
from spell_mcp.accounts.web_sessions import SESSION_COOKIE
from spell_mcp.errors import SpellError
from spell_mcp.privacy import holds, rights
from spell_mcp.rest.bodies import RequestBody
from spell_mcp.rest.deps import (
    JSON_BODY_ERRORS,
    ActorDep,
    AdminCaster,
    CasterDep,
    PlatformDep,
    problem_responses,
)
from spell_mcp.rest.routing import StrictJSONRoute


class Rectification(RequestBody):
    """What to correct; a field left out is left as it is."""

    name: str | None = Field(None, min_length=1, max_length=200)
    email: str | None = Field(
        None,
        max_length=320,
        pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
        description="Where the platform may write to you; send an empty body field as null to remove it.",
    )


class PrivacyPreferences(RequestBody):
    do_not_sell: bool = Field(
        description="Do not sell or share my personal information (CCPA). Spell sells none; this is "
        "kept on record."
    )
    product_emails: bool = Field(description="E-mails about new features (never without this).")


class DataTransfer(BaseModel):
    recipient: str = Field(description="Its id in PUT /v1/users/me/privacy/data-transfers/{recipient}.")
    name: str
    country: str
    receives: str
    purpose: str
    consent: bool = Field(description="Whether you consent; without it, the feature stops for you.")


class DataTransfers(BaseModel):
    items: list[DataTransfer]


class TransferConsent(RequestBody):
    consent: bool


class LegalHoldRequest(RequestBody):
    target_type: Literal["user", "spell"]
    target_id: str = Field(min_length=1, max_length=64)
    reason: str = Field(min_length=1, max_length=500)


class LegalHoldInfo(BaseModel):
    id: str
    target_type: str
    target_id: str
    reason: str
    created_at: datetime
    released_at: datetime | None


class LegalHoldList(BaseModel):
    items: list[LegalHoldInfo]


router = APIRouter(prefix="/v1", route_class=StrictJSONRoute)


def owner(caster: Caster) -> Caster:
    """A privacy request changes or reveals the whole account: the owner's key (the admin
    scope) or their browser session, never a narrower key handed to an agent, nor a secret that a
    rotation replaced."""
    caster.require_current()
    if "admin" not in caster.scopes:
        raise SpellError(
            "forbidden", "privacy requests need your own key (the admin scope) or a browser session"
        )
    return caster


@router.get(
    "/users/me/data-export",
    tags=["privacy"],
    responses={
        200: {"content": {"application/json": {}, "application/zip": {}}},
        **problem_responses("unauthenticated", "forbidden", "request_invalid"),
    },
)
async def data_export(
    platform: PlatformDep,
    caster: CasterDep,
    actor: ActorDep,
    format: Annotated[
        Literal["json", "zip"], Query(description="zip adds the files your casts made.")
    ] = "json",
) -> Response:
    """A copy of all your data: profile, keys (never their secrets), casts, payments, consents,
    your audit trail, and as a maker your spells and payouts."""
    owner(caster)
    data = await rights.data_export(platform, caster.user_id, actor, format)
    stamp = datetime.now(UTC).strftime("%Y%m%d")
    return Response(
        data,
        media_type=f"application/{format}",
        headers={"Content-Disposition": f'attachment; filename="spell-data-{stamp}.{format}"'},
    )


@router.patch(
    "/users/me",
    tags=["privacy"],
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses("unauthenticated", "forbidden", *JSON_BODY_ERRORS),
)
async def rectify(body: Rectification, platform: PlatformDep, caster: CasterDep, actor: ActorDep) -> Response:
    """Correct your name or e-mail address (null removes the address)."""
    owner(caster)
    await rights.rectify(platform.db, caster.user_id, body.model_dump(exclude_unset=True), actor)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete(
    "/users/me",
    tags=["privacy"],
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses("unauthenticated", "forbidden", "erasure_on_hold"),
)
async def erase_me(platform: PlatformDep, caster: CasterDep) -> Response:
    """Erase your account: your keys stop working at once, nothing more is charged, your name,
    e-mail, keys, webhooks and outputs are removed now and your remaining records in 90 days.
    The ledger keeps its entries (they name no one) and the audit trail its year, with your keys
    redacted. Your credits are forfeited: withdraw or spend them first."""
    owner(caster)
    await rights.erase(platform, caster.user_id)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.post(
    "/users/me/suspend",
    tags=["privacy"],
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses("unauthenticated", "forbidden"),
)
async def restrict(platform: PlatformDep, caster: CasterDep, actor: ActorDep) -> Response:
    """Restrict the processing of your data (GDPR art. 18): your data is kept but nothing is
    cast, charged, published or changed for you until you lift it; your privacy requests still
    work."""
    owner(caster)
    await rights.restrict(platform, caster.user_id, actor, True)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete(
    "/users/me/suspend",
    tags=["privacy"],
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses("unauthenticated", "forbidden"),
)
async def lift_restriction(platform: PlatformDep, caster: CasterDep, actor: ActorDep) -> Response:
    """Lift the restriction: your keys work again."""
    owner(caster)
    await rights.restrict(platform, caster.user_id, actor, False)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/users/me/preferences", tags=["privacy"], responses=problem_responses("unauthenticated"))
async def my_preferences(platform: PlatformDep, caster: CasterDep) -> PrivacyPreferences:
    """What you chose about the use of your data."""
    row = await rights.preferences_of(platform.db, caster.user_id)
    return PrivacyPreferences(
        do_not_sell=bool(row and row.do_not_sell), product_emails=bool(row and row.product_emails)
    )


@router.put(
    "/users/me/preferences",
    tags=["privacy"],
    responses=problem_responses("unauthenticated", "forbidden", *JSON_BODY_ERRORS),
)
async def set_preferences(
    body: PrivacyPreferences, platform: PlatformDep, caster: CasterDep, actor: ActorDep
) -> PrivacyPreferences:
    """Set your preferences (do-not-sell, e-mails)."""
    owner(caster)
    await rights.set_preferences(platform.db, caster.user_id, actor, **body.model_dump())
    return body


@router.get("/users/me/privacy/report", tags=["privacy"], responses=problem_responses("unauthenticated"))
async def privacy_report(platform: PlatformDep, caster: CasterDep) -> dict[str, object]:
    """What the platform collects about you, why, for how long, and who receives it (CCPA)."""
    return await rights.report(platform, caster.user_id)


async def _transfers(platform: PlatformDep, caster: Caster) -> DataTransfers:
    return DataTransfers(
        items=[
            DataTransfer(
                recipient=r.id,
                name=r.name,
                country=r.country,
                receives=r.receives,
                purpose=r.purpose,
                consent=ok,
            )
            for r, ok in await rights.transfers(platform, caster.user_id)
        ]
    )


@router.get(
    "/users/me/privacy/data-transfers", tags=["privacy"], responses=problem_responses("unauthenticated")
)
async def data_transfers(platform: PlatformDep, caster: CasterDep) -> DataTransfers:
    """Who abroad receives some of your data, and whether you consent (seed §30.6)."""
    return await _transfers(platform, caster)


@router.put(
    "/users/me/privacy/data-transfers/{recipient}",
    tags=["privacy"],
    responses=problem_responses("unauthenticated", "forbidden", "not_found", *JSON_BODY_ERRORS),
)
async def consent_to_transfer(
    recipient: str, body: TransferConsent, platform: PlatformDep, caster: CasterDep, actor: ActorDep
) -> DataTransfers:
    """Give or withdraw your consent to a transfer; withdrawn, the feature that needs it stops
    for you (e.g. buying credits through Stripe)."""
    owner(caster)
    await rights.consent_to_transfer(platform, caster.user_id, recipient, body.consent, actor)
    return await _transfers(platform, caster)


def _operator(caster: Caster) -> None:
    if not caster.is_operator:
        raise SpellError("forbidden", "only the platform's operators place legal holds")


@router.post(
    "/admin/legal-holds",
    tags=["operations"],
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses("unauthenticated", "forbidden", *JSON_BODY_ERRORS),
)
async def place_hold(
    body: LegalHoldRequest, platform: PlatformDep, caster: AdminCaster, actor: ActorDep
) -> LegalHoldInfo:
    """Operator: keep every record of a user or a spell (no retention, no erasure) until released."""
    _operator(caster)
    placed = await holds.place_hold(platform.db, actor, body.target_type, body.target_id, body.reason)
    return LegalHoldInfo.model_validate(placed, from_attributes=True)


@router.get(
    "/admin/legal-holds", tags=["operations"], responses=problem_responses("unauthenticated", "forbidden")
)
async def list_holds(platform: PlatformDep, caster: AdminCaster) -> LegalHoldList:
    """Operator: the legal holds in force."""
    _operator(caster)
    rows = await holds.holds_in_force(platform.db)
    return LegalHoldList(items=[LegalHoldInfo.model_validate(row, from_attributes=True) for row in rows])


@router.delete(
    "/admin/legal-holds/{hold_id}",
    tags=["operations"],
    responses=problem_responses("unauthenticated", "forbidden", "not_found"),
)
async def release_hold(
    hold_id: str, platform: PlatformDep, caster: AdminCaster, actor: ActorDep
) -> LegalHoldInfo:
    """Operator: release a legal hold; retention and erasure apply again."""
    _operator(caster)
    released = await holds.release_hold(platform.db, actor, hold_id)
    return LegalHoldInfo.model_validate(released, from_attributes=True)
