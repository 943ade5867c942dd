"""GET /metrics: the Prometheus text format, for an operator's scraper only.

Who may read it: a client presenting SPELL_METRICS_TOKEN or an operator's API key as a bearer
token, or a client in one of SPELL_METRICS_ALLOW's networks. Counters and histograms come from
every server process (summed from PROMETHEUS_MULTIPROC_DIR when several serve); the state of the
store (holds open, holds stuck past their expiry, webhook backlog, suspended spells) is read from
the database at each scrape, so any process answers for all."""

from __future__ import annotations

import hmac
import ipaddress
import math
import os
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from prometheus_client import REGISTRY, CollectorRegistry, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func
from sqlalchemy.orm import Session
from sqlmodel import col, select

from billing.models import Hold
from registry.models import Spell
from spell_mcp.database.tables import Cast, ScheduledJob, VulnerabilitySource, WebhookDelivery
from spell_mcp.settings import Settings

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


@dataclass(frozen=True, slots=True)
class StoreState:
    holds_open: int
    holds_expired: int
    # Queued casts not yet finished (waiting for a worker, or running on one).
    queued_casts: int
    webhook_backlog: int
    spells_suspended: int
    # The scheduled jobs' last runs: name → (finished at, as a UNIX time; ended well).
    jobs: dict[str, tuple[float, bool]]
    # Each synced OSV ecosystem: seconds since its source last confirmed its data (inf: never).
    vulnerability_data_age: dict[str, float]


def store_state(session: Session) -> StoreState:
    now = datetime.now(UTC)

    def count(*conditions: object) -> int:
        return int(session.execute(select(func.count()).where(*conditions)).scalar_one())  # type: ignore[arg-type]

    return StoreState(
        holds_open=count(col(Hold.status) == "pending"),
        holds_expired=count(col(Hold.status) == "pending", col(Hold.expires_at) < now),
        queued_casts=count(col(Cast.queued).is_(True), col(Cast.status) == "running"),
        webhook_backlog=count(
            col(WebhookDelivery.status) == "pending", col(WebhookDelivery.next_attempt_at) <= now
        ),
        spells_suspended=count(col(Spell.status) == "suspended"),
        jobs={
            job.name: (job.last_finished_at.timestamp(), bool(job.last_ok))
            for job in session.execute(select(ScheduledJob)).scalars()
            if job.last_finished_at is not None
        },
        vulnerability_data_age={
            source.ecosystem: (now - source.checked_at).total_seconds() if source.checked_at else math.inf
            for source in session.execute(select(VulnerabilitySource)).scalars()
        },
    )


class _StoreCollector(Collector):
    def __init__(self, state: StoreState) -> None:
        self.state = state

    def collect(self) -> Iterator[Metric]:
        yield GaugeMetricFamily(
            "spell_holds_open", "Holds of casts not yet settled or released.", self.state.holds_open
        )
        yield GaugeMetricFamily(
            "spell_holds_expired_open",
            "Holds still open past their expiry: the sweep should have released them.",
            self.state.holds_expired,
        )
        yield GaugeMetricFamily(
            "spell_queued_casts",
            "Queued casts not yet finished: waiting for a worker, or running on one.",
            self.state.queued_casts,
        )
        yield GaugeMetricFamily(
            "spell_webhook_backlog",
            "Budget-alert webhook deliveries due and not yet sent.",
            self.state.webhook_backlog,
        )
        yield GaugeMetricFamily("spell_spells_suspended", "Spells suspended.", self.state.spells_suspended)
        finished = GaugeMetricFamily(
            "spell_job_last_run_timestamp_seconds", "When each scheduled job last finished.", labels=["job"]
        )
        succeeded = GaugeMetricFamily(
            "spell_job_last_run_ok",
            "Whether each scheduled job's last run found everything in order (ledger.verify: the chain "
            "and every balance).",
            labels=["job"],
        )
        for name, (at, ok) in sorted(self.state.jobs.items()):
            finished.add_metric([name], at)
            succeeded.add_metric([name], 1.0 if ok else 0.0)
        yield finished
        yield succeeded
        age = GaugeMetricFamily(
            "spell_vulnerability_data_age_seconds",
            "Seconds since each OSV ecosystem's published export was last confirmed current "
            "(downloaded or not modified); +Inf if it never was.",
            labels=["ecosystem"],
        )
        for ecosystem, seconds in sorted(self.state.vulnerability_data_age.items()):
            age.add_metric([ecosystem], seconds)
        yield age


def allowed(settings: Settings, bearer: str | None, client: str | None, operator: bool) -> bool:
    """Whether this request may read the metrics: `operator` says the bearer is an operator's
    API key (checked by the caller)."""
    if operator:
        return True
    token = settings.metrics_token
    if token and bearer and hmac.compare_digest(bearer.encode(), token.encode()):
        return True
    if client and settings.metrics_allow:
        try:
            address = ipaddress.ip_address(client)
        except ValueError:
            return False
        return any(address in network for network in settings.metrics_allow)
    return False


async def exposition(read_state: Callable[[], Awaitable[StoreState]]) -> bytes:
    """The metrics of every process of this server, and the store's state."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        processes = CollectorRegistry()
        multiprocess.MultiProcessCollector(processes)  # type: ignore[no-untyped-call]
        counted = generate_latest(processes)
    else:
        counted = generate_latest(REGISTRY)
    store = CollectorRegistry()
    store.register(_StoreCollector(await read_state()))
    return counted + generate_latest(store)
