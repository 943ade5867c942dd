"""A cast's transactions, as plain SQL on the driver (spell_mcp/database/driver.py):

- `begin`: check again the key and the spell found a moment ago (perhaps from memory), hold the
  price, record the cast as running, and read the secrets it is granted;
- `finish`: for several succeeded casts at once, settle their holds (billing/cast_money.py, one
  chain extension for all), sign each receipt over its own ledger row, queue the budget alerts
  crossed, and record each cast as succeeded;
- `fail`: release the hold and record the cast as failed: nothing is charged.

A cast is recorded as finished only while it is running, so a queued cast delivered twice
(spell_mcp/queueing/) is recorded once; and the end of a queued cast is told to the caster's
webhook, if they have one, in the same transaction.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from billing import HoldNotPending, cast_money, split_price
from billing.budgets import CrossedAlert
from billing.cast_money import Settlement, Tx, placeholders
from billing.ledger import AccountKind, account_id
from billing.receipts import ReceiptSigner, digest_of
from registry import SpellVersion
from runtime import ResourceUsage, RunResult
from spell_mcp.accounts.keys import Caster
from spell_mcp.accounts.secrets import SecretBox
from spell_mcp.casting.budget_alerts import ALERT_EVENT

# What the cast's transaction checks first, in one statement: the key (when there is one) is
# still valid and its owner has not restricted processing, the spell version still castable,
# whether the caster has budgets at all (most do not: their windows need no statement), and the
# lowest confirmation threshold they set.
_KEY_VALID = (
    "SELECT count(*) FROM api_keys JOIN users ON users.id = api_keys.user_id "
    "WHERE api_keys.id = ? AND api_keys.revoked_at IS NULL "
    "AND (api_keys.expires_at IS NULL OR api_keys.expires_at > ?) AND users.status = 'active'"
)
_STILL_CASTABLE = (
    "SELECT count(*) FROM spell_versions JOIN spells ON spells.key = spell_versions.spell_key "
    "WHERE spell_versions.id = ? AND spells.status = 'active' "
    "AND spell_versions.yanked = false AND spell_versions.delisted = false"
)


@lru_cache(maxsize=8)
def _checks(subjects: int) -> str:
    marks = placeholders(subjects)
    # Only placeholders and the constant statements above are interpolated.
    budgets = f"(SELECT count(*) FROM budgets WHERE subject IN ({marks}))"  # noqa: S608
    threshold = f"(SELECT min(confirm_above_micros) FROM budgets WHERE subject IN ({marks}))"  # noqa: S608
    return f"SELECT ({_KEY_VALID}), ({_STILL_CASTABLE}), {budgets}, {threshold}"


_INSERT_CAST = (
    "INSERT INTO casts (id, caster_id, api_key_id, spell_key, spell_version, module_digest, status, "
    "price_micros, charged_micros, hold_id, input_sha256, via, created_at, queued) "
    "VALUES (?, ?, ?, ?, ?, ?, 'running', ?, 0, ?, ?, ?, ?, ?)"
)


@lru_cache(maxsize=8)
def _insert_cast_counting_budgets(subjects: int) -> str:
    """_INSERT_CAST, answering how many of the cast's budget subjects have a budget: read by a
    statement that starts after the hold locked the caster's credits."""
    budgets = f"SELECT count(*) FROM budgets WHERE subject IN ({placeholders(subjects)})"  # noqa: S608
    return f"{_INSERT_CAST} RETURNING ({budgets})"


_FINISH_CAST = (
    "UPDATE casts SET status = ?, charged_micros = ?, transfer_id = ?, output = ?, artifacts = ?, "
    "error_code = ?, error_detail = ?, usage = ?, receipt = ?, finished_at = ?, log = ? "
    "WHERE id = ? AND status = 'running'"
)
_QUEUED_RUNNING = "SELECT count(*) FROM casts WHERE caster_id = ? AND status = 'running' AND queued"
# The end of a queued cast, for its caster's webhook: written only if the cast was queued and the
# caster has a webhook.
_INSERT_CAST_EVENT = (
    "INSERT INTO webhook_deliveries (id, user_id, event_type, payload, status, attempts, "
    "next_attempt_at, created_at) SELECT ?, casts.caster_id, ?, ?, 'pending', 0, ?, ? FROM casts "
    "JOIN alert_webhooks ON alert_webhooks.user_id = casts.caster_id WHERE casts.id = ? AND casts.queued"
)
SUCCEEDED_EVENT = "cast.succeeded"
FAILED_EVENT = "cast.failed"
_INSERT_VIOLATION = (
    "INSERT INTO policy_violations (spell_key, spell_version, cast_id, kind, detail, created_at) "
    "VALUES (?, ?, ?, ?, ?, ?)"
)
_HAS_WEBHOOK = "SELECT 1 FROM alert_webhooks WHERE user_id = ?"
_INSERT_DELIVERY = (
    "INSERT INTO webhook_deliveries (id, user_id, event_type, payload, status, attempts, "
    "next_attempt_at, created_at) VALUES (?, ?, ?, ?, 'pending', 0, ?, ?)"
)


class NeedsConfirmation(Exception):
    """The price is above the caster's confirmation threshold: ask the person first."""

    def __init__(self, threshold: int) -> None:
        super().__init__(threshold)
        self.threshold = threshold


class BudgetsChanged(Exception):
    """A budget of the caster's was set while the cast's transaction waited for their credits:
    the transaction must run again, to count the cast against it."""


class Refused(Exception):
    """The key or the spell can no longer be used, or the caster has too many queued casts:
    `code` says which (unauthenticated, spell_not_found, queue_full)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True, slots=True)
class Begun:
    hold_id: str | None
    # The granted environment: the maker's secrets for the spell's env_vars.
    env: tuple[tuple[str, str], ...]
    # Run later by a worker: its end is told to the caster's webhook.
    queued: bool = False


async def begin(
    tx: Tx,
    caster: Caster,
    spell: SpellVersion,
    cast_id: str,
    input_sha256: str,
    via: str,
    *,
    confirm_above: int | None,
    confirming: bool,
    hold_ttl: timedelta,
    secrets: SecretBox,
    queued_cap: int | None = None,
) -> Begun:
    """Hold the price and record the cast as running. Raises `Refused` when the key or the spell
    no longer qualifies or (for a queued cast, with `queued_cap`) the caster has that many queued
    casts running, `NeedsConfirmation` when `confirming` and the price is above the lowest of
    `confirm_above` (the operator's) and the caster's own thresholds, and the ledger's money
    refusals (InsufficientCredits, AccountInDebt, BudgetExceeded)."""
    now = datetime.now(UTC)
    subjects = caster.budget_subjects
    checks = await tx.fetchrow(
        _checks(len(subjects)), caster.key_id or "", now, spell.id, *subjects, *subjects
    )
    assert checks is not None
    key_valid, castable, budgets, own_threshold = checks
    if caster.key_id is not None and not key_valid:
        raise Refused("unauthenticated")
    if not castable:
        raise Refused("spell_not_found")
    if queued_cap is not None:
        queued = await tx.fetchrow(_QUEUED_RUNNING, caster.user_id)
        if queued is not None and queued[0] >= queued_cap:
            raise Refused("queue_full")
    if confirming:
        thresholds = [value for value in (confirm_above, own_threshold) if value is not None]
        if thresholds and spell.price_micros > min(thresholds):
            raise NeedsConfirmation(int(min(thresholds)))
    hold_id = None
    if spell.price_micros > 0:
        hold_id = await cast_money.reserve(
            tx,
            caster.credits_account,
            spell.price_micros,
            cast_id,
            ttl=hold_ttl,
            budget_subjects=subjects if budgets else (),
            now=now,
        )
    recorded = (
        cast_id,
        caster.user_id,
        caster.key_id,
        spell.spell_key,
        spell.version,
        spell.module_digest,
        spell.price_micros,
        hold_id,
        input_sha256,
        via,
        now,
        queued_cap is not None,
    )
    if hold_id is not None and not budgets:
        # No budget was there when the checks read (before the hold locked the caster's credits),
        # but one set since (spell_mcp/payments/budgets.py takes that lock) must count this cast:
        # on PostgreSQL only a statement started after the lock sees it.
        budgeted = await tx.fetchrow(_insert_cast_counting_budgets(len(subjects)), *recorded, *subjects)
        if budgeted is not None and budgeted[0]:
            raise BudgetsChanged
    else:
        await tx.execute(_INSERT_CAST, *recorded)
    if queued_cap is not None:
        return Begun(hold_id, (), queued=True)  # its worker reads the secrets when it runs it
    return Begun(hold_id, await granted_env(tx, secrets, spell))


async def granted_env(tx: Tx, box: SecretBox, spell: SpellVersion) -> tuple[tuple[str, str], ...]:
    """The decrypted values of the spell's env_vars; a missing (or undecryptable) one is unset."""
    names: list[str] = spell.manifest["runtime"]["policy"]["env_vars"]
    if not names:
        return ()
    marks = placeholders(len(names))
    query = f"SELECT name, ciphertext FROM spell_secrets WHERE spell_key = ? AND name IN ({marks})"  # noqa: S608
    rows = await tx.fetch(query, spell.spell_key, *names)
    values = ((name, box.open(bytes(ciphertext))) for name, ciphertext in rows)
    return tuple(sorted((name, value) for name, value in values if value is not None))


@dataclass(frozen=True, slots=True)
class Success:
    """A cast that ran and produced its output, to be settled and recorded."""

    caster_id: str
    cast_id: str
    hold_id: str | None
    spell: SpellVersion
    maker_id: str
    input_sha256: str
    run: RunResult
    artifacts: list[dict[str, Any]]
    # Queued: its end is told to the caster's webhook.
    queued: bool = False


async def finish(
    tx: Tx, successes: list[Success], receipts: ReceiptSigner, maker_share_bps: int
) -> list[dict[str, Any] | HoldNotPending]:
    """Settle and record each cast; each one's signed receipt, or `HoldNotPending` when its hold
    expired before it could settle (it is then recorded as failed, and stays free)."""
    now = datetime.now(UTC)
    splits = [split_price(success.spell.price_micros, maker_share_bps) for success in successes]
    held = [(success, split) for success, split in zip(successes, splits, strict=True) if success.hold_id]
    settled = iter(
        await cast_money.settle_many(
            tx,
            [
                Settlement(
                    success.hold_id or "",
                    (
                        (account_id(AccountKind.MAKER_EARNINGS, success.maker_id), split.maker_share),
                        (account_id(AccountKind.PLATFORM_REVENUE), split.platform_fee),
                    ),
                )
                for success, split in held
            ],
            now,
        )
    )
    outcomes: list[dict[str, Any] | HoldNotPending] = []
    finished: list[tuple[Any, ...]] = []
    # Queued casts: (row, receipt), recorded one at a time.
    finished_queued: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
    for success, split in zip(successes, splits, strict=True):
        outcome = next(settled) if success.hold_id else None
        if isinstance(outcome, HoldNotPending):
            detail = "the cast finished after its hold expired; nothing was charged"
            # Expired but perhaps not yet released by the sweeper: released here.
            await fail(
                tx,
                success.cast_id,
                success.hold_id,
                "cast_interrupted",
                detail,
                success.run.usage,
                stderr=success.run.stderr,
            )
            outcomes.append(outcome)
            continue
        if outcome is not None:
            await _queue_alerts(tx, success.caster_id, outcome.alerts_crossed, now)
        spell = success.spell
        receipt = receipts.sign(
            {
                "cast_id": success.cast_id,
                "spell": {
                    "key": spell.spell_key,
                    "version": spell.version,
                    "module_digest": spell.module_digest,
                },
                "input_sha256": success.input_sha256,
                "output_sha256": digest_of(success.run.output),
                "price_micros": spell.price_micros,
                "split": {"maker_micros": split.maker_share, "platform_micros": split.platform_fee},
                "settled_at": now.isoformat(timespec="microseconds"),
                "ledger_hash": outcome.entry_hash if outcome is not None else None,
            }
        )
        row = (
            "succeeded",
            spell.price_micros,
            outcome.transfer_id if outcome is not None else None,
            json.dumps(success.run.output),
            json.dumps(success.artifacts),
            None,
            None,
            json.dumps(success.run.usage.as_dict()),
            json.dumps(receipt),
            now,
            log_of(success.run.stderr),
            success.cast_id,
        )
        if success.queued:
            finished_queued.append((row, receipt))
        else:
            finished.append(row)
        outcomes.append(receipt)
    if finished:
        await tx.executemany(_FINISH_CAST, finished)
    for row, receipt in finished_queued:
        # Told only if recorded here: a cast delivered twice is recorded, and told, once.
        if await tx.execute(_FINISH_CAST, *row):
            cast_id = row[-1]
            event = {"cast_id": cast_id, "status": "succeeded", "receipt": receipt}
            await _tell_webhook(tx, cast_id, SUCCEEDED_EVENT, event, now)
    violations = [
        row
        for success in successes
        for row in _violations(success.spell, success.cast_id, success.run.usage, now)
    ]
    if violations:
        await tx.executemany(_INSERT_VIOLATION, violations)
    return outcomes


async def fail(
    tx: Tx,
    cast_id: str,
    hold_id: str | None,
    code: str,
    detail: str,
    usage: ResourceUsage | None,
    *,
    stderr: bytes = b"",
) -> None:
    """Release the hold and record the cast as failed: nothing is charged. (Its policy
    violations, if it ran, are recorded by the caller: `record_violations`.)"""
    if hold_id is not None:
        with contextlib.suppress(HoldNotPending):  # the sweeper released it already
            await cast_money.void(tx, hold_id)
    usage_json = json.dumps(usage.as_dict()) if usage else None
    now = datetime.now(UTC)
    log = log_of(stderr)
    recorded = await tx.execute(
        _FINISH_CAST, "failed", 0, None, None, None, code, detail, usage_json, None, now, log, cast_id
    )
    if not recorded:
        return  # finished already
    event = {"cast_id": cast_id, "status": "failed", "error": {"code": code, "detail": detail}}
    await _tell_webhook(tx, cast_id, FAILED_EVENT, event, now)


async def _tell_webhook(tx: Tx, cast_id: str, event_type: str, event: dict[str, Any], now: datetime) -> None:
    """Queue the end of a queued cast for its caster's webhook (nothing for any other cast)."""
    await tx.execute(
        _INSERT_CAST_EVENT, f"msg_{uuid.uuid4().hex}", event_type, json.dumps(event), now, now, cast_id
    )


async def record_violations(tx: Tx, spell: SpellVersion, cast_id: str, usage: ResourceUsage) -> None:
    """What a failed cast tried that its policy forbids (a succeeded one's are recorded by
    `finish`)."""
    rows = _violations(spell, cast_id, usage, datetime.now(UTC))
    if rows:
        await tx.executemany(_INSERT_VIOLATION, rows)


def _violations(
    spell: SpellVersion, cast_id: str, usage: ResourceUsage, now: datetime
) -> list[tuple[Any, ...]]:
    return [
        (spell.spell_key, spell.version, cast_id, violation.kind, violation.detail[:500], now)
        for violation in usage.policy_violations
    ]


def log_of(stderr: bytes) -> str | None:
    """A spell's stderr as its execution log: text (PostgreSQL's text holds no NUL)."""
    if not stderr:
        return None
    return stderr.decode("utf-8", errors="replace").replace("\x00", "\ufffd")


async def _queue_alerts(tx: Tx, user_id: str, alerts: list[CrossedAlert], now: datetime) -> None:
    """One webhook delivery per alert crossed, if the caster has a webhook."""
    if not alerts or await tx.fetchrow(_HAS_WEBHOOK, user_id) is None:
        return
    await tx.executemany(
        _INSERT_DELIVERY,
        [
            (f"msg_{uuid.uuid4().hex}", user_id, ALERT_EVENT, json.dumps(alert.as_event()), now, now)
            for alert in alerts
        ],
    )
