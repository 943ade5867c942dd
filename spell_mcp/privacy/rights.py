"""A user exercising their rights over their data (docs/privacy.md): a copy of it, correcting it,
erasing the account, restricting processing, their preferences, and consent to transfers abroad.
Each request is one unit of work with its audit event, and its effects on every server process
(keys forgotten, running casts stopped)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from sqlalchemy.orm import Session
from sqlmodel import col, select

from spell_mcp import audit
from spell_mcp.accounts.users import check_name_free, live_user
from spell_mcp.database.engine import Database
from spell_mcp.database.tables import ApiKey, UserPreferences
from spell_mcp.errors import SpellError
from spell_mcp.platform import Platform
from spell_mcp.privacy import consents, erasure, export, notice

ERASURE_GRACE = timedelta(days=90)


async def data_export(
    platform: Platform, user_id: str, actor: audit.Actor, format: Literal["json", "zip"]
) -> bytes:
    """All of the user's data, as JSON or (with the files their casts made) a zip."""

    def work(session: Session) -> dict[str, object]:
        live_user(session, user_id)
        audit.record(session, actor, "privacy.exported", "user", user_id, details={"format": format})
        return export.collect(session, user_id)

    data = await platform.db.write(work)
    return export.as_zip(data, platform.blobs) if format == "zip" else export.as_json(data)


async def rectify(db: Database, user_id: str, changes: dict[str, Any], actor: audit.Actor) -> None:
    """Correct the user's name or e-mail address (None removes the address)."""
    if changes.get("name", "") is None:
        raise SpellError("request_invalid", "a name cannot be removed, only corrected")

    def work(session: Session) -> None:
        user = live_user(session, user_id)
        if "name" in changes:
            check_name_free(session, changes["name"], operator=user.is_operator, user_id=user.id)
        for field, value in changes.items():
            setattr(user, field, value)
        audit.record(
            session, actor, "privacy.rectified", "user", user.id, details={"fields": sorted(changes)}
        )

    await db.write(work)


async def erase(platform: Platform, user_id: str) -> None:
    """Erase the account (spell_mcp/privacy/erasure.py): its keys stop working on every process at
    once, its running casts stop, and whatever remembers its credits forgets them."""
    now = datetime.now(UTC)
    key_ids = await platform.db.write(lambda session: erasure.erase(session, user_id, now, ERASURE_GRACE))
    for key_id in key_ids:
        await platform.announcer.key_changed(key_id)
    await platform.announcer.casts_must_stop(user_id)
    await platform.casts.credits_changed(user_id)


async def restrict(platform: Platform, user_id: str, actor: audit.Actor, restricted: bool) -> None:
    """Restrict the processing of the user's data (GDPR art. 18), or lift the restriction: every
    process forgets what it remembers of their keys, and, restricted, their casts stop."""

    def work(session: Session) -> list[str]:
        user = live_user(session, user_id)
        user.status = "restricted" if restricted else "active"
        action = "privacy.restricted" if restricted else "privacy.unrestricted"
        audit.record(session, actor, action, "user", user.id)
        return list(session.execute(select(col(ApiKey.id)).where(col(ApiKey.user_id) == user.id)).scalars())

    for key_id in await platform.db.write(work):
        await platform.announcer.key_changed(key_id)
    if restricted:
        await platform.announcer.casts_must_stop(user_id)


async def preferences_of(db: Database, user_id: str) -> UserPreferences | None:
    """What the user chose about the use of their data (None: nothing yet)."""
    return await db.read(lambda session: session.get(UserPreferences, user_id))


async def set_preferences(
    db: Database, user_id: str, actor: audit.Actor, *, do_not_sell: bool, product_emails: bool
) -> None:
    def work(session: Session) -> None:
        live_user(session, user_id)
        row = session.get(UserPreferences, user_id)
        now = datetime.now(UTC)
        if row is None:
            session.add(
                UserPreferences(
                    user_id=user_id, do_not_sell=do_not_sell, product_emails=product_emails, updated_at=now
                )
            )
        else:
            row.do_not_sell, row.product_emails, row.updated_at = do_not_sell, product_emails, now
        details = {"do_not_sell": do_not_sell, "product_emails": product_emails}
        audit.record(session, actor, "privacy.preferences_set", "user", user_id, details=details)

    await db.write(work)


async def report(platform: Platform, user_id: str) -> dict[str, object]:
    """What the platform collects about the user, why, for how long, and who receives it."""
    row = await preferences_of(platform.db, user_id)
    return notice.report(platform.settings, bool(row and row.do_not_sell))


async def transfers(platform: Platform, user_id: str) -> list[tuple[notice.Recipient, bool]]:
    """Who abroad receives some of the user's data, and whether the user consents."""
    recipients = notice.recipients(platform.settings)

    def read(session: Session) -> list[bool]:
        return [
            consents.in_force(session, user_id, notice.consent_kind(r.id), default=True) for r in recipients
        ]

    return list(zip(recipients, await platform.db.read(read), strict=True))


async def consent_to_transfer(
    platform: Platform, user_id: str, recipient: str, consent: bool, actor: audit.Actor
) -> None:
    """Give or withdraw consent to a transfer; withdrawn, the feature that needs it stops."""
    if recipient not in {r.id for r in notice.recipients(platform.settings)}:
        raise SpellError("not_found", f"no transfer to {recipient[:40]} on this platform")

    def work(session: Session) -> None:
        consents.record(session, user_id, notice.consent_kind(recipient), consent, datetime.now(UTC))
        action = "privacy.consent_given" if consent else "privacy.consent_withdrawn"
        audit.record(session, actor, action, "user", user_id, details={"transfer": recipient})

    await platform.db.write(work)
