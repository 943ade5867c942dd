"""Every setting of the server, read from `SPELL_*` environment variables.

Each setting is documented in docs/settings.md; a test keeps the two in step.
"""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path
from typing import Literal

from pydantic import Field, IPvAnyNetwork
from pydantic_settings import BaseSettings, SettingsConfigDict

from registry.licences import DEFAULT_COMPATIBILITY
from registry.manifest import MAX_PRICE_USD, MICROS_PER_USD
from registry.package import PackageLimits
from runtime import Limits

MIB = 1024 * 1024
# No single grant beyond this: balances stay far inside 64-bit integers of micro-USD.
MAX_GRANT_USD = 1_000_000_000


SECRETS_DIR_VARIABLE = "SPELL_SECRETS_DIR"


def _mounted_secrets() -> str | None:
    """SPELL_SECRETS_DIR: a directory of mounted secret files, one per setting, named like its
    variable (`spell_receipt_key`), as Docker, Kubernetes and Fly mount them."""
    directory = os.environ.get(SECRETS_DIR_VARIABLE)
    return directory if directory and os.path.isdir(directory) else None


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SPELL_", extra="ignore", secrets_dir=_mounted_secrets())

    home: Path = Field(Path(".spell"), description="Directory of the embedded store, blobs and keys.")
    database_url: str | None = Field(
        None,
        description="SQLAlchemy async URL; SQLite under `home` when unset, "
        "e.g. postgresql+asyncpg://user@host/db for PostgreSQL.",
    )
    blob_url: str | None = Field(
        None,
        description="s3://bucket/prefix: keep blobs in an S3-compatible object store every host shares "
        "(S3, R2, MinIO). Default: `home`/blobs.",
    )
    s3_endpoint_url: str | None = Field(
        None, description="The object store's endpoint (R2, MinIO); unset for AWS S3."
    )
    s3_region: str | None = Field(None, description="The object store's region (`auto` for R2).")
    s3_access_key_id: str | None = Field(None, description="Its access key id; unset: boto3's own chain.")
    s3_secret_access_key: str | None = Field(None, description="Its secret access key.")
    artifact_link_ttl_s: int = Field(
        300, gt=0, le=7 * 24 * 3600, description="How long a presigned artifact download link works."
    )
    dev_mode: bool = Field(
        False,
        description="Bootstrap an operator account and register the bundled example spells, unsigned.",
    )
    examples_dir: Path | None = Field(
        None, description="Directory of built example spells that dev mode registers (default build/spells)."
    )
    web_dir: Path | None = Field(
        Path("web/out"),
        description="The dashboard's static export (make web), served at /; nothing is served there "
        "when it is missing.",
    )
    host: str = Field("127.0.0.1", description="Address the HTTP server binds to.")
    port: int = Field(8000, description="Port the HTTP server listens on.")
    public_url: str | None = Field(
        None,
        description="URL clients reach the server at, when it is served behind a proxy; the public "
        "listings (/v0.1/servers) name it (unset: the address the server listens on).",
    )
    registry_name: str | None = Field(
        None,
        pattern=r"^[a-zA-Z0-9.-]+/[a-zA-Z0-9._-]+$",
        description="This platform's name in the official MCP registry (`spell server-json`), as "
        "reverse-DNS/name; default: the public URL's host reversed, then /spell.",
    )
    cors_origins: list[str] = Field(
        default_factory=list,
        description='Browser origins allowed to call the API, as JSON: ["https://app.example"].',
    )
    log_format: Literal["console", "json"] = Field(
        "console", description="Log lines as readable text (console) or one JSON object each (json)."
    )
    metrics_token: str | None = Field(
        None, description="Bearer token a Prometheus scraper presents at /metrics (besides operators' keys)."
    )
    metrics_allow: list[IPvAnyNetwork] = Field(
        default_factory=list,
        description='Networks that may read /metrics without a token, as JSON: ["10.0.0.0/8"].',
    )
    max_request_mb: int = Field(
        70, gt=0, description="Largest request body accepted, in MiB (packages included)."
    )
    redis_url: str | None = Field(
        None,
        description=(
            "redis://host:port/db: share rate limits, in-flight counts, announcements and the holds "
            "fast path across server processes."
        ),
    )
    nats_url: str | None = Field(
        None,
        description=(
            "nats://host:port: queued casts go to NATS JetStream and `spell worker` processes run them; "
            "unset, each server runs its own queued casts."
        ),
    )
    nats_stream: str = Field(
        "SPELL_CASTS",
        pattern=r"^[A-Za-z0-9_-]{1,64}$",
        description="The JetStream stream (and subject prefix) of queued casts.",
    )
    queue_ack_wait_s: int = Field(
        30,
        gt=0,
        description="Seconds a worker may go silent on a queued cast before another is given it.",
    )
    max_queued_per_caster: int = Field(
        64, gt=0, description="Queued casts one caster may have waiting or running at once."
    )
    worker_casts: int = Field(
        8, gt=0, description="Queued casts one `spell worker` process runs at the same time."
    )
    worker_metrics_port: int | None = Field(
        None,
        gt=0,
        lt=65536,
        description="Port on which `spell worker` serves its Prometheus metrics, on SPELL_HOST; unset: none.",
    )
    rate_per_key_per_min: int = Field(600, gt=0, description="Requests one API key may make per minute.")
    rate_per_user_per_min: int = Field(
        1200, gt=0, description="Requests all keys of one caster may make per minute."
    )
    rate_burst: int = Field(60, gt=0, description="Requests a key may make at once before the rate applies.")
    max_in_flight_per_key: int = Field(
        16, gt=0, description="Casts of one API key that may run at the same time."
    )
    max_queued_casts: int = Field(
        256,
        gt=0,
        description="Casts waiting for a worker before new ones are refused with 503 (load shedding).",
    )
    maker_share_bps: int = Field(
        8000, ge=0, le=10000, description="Maker's share of each cast's price, in basis points."
    )
    reserved_namespaces: list[str] = Field(
        [],
        description="JSON list of spell key namespaces that only operators may publish under, "
        "besides the bundled spells' dev.spell (always reserved).",
    )
    max_price_usd: Decimal = Field(
        Decimal(1000),
        ge=0,
        le=MAX_PRICE_USD,
        description="The most a spell may charge per cast; a package asking more is refused at publish.",
    )
    max_grant_usd: Decimal = Field(
        Decimal(100_000),
        gt=0,
        le=MAX_GRANT_USD,
        description="The most credits one grant may give (an operator's grant, a new user's credits).",
    )
    stripe_secret_key: str | None = Field(
        None, description="Stripe secret key (sk_…): top-ups through Stripe Checkout are on when set."
    )
    stripe_webhook_secret: str | None = Field(
        None, description="Signing secret (whsec_…) of the webhook endpoint /v1/webhooks/stripe."
    )
    stripe_connect_webhook_secret: str | None = Field(
        None,
        description="Signing secret (whsec_…) of the Connect webhook endpoint /v1/webhooks/stripe/connect "
        "(events on makers' connected accounts).",
    )
    stripe_api_base: str | None = Field(
        None, description="Where Stripe's API is reached; Stripe's own when unset (a stand-in in tests)."
    )
    stripe_timeout_s: float = Field(
        10, gt=0, le=80, description="Seconds one request to Stripe may take before it is tried again."
    )
    stripe_tax: bool = Field(False, description="Let Stripe Tax compute and collect tax on top-ups.")
    top_up_min_usd: Decimal = Field(Decimal(5), gt=0, description="Smallest top-up a caster may buy.")
    top_up_max_usd: Decimal = Field(Decimal(1000), gt=0, le=MAX_GRANT_USD, description="Largest top-up.")
    payout_delay_days: int = Field(
        7, ge=0, le=365, description="Earnings are paid out once they are this old (the refund window)."
    )
    payout_minimum_usd: Decimal = Field(
        Decimal(10), gt=0, le=MAX_GRANT_USD, description="Smallest payout: less waits for the next period."
    )
    payout_interval_s: float = Field(3600, gt=0, description="Seconds between rounds of the payout job.")
    auto_reload_interval_s: float = Field(
        30,
        gt=0,
        description="Seconds between looks for casters whose credits fell below their reload threshold.",
    )
    dev_credits_micros: int = Field(
        10_000_000,
        ge=0,
        le=MAX_GRANT_USD * MICROS_PER_USD,
        description="Credits granted to the dev operator account on first start (micro-USD).",
    )
    sweep_interval_s: int = Field(
        60, gt=0, description="Seconds between sweeps that void the expired holds of unfinished casts."
    )
    mcp_sessions: bool | None = Field(
        None,
        description="Keep MCP sessions on Streamable HTTP, so 2025-era clients hear tools/list_changed "
        "and can be asked to confirm mid-call. A session lives in the process that made it, so several "
        "processes need routing by the Mcp-Session-Id header. Unset: on for a single process, off when "
        "SPELL_REDIS_URL is set (several processes share the work).",
    )
    mcp_sessions_per_caster: int = Field(
        16,
        gt=0,
        description="MCP sessions one caster may hold open in a server process (Streamable HTTP and "
        "legacy SSE together); past it their session idle longest ends, or the new one is refused when "
        "all are in use.",
    )
    mcp_max_sessions: int = Field(
        2_000,
        gt=0,
        description="MCP sessions a server process holds at most; past it the session idle longest "
        "ends, or the new one is refused (503) when all are in use.",
    )
    mcp_session_idle_s: int = Field(
        300,
        gt=0,
        description="Seconds an MCP session over Streamable HTTP may go with nothing in flight (an open "
        "GET stream counts) before it ends; the client then opens another.",
    )
    confirm_above_micros: int | None = Field(
        None,
        ge=0,
        description="Over MCP, casts priced above this are confirmed by the person first (unset: never); "
        "casters may set a lower threshold of their own.",
    )
    webhook_interval_s: float = Field(
        5, gt=0, description="Seconds between rounds that send due budget-alert webhooks (and retries)."
    )
    hold_ttl_s: int = Field(
        900, gt=0, description="Seconds after which an unfinished cast's hold may be voided."
    )
    ledger_verify_interval_s: int = Field(
        3600, gt=0, description="Seconds between verifications of the ledger's hash chain and balances."
    )
    pagerduty_routing_key: str | None = Field(
        None, description="PagerDuty Events API v2 routing key: incidents (a broken ledger) are sent there."
    )
    pagerduty_url: str = Field(
        "https://events.pagerduty.com/v2/enqueue", description="Where PagerDuty events are sent."
    )
    suspend_after_violations: int = Field(
        10,
        gt=0,
        description="Policy violations within the window that suspend a spell automatically (each of "
        "its maker's casts' violations counts, each other caster once).",
    )
    violation_window_h: int = Field(
        24, gt=0, description="Hours over which a spell's policy violations are counted."
    )
    max_timeout_ms: int = Field(30_000, gt=0, description="Ceiling on any spell's timeout_ms.")
    max_memory_mb: int = Field(256, gt=0, description="Ceiling on any spell's max_memory_mb.")
    max_output_mb: int = Field(4, gt=0, description="Ceiling on any spell's max_output_mb.")
    max_input_bytes: int = Field(1 * MIB, gt=0, description="Largest cast input accepted, in bytes.")
    fuel_per_cast: int = Field(
        5_000_000_000, gt=0, description="CPU budget of one cast, in wasmtime fuel units."
    )
    cast_threads: int = Field(8, gt=0, description="Worker threads that run casts concurrently.")
    max_artifact_mb: int = Field(8, gt=0, description="Most bytes of files one cast may leave in /scratch.")
    max_artifacts: int = Field(32, gt=0, description="Most files one cast may leave in /scratch.")
    trust_root: str = Field(
        "production",
        description="Sigstore trust root for published signatures: production, staging, "
        "or a trusted_root.json path.",
    )
    osv_db: Path | None = Field(
        None,
        description="Offline OSV database directory (<Ecosystem>/all.zip or *.json), imported before "
        "each daily re-scan.",
    )
    osv_sync: bool = Field(
        False,
        description="Download OSV's published exports (per ecosystem all.zip) before each re-scan; "
        "ignored when osv_db is set.",
    )
    osv_base_url: str = Field(
        "https://osv-vulnerabilities.storage.googleapis.com",
        description="Where OSV exports are downloaded from: <base>/<Ecosystem>/all.zip.",
    )
    osv_ecosystems: list[str] = Field(
        [
            "PyPI",
            "npm",
            "crates.io",
            "Go",
            "Maven",
            "NuGet",
            "RubyGems",
            "Packagist",
            "Hex",
            "Pub",
            "SwiftURL",
            "GitHub Actions",
        ],
        description="JSON list of the OSV ecosystems to download.",
    )
    osv_max_download_mb: int = Field(
        1024, gt=0, description="Largest OSV export (one ecosystem's all.zip) accepted, compressed."
    )
    rescan_interval_s: int = Field(
        86_400, gt=0, description="Seconds between re-scans of every published version (and OSV syncs)."
    )
    licence_compatibility: dict[str, list[str]] | None = Field(
        None,
        description="JSON object: spell licence → dependency licences it may include "
        "(replaces the default table).",
    )
    max_package_mb: int = Field(64, gt=0, description="Largest spell package accepted for publishing.")
    max_wasm_mb: int = Field(5, gt=0, description="Largest WebAssembly module in a package.")
    github_client_id: str | None = Field(
        None, description="OAuth app client id for signing in with GitHub (sign-in is off without it)."
    )
    github_client_secret: str | None = Field(None, description="The OAuth app's client secret.")
    github_authorize_url: str = Field(
        "https://github.com/login/oauth/authorize", description="GitHub's authorization endpoint."
    )
    github_token_url: str = Field(
        "https://github.com/login/oauth/access_token", description="GitHub's token endpoint."
    )
    github_api_url: str = Field("https://api.github.com", description="GitHub's REST API (for /user).")
    session_days: int = Field(14, gt=0, le=365, description="How long a browser's sign-in lasts.")
    oauth_access_token_s: int = Field(
        3600, gt=0, le=86_400, description="How long an access token of an agent signed in with OAuth works."
    )
    oauth_refresh_token_days: int = Field(
        30,
        gt=0,
        le=365,
        description="How long an agent's refresh token works unused (each refresh replaces it).",
    )
    receipt_key: str | None = Field(
        None,
        description="PEM Ed25519 private key that signs cast receipts; shared by every server process. "
        "Default: one created in `home`.",
    )
    receipt_retired_keys: str | None = Field(
        None,
        description="PEM keys (public or private) that signed earlier receipts: published beside the "
        "current one so that those receipts still verify.",
    )
    secrets_key: str | None = Field(
        None,
        description="Fernet key(s), comma-separated, that encrypt makers' secrets; shared by every server "
        "process. The first seals, any opens. Default: one created in `home`.",
    )

    @property
    def licence_table(self) -> dict[str, frozenset[str]]:
        if self.licence_compatibility is None:
            return dict(DEFAULT_COMPATIBILITY)
        return {licence: frozenset(allowed) for licence, allowed in self.licence_compatibility.items()}

    @property
    def package_limits(self) -> PackageLimits:
        return PackageLimits(
            max_package_bytes=self.max_package_mb * MIB,
            max_wasm_bytes=self.max_wasm_mb * MIB,
            max_price_micros=int(self.max_price_usd * MICROS_PER_USD),
        )

    @property
    def serves_dashboard(self) -> bool:
        """The dashboard is built (`make web`), so the server serves it at /."""
        return self.web_dir is not None and (self.web_dir / "index.html").is_file()

    @property
    def payments_enabled(self) -> bool:
        return bool(self.stripe_secret_key and self.stripe_webhook_secret)

    @property
    def top_up_min_micros(self) -> int:
        return int(self.top_up_min_usd * MICROS_PER_USD)

    @property
    def top_up_max_micros(self) -> int:
        return int(self.top_up_max_usd * MICROS_PER_USD)

    @property
    def payout_minimum_micros(self) -> int:
        return int(self.payout_minimum_usd * MICROS_PER_USD)

    @property
    def max_grant_micros(self) -> int:
        return int(self.max_grant_usd * MICROS_PER_USD)

    @property
    def http_sessions(self) -> bool:
        """Whether Streamable HTTP keeps MCP sessions (see `mcp_sessions`)."""
        return self.mcp_sessions if self.mcp_sessions is not None else self.redis_url is None

    def advertised_url(self) -> str:
        """Where clients reach this server, as it tells others (public listings, return URLs):
        SPELL_PUBLIC_URL, else the address it listens on; never a client's Host header."""
        if self.public_url:
            return self.public_url.rstrip("/")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.home.resolve() / 'spell.db'}"

    @property
    def operator_ceiling(self) -> Limits:
        return Limits(
            timeout_ms=self.max_timeout_ms,
            max_memory_bytes=self.max_memory_mb * MIB,
            max_output_bytes=self.max_output_mb * MIB,
            max_input_bytes=self.max_input_bytes,
            fuel=self.fuel_per_cast,
            max_artifact_bytes=self.max_artifact_mb * MIB,
            max_artifacts=self.max_artifacts,
        )
