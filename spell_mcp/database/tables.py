"""The server's own tables: users, API keys and recorded casts."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, ForeignKey, Index, String, Text
from sqlmodel import Field, SQLModel

from registry.models import UTCDateTime


class User(SQLModel, table=True):
    __tablename__ = "users"

    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)
    is_operator: bool = False
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    # The GitHub account that signs in as this user (spell_mcp/accounts/web_sessions.py), if any.
    github_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    # Where the platform may write to the user (they give it; they may change or remove it).
    email: str | None = Field(default=None, max_length=320)
    # active | restricted (processing restricted at their request: no casts, no charges) | erased
    status: str = Field(default="active", max_length=16)
    erased_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    # An erased user's remaining records are purged then (spell_mcp/privacy/retention.py).
    purge_after: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    __table_args__ = (Index("uq_users_github_id", "github_id", unique=True),)


class ApiKey(SQLModel, table=True):
    """Only the SHA-256 of a key's secret is stored; the secret is shown once, at creation."""

    __tablename__ = "api_keys"

    id: str = Field(primary_key=True, max_length=32)
    user_id: str = Field(foreign_key="users.id", max_length=64, index=True)
    name: str = Field(max_length=200)
    secret_sha256: str = Field(max_length=64)
    # After a rotation the old secret stays valid until previous_valid_until.
    previous_secret_sha256: str | None = Field(default=None, max_length=64)
    previous_valid_until: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    scopes: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    expires_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    last_used_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    revoked_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    # The agent this key was granted to when a person signed it in with OAuth
    # (spell_mcp/accounts/oauth/): its tokens, not a secret of the key's own, authenticate it.
    oauth_client_id: str | None = Field(default=None, max_length=512)


class OAuthClient(SQLModel, table=True):
    """An agent that may ask people to sign it in (spell_mcp/accounts/oauth/clients.py): one that
    registered here (RFC 7591), or one known by the URL of its metadata document, whose copy is
    kept until `refresh_after`. Only the SHA-256 of a registered client's secret is kept."""

    __tablename__ = "oauth_clients"

    client_id: str = Field(primary_key=True, max_length=512)
    secret_sha256: str | None = Field(default=None, max_length=64)
    # RFC 7591 client metadata (redirect_uris, client_name, grant_types, …) as accepted.
    document: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    # Only for a metadata document: when it must be fetched again.
    refresh_after: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))


class OAuthCode(SQLModel, table=True):
    """An authorization code (only its SHA-256 is kept), exchanged at most once for the grant a
    person approved: the key `key_id`, for one client, redirect URI, resource and PKCE challenge."""

    __tablename__ = "oauth_codes"

    code_sha256: str = Field(primary_key=True, max_length=64)
    client_id: str = Field(max_length=512)
    key_id: str = Field(
        sa_column=Column(
            String(32), ForeignKey("api_keys.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    # As the authorization request named it (None when it named none).
    redirect_uri: str | None = Field(default=None, sa_column=Column(Text))
    scopes: list[str] = Field(sa_column=Column(JSON, nullable=False))
    resource: str = Field(max_length=512)
    code_challenge: str = Field(max_length=128)
    expires_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    used_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))


class OAuthToken(SQLModel, table=True):
    """An access or refresh token issued for a grant (the key `key_id`, revoked with it); only its
    SHA-256 is kept. A refresh token is used once: the refresh replaces it (`replaced_at`)."""

    __tablename__ = "oauth_tokens"

    token_sha256: str = Field(primary_key=True, max_length=64)
    kind: str = Field(max_length=8)  # access | refresh
    key_id: str = Field(
        sa_column=Column(
            String(32), ForeignKey("api_keys.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    client_id: str = Field(max_length=512)
    scopes: list[str] = Field(sa_column=Column(JSON, nullable=False))
    resource: str = Field(max_length=512)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    expires_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    replaced_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    revoked_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))


class Cast(SQLModel, table=True):
    """One run of a spell by a caster: recorded when it starts, completed when it ends."""

    __tablename__ = "casts"
    __table_args__ = (Index("ix_casts_caster_created", "caster_id", "created_at"),)

    id: str = Field(primary_key=True, max_length=64)
    caster_id: str = Field(foreign_key="users.id", max_length=64)
    api_key_id: str | None = Field(default=None, max_length=32)
    spell_key: str = Field(max_length=64)
    spell_version: str = Field(max_length=64)
    module_digest: str = Field(max_length=64)
    # running | succeeded | failed
    status: str = Field(max_length=16)
    price_micros: int = Field(sa_column=Column(BigInteger, nullable=False))
    charged_micros: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, default=0))
    hold_id: str | None = Field(default=None, max_length=64)
    transfer_id: str | None = Field(default=None, max_length=64)
    input_sha256: str = Field(max_length=64)
    output: Any | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    error_code: str | None = Field(default=None, max_length=64)
    error_detail: str | None = None
    usage: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    # [{"name", "size", "sha256"}] of the files the spell wrote under /scratch.
    artifacts: list[dict[str, Any]] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    # The platform's signed receipt of a settled cast (billing.receipts).
    receipt: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    via: str = Field(max_length=16)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    finished_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    # The head of what the spell wrote to stderr: its execution log, for its maker only.
    log: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # Answered once held, run by a worker (spell_mcp/queueing/); its end is told to the webhook.
    queued: bool = False


class SpellSecret(SQLModel, table=True):
    """A maker's secret for one spell, set as the environment variable `name` of its casts when
    the manifest lists it in env_vars. Stored encrypted (Fernet); never returned by the API."""

    __tablename__ = "spell_secrets"

    spell_key: str = Field(primary_key=True, max_length=64)
    name: str = Field(primary_key=True, max_length=128)
    ciphertext: bytes
    updated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class IdempotencyRecord(SQLModel, table=True):
    """The first response to a request sent with an Idempotency-Key (spell_mcp.rest.idempotency)."""

    __tablename__ = "idempotency_keys"

    caster_id: str = Field(primary_key=True, max_length=64)
    key: str = Field(primary_key=True, max_length=200)
    request_sha256: str = Field(max_length=64)
    # None while the first request runs.
    status: int | None = None
    response: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class AlertWebhook(SQLModel, table=True):
    """Where a caster's budget alerts are POSTed, and the secret they are signed with (Standard
    Webhooks). The secret is stored encrypted (Fernet) and shown once, when it is made."""

    __tablename__ = "alert_webhooks"

    user_id: str = Field(primary_key=True, max_length=64)
    url: str = Field(max_length=2048)
    secret_ciphertext: bytes
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class WebhookDelivery(SQLModel, table=True):
    """One event for one caster's webhook: written in the transaction that caused it (an
    outbox), then sent, and retried with backoff until it is accepted or given up."""

    __tablename__ = "webhook_deliveries"

    id: str = Field(primary_key=True, max_length=40)
    user_id: str = Field(index=True, max_length=64)
    event_type: str = Field(max_length=64)
    payload: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    # pending → delivered | failed
    status: str = Field(max_length=16)
    attempts: int = 0
    next_attempt_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))
    last_status_code: int | None = None
    last_error: str | None = Field(default=None, max_length=200)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    delivered_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))


class WebSession(SQLModel, table=True):
    """A browser's signed-in session (cookie). Only the SHA-256 of the cookie's secret is kept;
    `csrf_token` must come back in a header with every unsafe request the cookie authenticates."""

    __tablename__ = "web_sessions"

    secret_sha256: str = Field(primary_key=True, max_length=64)
    user_id: str = Field(foreign_key="users.id", max_length=64, index=True)
    csrf_token: str = Field(max_length=64)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    expires_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class PaymentCustomer(SQLModel, table=True):
    """A caster's customer at the payment provider, created once and remembered."""

    __tablename__ = "payment_customers"

    user_id: str = Field(primary_key=True, foreign_key="users.id", max_length=64)
    provider_customer_id: str = Field(max_length=255, unique=True)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class TopUp(SQLModel, table=True):
    """A checkout a caster started: open → paid (credited once) | refunded (paid after the caster
    erased their account) | failed | expired; or an auto-reload, paid (its id the reload's, its url
    empty)."""

    __tablename__ = "top_ups"

    id: str = Field(primary_key=True, max_length=255)  # the provider's checkout session id, or reload_…
    user_id: str = Field(foreign_key="users.id", max_length=64, index=True)
    amount_micros: int = Field(sa_column=Column(BigInteger, nullable=False))
    status: str = Field(default="open", max_length=16)
    url: str = Field(max_length=2000)
    payment_intent: str | None = Field(default=None, max_length=255, index=True)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    paid_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))


class Payment(SQLModel, table=True):
    """One movement of a caster's money from or to outside the platform, as the caster's
    payments list shows it: a grant, a top-up, a refund, a dispute and how it closed. Unique by
    (kind, reference), so a provider event delivered twice is recorded and posted once."""

    __tablename__ = "payments"
    __table_args__ = (
        Index("uq_payments_kind_reference", "kind", "reference", unique=True),
        Index("ix_payments_user_created", "user_id", "created_at"),
    )

    id: str = Field(primary_key=True, max_length=40)
    user_id: str = Field(foreign_key="users.id", max_length=64)
    kind: str = Field(max_length=16)
    # Credits in (positive) or out (negative), tax and the provider's fee, in micro-USD.
    amount_micros: int = Field(sa_column=Column(BigInteger, nullable=False))
    tax_micros: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, default=0))
    fee_micros: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, default=0))
    reference: str = Field(max_length=255)
    reason: str | None = Field(default=None, max_length=500)
    receipt_url: str | None = Field(default=None, max_length=2000)
    transfer_id: str | None = Field(default=None, max_length=64)  # None: no money moved
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class PaymentEvent(SQLModel, table=True):
    """Every event the payment provider sent, once, with what was done about it."""

    __tablename__ = "payment_events"

    id: str = Field(primary_key=True, max_length=255)
    type: str = Field(max_length=100)
    object_id: str | None = Field(default=None, max_length=255)
    outcome: str = Field(max_length=500)
    received_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class PayoutAccount(SQLModel, table=True):
    """A maker's connected account at the payment provider, where its earnings are sent."""

    __tablename__ = "payout_accounts"

    user_id: str = Field(primary_key=True, foreign_key="users.id", max_length=64)
    provider_account_id: str = Field(max_length=255, unique=True)
    # Payable: Stripe lets the account pay out, and receive transfers.
    payouts_enabled: bool = False
    details_submitted: bool = False
    # When Stripe said what is known of it (the event's `created`, or when Stripe was asked).
    state_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    # The maker disconnected the account from the platform: nothing more is sent to it.
    disconnected_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    # The account's latest payout to its bank: paid | failed, and Stripe's reason for a failure.
    bank_payout_id: str | None = Field(default=None, max_length=255)
    bank_payout_status: str | None = Field(default=None, max_length=16)
    bank_payout_failure: str | None = Field(default=None, max_length=500)
    updated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class Payout(SQLModel, table=True):
    """One payment of a maker's earnings for one period: pending (claimed, earnings moved to
    payout clearing) → paid (the provider's transfer recorded) | failed | reversed. One per maker
    and period, whichever server process gets there first."""

    __tablename__ = "payouts"
    __table_args__ = (Index("uq_payouts_maker_period", "maker_id", "period", unique=True),)

    id: str = Field(primary_key=True, max_length=40)
    maker_id: str = Field(foreign_key="users.id", max_length=64)
    period: str = Field(max_length=10)  # the UTC day the payout was made, e.g. 2026-11-30
    # Earnings settled up to here are in this payout (or an earlier one).
    cutoff: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    casts: int = 0
    gross_micros: int = Field(sa_column=Column(BigInteger, nullable=False))
    platform_micros: int = Field(sa_column=Column(BigInteger, nullable=False))
    clawback_micros: int = Field(sa_column=Column(BigInteger, nullable=False))
    amount_micros: int = Field(sa_column=Column(BigInteger, nullable=False))
    # What came back (a reversed transfer), as earnings again.
    returned_micros: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, default=0))
    status: str = Field(default="pending", max_length=16)
    transfer_id: str | None = Field(default=None, max_length=255, index=True)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    paid_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))


class AutoReload(SQLModel, table=True):
    """A caster's standing order: when available credits fall below `threshold`, charge the saved
    card `amount`, never more than `monthly_cap` in a calendar month (UTC), one charge at a time."""

    __tablename__ = "auto_reloads"

    user_id: str = Field(primary_key=True, foreign_key="users.id", max_length=64)
    enabled: bool = True
    threshold_micros: int = Field(sa_column=Column(BigInteger, nullable=False))
    amount_micros: int = Field(sa_column=Column(BigInteger, nullable=False))
    monthly_cap_micros: int = Field(sa_column=Column(BigInteger, nullable=False))
    # The card saved at Stripe by a top-up that asked to keep it.
    payment_method: str | None = Field(default=None, max_length=255)
    # The reload being charged now (a payment intent's idempotency name), if any.
    in_flight: str | None = Field(default=None, max_length=64)
    failures: int = 0
    last_error: str | None = Field(default=None, max_length=500)
    month: str = Field(max_length=7)  # e.g. 2026-11
    month_total_micros: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, default=0))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class AuditEvent(SQLModel, table=True):
    """One security- or money-relevant action (spell_mcp/audit): who did what to what, when, and
    from a pseudonymous address. Append-only: the database refuses to change a row, or to delete
    one before its retention period is over."""

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_created", "created_at", "id"),
        Index("ix_audit_events_actor", "actor_id", "created_at"),
        Index("ix_audit_events_subject", "subject_id", "created_at"),
    )

    id: str = Field(primary_key=True, max_length=40)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    # The user who acted (None: the platform itself, e.g. an automatic suspension) and how.
    actor_id: str | None = Field(default=None, max_length=64)
    actor_key_id: str | None = Field(default=None, max_length=32)
    via: str = Field(max_length=16)  # rest | web | mcp | cli | system
    action: str = Field(max_length=64)
    target_type: str = Field(max_length=32)
    target_id: str = Field(max_length=255)
    # The user the target belongs to, who sees the event in their own trail.
    subject_id: str | None = Field(default=None, max_length=64)
    # A keyed hash of the client's IP address: equal addresses can be matched, none recovered.
    address_hash: str | None = Field(default=None, max_length=64)
    # What else identifies the action (never secrets, inputs or personal data).
    details: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class PolicyViolationRecord(SQLModel, table=True):
    """Something a cast of a spell tried that its policy forbids (runtime/usage.py:
    VIOLATION_KINDS). Enough of them in a window suspends the spell (spell_mcp/catalog/violations.py)."""

    __tablename__ = "policy_violations"
    __table_args__ = (Index("ix_policy_violations_spell", "spell_key", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    spell_key: str = Field(max_length=64)
    spell_version: str = Field(max_length=64)
    cast_id: str = Field(max_length=64)
    kind: str = Field(max_length=32)
    detail: str = Field(max_length=500)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class ScheduledJob(SQLModel, table=True):
    """A duty the platform runs on a schedule (spell_mcp/operations/schedule.py), with a lease:
    whichever server process claims a due run does it, the others skip it; and how it last went."""

    __tablename__ = "scheduled_jobs"

    name: str = Field(primary_key=True, max_length=64)
    next_run_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    last_started_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    last_finished_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    last_ok: bool | None = None
    last_detail: str | None = Field(default=None, max_length=2000)


class Announcement(SQLModel, table=True):
    """A change every server process must hear of (spell_mcp/catalog/announcements.py), as the
    processes on one store without Redis tell each other: kept a few minutes."""

    __tablename__ = "announcements"
    __table_args__ = {"sqlite_autoincrement": True}

    id: int | None = Field(default=None, primary_key=True)
    # The Announcer that wrote it, which need not hear it again.
    origin: str = Field(max_length=32)
    message: str = Field(max_length=200)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class VulnerabilitySource(SQLModel, table=True):
    """One ecosystem's OSV export as last synced (spell_mcp/catalog/vuln_sync.py): the validators
    that make the next download conditional, and when its data was last known current."""

    __tablename__ = "vulnerability_sources"

    ecosystem: str = Field(primary_key=True, max_length=32)
    etag: str | None = Field(default=None, max_length=200)
    last_modified: str | None = Field(default=None, max_length=64)
    records: int = 0
    # When the source last answered with this data (downloaded, or 304 Not Modified).
    checked_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    # When the index of this ecosystem was last replaced.
    changed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    last_error: str | None = Field(default=None, max_length=500)


class Consent(SQLModel, table=True):
    """A user's consent, as given or withdrawn: to the terms and privacy notice at sign-up, to a
    transfer of their data to a recipient abroad (spell_mcp/privacy/notice.py). Each change is a
    new row; the latest of a kind is in force."""

    __tablename__ = "consents"
    __table_args__ = (Index("ix_consents_user", "user_id", "kind", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: str = Field(max_length=64)
    kind: str = Field(max_length=64)
    version: str = Field(max_length=32)
    given: bool
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class UserPreferences(SQLModel, table=True):
    """What a user chose about the use of their data."""

    __tablename__ = "user_preferences"

    user_id: str = Field(primary_key=True, max_length=64)
    # CCPA's "do not sell or share my personal information".
    do_not_sell: bool = False
    product_emails: bool = False
    updated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class LegalHold(SQLModel, table=True):
    """An operator's order to keep a user's or a spell's records: while it is in force,
    retention and erasure delete none of them."""

    __tablename__ = "legal_holds"

    id: str = Field(primary_key=True, max_length=40)
    target_type: str = Field(max_length=16)  # user | spell
    target_id: str = Field(max_length=64, index=True)
    reason: str = Field(max_length=500)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    released_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))


class AcceptedGrants(SQLModel, table=True):
    """What a caster has accepted of a spell: the grants and price of the version they used or
    accepted (registry/grants.py), and the version they are served while a newer one widens
    them (spell_mcp/catalog/pinning.py)."""

    __tablename__ = "accepted_grants"

    caster_id: str = Field(primary_key=True, max_length=64)
    spell_key: str = Field(primary_key=True, max_length=64)
    version: str = Field(max_length=64)
    grants: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    # "used" (the first cast consented by itself) or "accepted" (POST /v1/spells/{key}/accept).
    how: str = Field(max_length=16)
    updated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
