"""Users' privacy rights over REST (docs/privacy.md), and operators' legal holds. These routes
serve a user who restricted processing too: they are how a user exercises their rights."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response, status
from sqlalchemy.orm import Session
from sqlmodel import col, select

from spell_mcp import audit
from spell_mcp.accounts.keys import Caster
from spell_mcp.accounts.web_sessions import SESSION_COOKIE
from spell_mcp.database.tables import ApiKey, LegalHold, User, UserPreferences
from spell_mcp.errors import SpellError
from spell_mcp.privacy import consents, erasure, export, holds, notice
from spell_mcp.rest.bodies import (
    DataTransfer,
    DataTransfers,
    LegalHoldInfo,
    LegalHoldList,
    LegalHoldRequest,
    PrivacyPreferences,
    Rectification,
    TransferConsent,
)
from spell_mcp.rest.deps import (
    JSON_BODY_ERRORS,
    ActorDep,
    AdminCaster,
    CasterDep,
    PlatformDep,
    problem_responses,
)
from spell_mcp.rest.routing import StrictJSONRoute

router = APIRouter(prefix="/v1", route_class=StrictJSONRoute)
ERASURE_GRACE = timedelta(days=90)


def owner(caster: Caster) -> Caster:
    """A privacy request changes or reveals the whole account: the owner's key (the admin
    scope) or their browser session, never a narrower key handed to an agent."""
    if "admin" not in caster.scopes:
        raise SpellError(
            "forbidden", "privacy requests need your own key (the admin scope) or a browser session"
        )
    return caster


def _user(session: Session, caster: Caster) -> User:
    user = session.get(User, caster.user_id)
    if user is None or user.status == "erased":
        raise SpellError("unauthenticated", "the account no longer exists")
    return user


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

    def work(session: Session) -> dict[str, object]:
        _user(session, caster)
        audit.record(session, actor, "privacy.exported", "user", caster.user_id, details={"format": format})
        return export.collect(session, caster.user_id)

    data = await platform.db.write(work)
    stamp = datetime.now(UTC).strftime("%Y%m%d")
    if format == "zip":
        return Response(
            export.as_zip(data, platform.blobs),
            media_type="application/zip",
            headers={"Content-Disposition": f'attachment; filename="spell-data-{stamp}.zip"'},
        )
    return Response(
        export.as_json(data),
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="spell-data-{stamp}.json"'},
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
    changes = body.model_dump(exclude_unset=True)
    if changes.get("name", "") is None:
        raise SpellError("request_invalid", "a name cannot be removed, only corrected")

    def work(session: Session) -> None:
        user = _user(session, caster)
        for field, value in changes.items():
            setattr(user, field, value)
        audit.record(
            session, actor, "privacy.rectified", "user", user.id, details={"fields": sorted(changes)}
        )

    await platform.db.write(work)
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
    now = datetime.now(UTC)
    key_ids = await platform.db.write(
        lambda session: erasure.erase(session, caster.user_id, now, ERASURE_GRACE)
    )
    for key_id in key_ids:
        await platform.announcer.key_changed(key_id)
    await platform.announcer.casts_must_stop(caster.user_id)
    await platform.casts.credits_changed(caster.user_id)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    response.delete_cookie(SESSION_COOKIE)
    return response


async def _set_restriction(
    platform: PlatformDep, caster: Caster, actor: audit.Actor, restricted: bool
) -> None:
    def work(session: Session) -> list[str]:
        user = _user(session, caster)
        user.status = "restricted" if restricted else "active"
        action = "privacy.restricted" if restricted else "privacy.unrestricted"
        audit.record(session, actor, action, "user", user.id)
        return list(session.execute(select(col(ApiKey.id)).where(col(ApiKey.user_id) == user.id)).scalars())

    for key_id in await platform.db.write(work):
        await platform.announcer.key_changed(key_id)  # every process forgets what it remembers
    if restricted:
        await platform.announcer.casts_must_stop(caster.user_id)


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
    await _set_restriction(platform, caster, actor, True)
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
    await _set_restriction(platform, caster, actor, False)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/users/me/preferences", tags=["privacy"], responses=problem_responses("unauthenticated"))
async def my_preferences(platform: PlatformDep, caster: CasterDep) -> PrivacyPreferences:
    """What you chose about the use of your data."""
    row = await platform.db.read(lambda session: session.get(UserPreferences, caster.user_id))
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

    def work(session: Session) -> None:
        _user(session, caster)
        row = session.get(UserPreferences, caster.user_id)
        now = datetime.now(UTC)
        if row is None:
            session.add(UserPreferences(user_id=caster.user_id, updated_at=now, **body.model_dump()))
        else:
            row.do_not_sell, row.product_emails, row.updated_at = body.do_not_sell, body.product_emails, now
        audit.record(
            session, actor, "privacy.preferences_set", "user", caster.user_id, details=body.model_dump()
        )

    await platform.db.write(work)
    return body


@router.get("/users/me/privacy/report", tags=["privacy"], responses=problem_responses("unauthenticated"))
async def privacy_report(platform: PlatformDep, caster: CasterDep) -> dict[str, object]:
    """What the platform collects about you, why, for how long, and who receives it (CCPA)."""
    row = await platform.db.read(lambda session: session.get(UserPreferences, caster.user_id))
    return notice.report(platform.settings, bool(row and row.do_not_sell))


async def _transfers(platform: PlatformDep, caster: Caster) -> DataTransfers:
    recipients = notice.recipients(platform.settings)

    def read(session: Session) -> list[bool]:
        return [
            consents.in_force(session, caster.user_id, notice.consent_kind(r.id), default=True)
            for r in recipients
        ]

    given = await platform.db.read(read)
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
            for r, ok in zip(recipients, given, strict=True)
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
    if recipient not in {r.id for r in notice.recipients(platform.settings)}:
        raise SpellError("not_found", f"no transfer to {recipient[:40]} on this platform")

    def work(session: Session) -> None:
        consents.record(
            session, caster.user_id, notice.consent_kind(recipient), body.consent, datetime.now(UTC)
        )
        action = "privacy.consent_given" if body.consent else "privacy.consent_withdrawn"
        audit.record(session, actor, action, "user", caster.user_id, details={"transfer": recipient})

    await platform.db.write(work)
    return await _transfers(platform, caster)


def hold_info(hold: LegalHold) -> LegalHoldInfo:
    return LegalHoldInfo.model_validate(hold, from_attributes=True)


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
    now = datetime.now(UTC)
    placed = await platform.db.write(
        lambda session: holds.place(session, actor, body.target_type, body.target_id, body.reason, now)
    )
    return hold_info(placed)


@router.get(
    "/admin/legal-holds", tags=["operations"], responses=problem_responses("unauthenticated", "forbidden")
)
async def list_holds(platform: PlatformDep, caster: AdminCaster) -> LegalHoldList:
    """Operator: the legal holds in force."""
    _operator(caster)
    query = select(LegalHold).where(col(LegalHold.released_at).is_(None)).order_by(col(LegalHold.created_at))
    rows = await platform.db.read(lambda session: list(session.execute(query).scalars()))
    return LegalHoldList(items=[hold_info(row) for row in rows])


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
    released = await platform.db.write(
        lambda session: holds.release(session, actor, hold_id, datetime.now(UTC))
    )
    return hold_info(released)
