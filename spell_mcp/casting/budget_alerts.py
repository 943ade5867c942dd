"""Budget alerts (and the ends of queued casts) delivered to a caster's webhook.

A caster registers one HTTPS URL and receives a signing secret (shown once). Each alert a
settlement crosses is written to an outbox in that same transaction, so an alert is never lost
nor sent for money that was not spent; so is the end of each queued cast
(spell_mcp/casting/transactions.py). Every server process then delivers what is due: it
claims a delivery for a lease (two processes never send the same one at once), POSTs it signed
per Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature`; receivers
de-duplicate on the id, which a retry keeps), and retries with exponential backoff until a 2xx
or MAX_ATTEMPTS.

The URL is the caster's, so it is hostile until proven otherwise: https only, a name rather than
an IP literal, and at delivery every address it resolves to must be public, with the connection
pinned to the vetted address (the spells' network gate, runtime/net.py). Redirects are not
followed.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any
from urllib.parse import urlsplit

import anyio
import anyio.to_thread
from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session
from standardwebhooks.webhooks import Webhook

from registry.models import table_of
from runtime.net import NetworkGate, Refused
from runtime.policy import PolicyError, check_domain
from spell_mcp.accounts.secrets import SecretBox
from spell_mcp.database.engine import Database
from spell_mcp.database.tables import AlertWebhook, WebhookDelivery
from spell_mcp.errors import SpellError
from spell_mcp.observability import metrics

log = logging.getLogger("spell.webhooks")
ALERT_EVENT = "budget.alert"
MAX_ATTEMPTS = 8
FIRST_RETRY = timedelta(seconds=30)
# How long a process owns a delivery it claimed: longer than a POST may take.
LEASE = timedelta(seconds=60)
TIMEOUT_S = 10.0
MAX_URL_LENGTH = 2048
# A URL as RFC 3986 writes one: visible ASCII (an international host in its xn-- form).
URL_CHARACTERS = re.compile(r"[\x21-\x7e]+")
_deliveries = table_of(WebhookDelivery)
_webhooks = table_of(AlertWebhook)
_DUE = (
    select(_deliveries.c.id)
    .where(_deliveries.c.status == "pending", _deliveries.c.next_attempt_at <= bindparam("now"))
    .order_by(_deliveries.c.next_attempt_at)
    .limit(bindparam("limit"))
)
# Conditional on the due time it read, so of two processes only one wins each delivery.
_CLAIM = (
    update(_deliveries)
    .where(
        _deliveries.c.id == bindparam("delivery"),
        _deliveries.c.status == "pending",
        _deliveries.c.next_attempt_at <= bindparam("now"),
    )
    .values(next_attempt_at=bindparam("lease_until"), attempts=_deliveries.c.attempts + 1)
    .returning(_deliveries.c.user_id, _deliveries.c.event_type, _deliveries.c.payload, _deliveries.c.attempts)
)


@dataclass(frozen=True, slots=True)
class Claimed:
    """A delivery this process owns until its lease ends."""

    id: str
    url: str
    secret: str
    event_type: str
    payload: dict[str, Any]
    attempts: int


def check_url(url: str) -> str:
    """A webhook URL as given, if it can ever be delivered to; else `request_invalid`."""
    problem = _url_problem(url)
    if problem:
        raise SpellError("request_invalid", f"{problem}: {url[:100]!r}")
    return url


def _url_problem(url: str) -> str | None:
    if len(url) > MAX_URL_LENGTH:
        return f"the URL is longer than {MAX_URL_LENGTH} characters"
    if not URL_CHARACTERS.fullmatch(url):
        # Parsers drop tabs and line breaks, so what is stored would not be what is fetched.
        return "the URL must be ASCII without spaces, tabs, line breaks or control characters"
    try:
        parts = urlsplit(url)
        port = parts.port  # a port that is not a number from 0 to 65535 is a ValueError
    except ValueError:
        return "the URL's host or port is malformed"
    if parts.scheme != "https":
        return "the URL must be https"
    if not parts.hostname:
        return "the URL has no host"
    if parts.username or parts.password:
        return "the URL must not carry credentials; verify the signature instead"
    if not _is_domain(parts.hostname):
        return "the URL must name a host such as hooks.example.com, not an IP address or a local name"
    if port == 0:
        return "the URL's port must be from 1 to 65535"
    return None


def set_webhook(session: Session, box: SecretBox, user_id: str, url: str) -> str:
    """Register (or replace) the caster's webhook; returns its new signing secret."""
    secret = "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
    existing = session.get(AlertWebhook, user_id)
    if existing is None:
        existing = AlertWebhook(user_id=user_id, url=url, secret_ciphertext=b"", created_at=datetime.now(UTC))
    existing.url = url
    existing.secret_ciphertext = box.seal(secret)
    existing.created_at = datetime.now(UTC)
    session.add(existing)
    return secret


def remove_webhook(session: Session, user_id: str) -> bool:
    webhook = session.get(AlertWebhook, user_id)
    if webhook is None:
        return False
    session.delete(webhook)
    return True


def claim_due(session: Session, box: SecretBox, now: datetime, limit: int = 50) -> list[Claimed]:
    claimed = []
    for (delivery_id,) in session.execute(_DUE, {"now": now, "limit": limit}).all():
        row = session.execute(
            _CLAIM, {"delivery": delivery_id, "now": now, "lease_until": now + LEASE}
        ).one_or_none()
        if row is None:
            continue  # another process claimed it first
        webhook = session.get(AlertWebhook, row.user_id)
        secret = box.open(webhook.secret_ciphertext) if webhook else None
        if webhook is None or secret is None:
            _finish(session, delivery_id, "failed", None, "the webhook was removed", now)
            continue
        claimed.append(
            Claimed(delivery_id, webhook.url, secret, row.event_type, row.payload, int(row.attempts))
        )
    return claimed


def send(gate: NetworkGate, delivery: Claimed, now: datetime) -> tuple[int | None, str | None]:
    """POST one delivery (blocking; run it in a worker thread): (status code, error)."""
    body = json.dumps(
        {"type": delivery.event_type, "timestamp": now.isoformat(), "data": delivery.payload},
        separators=(",", ":"),
    )
    signature = Webhook(delivery.secret).sign(delivery.id, now, body)
    headers = [
        ("Content-Type", "application/json"),
        ("Content-Length", str(len(body.encode()))),
        ("User-Agent", "Spell-Webhooks/1"),
        ("webhook-id", delivery.id),
        ("webhook-timestamp", str(int(now.timestamp()))),
        ("webhook-signature", signature),
    ]
    try:
        return gate.post(delivery.url, body.encode(), headers, TIMEOUT_S), None
    except Refused as refusal:
        return None, refusal.message[:200]


def record(delivery: Claimed, status: int | None, error: str | None, session: Session) -> None:
    """Note how a delivery went: delivered, retried later (exponential backoff), or given up."""
    now = datetime.now(UTC)
    if status is not None and 200 <= status < 300:
        _finish(session, delivery.id, "delivered", status, None, now)
        metrics.WEBHOOK_DELIVERIES.labels("delivered").inc()
        return
    reason = error or f"the endpoint answered {status}"
    if delivery.attempts >= MAX_ATTEMPTS:
        _finish(session, delivery.id, "failed", status, reason, now)
        metrics.WEBHOOK_DELIVERIES.labels("failed").inc()
        return
    metrics.WEBHOOK_DELIVERIES.labels("retry").inc()
    retry_at = now + FIRST_RETRY * 2 ** (delivery.attempts - 1)
    session.execute(
        update(_deliveries)
        .where(_deliveries.c.id == delivery.id)
        .values(next_attempt_at=retry_at, last_status_code=status, last_error=reason)
    )


def recent_deliveries(session: Session, user_id: str, limit: int = 10) -> list[WebhookDelivery]:
    query = (
        select(WebhookDelivery)
        .where(_deliveries.c.user_id == user_id)
        .order_by(_deliveries.c.created_at.desc())
        .limit(limit)
    )
    return list(session.execute(query).scalars())


async def deliver_due(db: Database, box: SecretBox, gate: NetworkGate, now: datetime | None = None) -> int:
    """Send every delivery due now; returns how many were accepted."""
    moment = now or datetime.now(UTC)
    claimed = await db.write(lambda session: claim_due(session, box, moment))
    accepted = 0
    for delivery in claimed:
        status, error = await anyio.to_thread.run_sync(send, gate, delivery, datetime.now(UTC))
        await db.write(partial(record, delivery, status, error))
        accepted += status is not None and 200 <= status < 300
    return accepted


async def deliver_forever(db: Database, box: SecretBox, gate: NetworkGate, interval_s: float) -> None:
    while True:
        try:
            await deliver_due(db, box, gate)
        except Exception:
            log.exception("delivering webhooks failed")
        await anyio.sleep(interval_s)


def _finish(
    session: Session, delivery_id: str, status: str, code: int | None, error: str | None, now: datetime
) -> None:
    session.execute(
        update(_deliveries)
        .where(_deliveries.c.id == delivery_id)
        .values(
            status=status,
            last_status_code=code,
            last_error=error,
            delivered_at=now if status == "delivered" else None,
        )
    )


def _is_domain(host: str) -> bool:
    # The spells' network allowlist has the same rule for a host: a DNS name, no IP literal.
    try:
        check_domain(host)
    except PolicyError:
        return False
    return True
