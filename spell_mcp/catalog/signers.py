"""The identities a maker allows to sign their spells (like PyPI's trusted publishers): listed,
added and removed, each change audited. Versions a removed identity signed stay published."""

from __future__ import annotations

from sqlalchemy.orm import Session
from sqlmodel import col, select

from registry import SignatureError, SignerIdentity, SignerIdentityRecord, add_signer
from spell_mcp import audit
from spell_mcp.database.engine import Database
from spell_mcp.errors import SpellError


def identity_of(
    identity: str,
    issuer: str,
    repository: str | None = None,
    workflow_ref: str | None = None,
    trigger: str | None = None,
) -> SignerIdentity:
    """A signer identity as a maker declares it, or `request_invalid` saying what is wrong."""
    try:
        return SignerIdentity(identity, issuer, repository, workflow_ref, trigger)
    except SignatureError as exc:
        raise SpellError("request_invalid", str(exc)) from None


async def signers_of(db: Database, maker_id: str) -> list[SignerIdentityRecord]:
    """The identities allowed to sign a maker's spells, oldest first."""
    query = (
        select(SignerIdentityRecord)
        .where(col(SignerIdentityRecord.maker_id) == maker_id)
        .order_by(col(SignerIdentityRecord.id))
    )
    return await db.read(lambda session: list(session.execute(query).scalars()))


async def add(
    db: Database, maker_id: str, identity: SignerIdentity, actor: audit.Actor
) -> SignerIdentityRecord:
    """Allow `identity` to sign the maker's spells."""

    def work(session: Session) -> SignerIdentityRecord:
        row = add_signer(session, maker_id, identity)
        details = {"identity": identity.identity, "issuer": identity.issuer}
        audit.record(session, actor, "signer.added", "signer", str(row.id), details=details)
        return row

    return await db.write(work)


async def remove(db: Database, maker_id: str, signer_id: int, actor: audit.Actor) -> None:
    """Stop allowing one of the maker's signers."""

    def work(session: Session) -> None:
        row = session.get(SignerIdentityRecord, signer_id)
        if row is None or row.maker_id != maker_id:
            raise SpellError("not_found", f"you have no signer {signer_id}")
        session.delete(row)
        details = {"identity": row.identity, "issuer": row.issuer}
        audit.record(session, actor, "signer.removed", "signer", str(signer_id), details=details)

    await db.write(work)
