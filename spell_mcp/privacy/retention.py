"""Retention (seed §30.1): what the platform keeps, for how long, and the job that removes the
rest. One server process runs it at a time (a lease on its scheduled_jobs row); `spell
retention run --dry-run` says what a run would remove without removing anything.

A legal hold on a user or a spell (holds.py) keeps every record of theirs that a run would
otherwise touch. The ledger is never touched: its entries are kept 7 years, and removing any
is a decision for people, not a job (it would break the hash chain)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import String, and_, cast, delete, func, not_, null, or_, update
from sqlalchemy.orm import Session
from sqlmodel import col, select

from billing.models import BudgetAlert, BudgetWindow
from registry import BlobStore
from registry.models import SpellVersion
from spell_mcp.database.tables import (
    ApiKey,
    AuditEvent,
    Cast,
    Consent,
    PolicyViolationRecord,
    User,
    WebhookDelivery,
)
from spell_mcp.privacy.holds import held

DAY = timedelta(days=1)
# How long each kind of record is kept (docs/privacy.md shows the same table).
PERIODS = {
    "input_hashes": 90 * DAY,  # a cast's input hash (and the stored copy of its receipt, which names it)
    "artifacts": 30 * DAY,  # the files casts wrote
    "execution_logs": 90 * DAY,  # what spells wrote to stderr
    "webhook_deliveries": 90 * DAY,  # budget-alert deliveries sent or given up
    "budget_history": 365 * DAY,  # budget windows and the alerts they crossed
    "audit_trail": 365 * DAY,  # the audit trail (its trigger refuses anything younger)
    "policy_violations": 365 * DAY,
}
LEDGER_YEARS = 7  # kept; never removed by a job


@dataclass
class Removed:
    """What a run removed, or (dry run) would remove: records per kind."""

    input_hashes: int = 0
    artifacts: int = 0
    artifact_files: int = 0
    execution_logs: int = 0
    webhook_deliveries: int = 0
    budget_history: int = 0
    audit_trail: int = 0
    policy_violations: int = 0
    erased_users_purged: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def run(session: Session, blobs: BlobStore, now: datetime, *, dry_run: bool) -> Removed:
    """Remove (or count) what is past its period at `now`."""
    users, spells = held(session, "user"), held(session, "spell")
    removed = Removed()
    free = and_(col(Cast.caster_id).not_in(users), col(Cast.spell_key).not_in(spells))

    def casts_before(period: str, *conditions: Any) -> Any:
        return and_(col(Cast.created_at) < now - PERIODS[period], free, *conditions)

    old_inputs = casts_before("input_hashes", col(Cast.input_sha256) != "")
    removed.input_hashes = _count(session, Cast, old_inputs)
    old_logs = casts_before("execution_logs", col(Cast.log).is_not(None))
    removed.execution_logs = _count(session, Cast, old_logs)
    old_files = casts_before(
        "artifacts", col(Cast.artifacts).is_not(None), cast(col(Cast.artifacts), String) != "[]"
    )
    files = _artifact_digests(session, old_files)
    removed.artifacts = _count(session, Cast, old_files)
    unused = [digest for digest in files if _unreferenced(session, digest, leaving=old_files)]
    removed.artifact_files = len(unused)
    if not dry_run:
        # null(): SQL NULL, not the JSON document `null`, so that a record once cleared is
        # never counted again.
        session.execute(update(Cast).where(old_inputs).values(input_sha256="", receipt=null()))
        session.execute(update(Cast).where(old_logs).values(log=None))
        session.execute(update(Cast).where(old_files).values(artifacts=null()))
        for digest in unused:
            blobs.delete(digest)

    held_subjects = [f"user:{user}" for user in users]
    budget_cutoff = now - PERIODS["budget_history"]
    for model in (BudgetWindow, BudgetAlert):
        condition = and_(col(model.starts) < budget_cutoff, col(model.subject).not_in(held_subjects))
        removed.budget_history += _remove(session, model, condition, dry_run)
    removed.webhook_deliveries = _remove(
        session,
        WebhookDelivery,
        and_(
            col(WebhookDelivery.status) != "pending",
            col(WebhookDelivery.created_at) < now - PERIODS["webhook_deliveries"],
            col(WebhookDelivery.user_id).not_in(users),
        ),
        dry_run,
    )
    trail = and_(
        col(AuditEvent.created_at) < now - PERIODS["audit_trail"],
        not_(or_(col(AuditEvent.actor_id).in_(users), col(AuditEvent.subject_id).in_(users))),
        not_(and_(col(AuditEvent.target_type) == "spell", col(AuditEvent.target_id).in_(spells))),
    )
    removed.audit_trail = _remove(session, AuditEvent, trail, dry_run)
    violations = and_(
        col(PolicyViolationRecord.created_at) < now - PERIODS["policy_violations"],
        col(PolicyViolationRecord.spell_key).not_in(spells),
    )
    removed.policy_violations = _remove(session, PolicyViolationRecord, violations, dry_run)
    removed.erased_users_purged = _purge_erased(session, now, users, dry_run)
    return removed


def _purge_erased(session: Session, now: datetime, held_users: set[str], dry_run: bool) -> int:
    """Erased users past their grace period: their cast records and consents go; the user row
    stays as a tombstone (payments and payouts, kept for the law, refer to it)."""
    due = list(
        session.execute(
            select(col(User.id)).where(
                col(User.status) == "erased", col(User.purge_after) <= now, col(User.id).not_in(held_users)
            )
        ).scalars()
    )
    if dry_run or not due:
        return len(due)
    session.execute(delete(Cast).where(col(Cast.caster_id).in_(due)))
    session.execute(delete(Consent).where(col(Consent.user_id).in_(due)))
    session.execute(delete(ApiKey).where(col(ApiKey.user_id).in_(due)))
    session.execute(update(User).where(col(User.id).in_(due)).values(purge_after=None))
    return len(due)


def _count(session: Session, model: Any, condition: Any) -> int:
    return int(session.execute(select(func.count()).select_from(model).where(condition)).scalar_one())


def _remove(session: Session, model: Any, condition: Any, dry_run: bool) -> int:
    if dry_run:
        return _count(session, model, condition)
    return int(session.execute(delete(model).where(condition)).rowcount)  # type: ignore[attr-defined]


def _artifact_digests(session: Session, condition: Any) -> set[str]:
    digests: set[str] = set()
    for artifacts in session.execute(select(col(Cast.artifacts)).where(condition)).scalars():
        digests.update(str(artifact["sha256"]) for artifact in artifacts or [] if "sha256" in artifact)
    return digests


def _unreferenced(session: Session, digest: str, *, leaving: Any) -> bool:
    """Whether no cast but those `leaving` keeps these bytes among its files, and no spell
    version uses them (its module, package, bundle or resource trees): blobs are shared by
    content, and a caster can make a spell write a file byte for byte equal to somebody's
    package."""
    pattern = f"%{digest}%"
    in_casts = (
        select(col(Cast.id)).where(cast(col(Cast.artifacts), String).like(pattern), not_(leaving)).limit(1)
    )
    in_spells = (
        select(col(SpellVersion.id))
        .where(
            or_(
                col(SpellVersion.module_digest) == digest,
                col(SpellVersion.package_digest) == digest,
                col(SpellVersion.bundle_digest) == digest,
                cast(col(SpellVersion.resources), String).like(pattern),
            )
        )
        .limit(1)
    )
    return session.execute(in_casts).first() is None and session.execute(in_spells).first() is None
