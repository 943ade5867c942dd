"""Budget alerts reach the caster's webhook: signed, retried, once per alert, never to a host
the platform should not talk to."""

from __future__ import annotations

import http.server
import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from standardwebhooks.webhooks import Webhook

from billing import Budgets
from billing.budgets import CrossedAlert, WindowHold
from spell_mcp import audit
from spell_mcp.accounts.keys import Caster
from spell_mcp.bootstrap import register_directory
from spell_mcp.casting.budget_alerts import (
    MAX_ATTEMPTS,
    check_url,
    claim_due,
    deliver_due,
    recent_deliveries,
    remove_webhook,
    set_webhook,
)
from spell_mcp.database.tables import WebhookDelivery
from spell_mcp.errors import SpellError
from spell_mcp.payments.grants import create_user_with_credits
from spell_mcp.platform import Platform
from spell_mcp.settings import Settings
from tests import wasm_modules as wat
from tests.conftest import Database
from tests.spellbook import write_spell
from tests.tls import TestCA, gate_to_loopback, https_server, temporary_ca

PRICE = 10_000  # write_spell's default price, $0.01
# Names the test resolver knows: the receiver, and hostile names pointing inside.
NAMES = {
    "hooks.spell.test": ["127.0.0.2"],
    "loopback.spell.test": ["127.0.0.1"],
    "metadata.spell.test": ["169.254.169.254"],
}


@dataclass
class Receiver:
    """What the webhook endpoint received, and the statuses it answers with (then 200)."""

    port: int
    requests: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    answers: list[int] = field(default_factory=list)

    def url(self, host: str = "hooks.spell.test") -> str:
        return f"https://{host}:{self.port}/spell-alerts"


@pytest.fixture(scope="module")
def ca() -> TestCA:
    return temporary_ca(list(NAMES))


@pytest.fixture
def receiver(ca: TestCA) -> Iterator[Receiver]:
    received = Receiver(port=0)

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            received.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
            self.send_response(received.answers.pop(0) if received.answers else 200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    with https_server(ca, handler=Handler) as port:
        received.port = port
        yield received


@pytest.fixture
async def platform(database: Database, tmp_path: Path, ca: TestCA) -> AsyncIterator[Platform]:
    gate = gate_to_loopback(ca, lambda host, port: NAMES[host])
    settings = Settings(home=tmp_path / "home", database_url=database.url, dev_mode=True)
    opened = await Platform.open(settings, network=gate)
    try:
        yield opened
    finally:
        await opened.close()


async def caster_spending(platform: Platform, tmp_path: Path, casts: int, cap: int = 10 * PRICE) -> Caster:
    """A caster with a daily cap who casts a priced spell `casts` times."""
    owner = await platform.db.write(
        lambda session: create_user_with_credits(session, audit.CONSOLE, "caster", credits_micros=10**9)
    )
    write_spell(tmp_path / "spells", "test.spell.priced", wat.writes("{}"))
    await register_directory(platform, tmp_path / "spells", owner.user_id)
    caster = Caster(owner.user_id, None, False)
    await platform.db.write(
        lambda session: Budgets(session).set(f"user:{owner.user_id}", daily_cap_micros=cap)
    )
    for _ in range(casts):
        await platform.casts.cast(caster, "test.spell.priced", {}, via="rest")
    return caster


async def hook(platform: Platform, caster: Caster, url: str) -> str:
    return await platform.db.write(
        lambda session: set_webhook(session, platform.secrets, caster.user_id, url)
    )


async def deliveries(platform: Platform, caster: Caster) -> list[WebhookDelivery]:
    return await platform.db.read(lambda session: recent_deliveries(session, caster.user_id))


async def send_due(platform: Platform, now: datetime | None = None) -> int:
    return await deliver_due(platform.db, platform.secrets, platform.sandbox.network, now)


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://hooks.example.com/x", "https"),
        ("https://10.0.0.1/x", "not an IP address"),
        ("https://[::1]/x", "not an IP address"),
        ("https://user:pw@hooks.example.com/x", "credentials"),
        ("https://localhost:8443/x", "local name"),
        ("https://metadata/x", "local name"),
        ("https:///x", "no host"),
        ("https://hooks.example.com/" + "x" * 2048, "longer than"),
        ("https://hooks.example.com/a\r\nX-Injected: 1", "line breaks"),
        ("https://hooks.exa\nmple.com/", "line breaks"),
        ("https://hooks.example.com/\tx", "tabs"),
        ("https://hooks.example.com/a b", "spaces"),
        ("https://hooks.example.com/\u0000", "control characters"),
        ("https://hööks.example.com/", "ASCII"),
        ("https://[hooks.example.com/", "malformed"),
        ("https://hooks.example.com:99999/", "malformed"),
        ("https://hooks.example.com:0/", "port must be"),
    ],
)
def test_a_webhook_url_that_could_never_be_delivered_to_is_refused(url: str, problem: str) -> None:
    with pytest.raises(SpellError) as refused:
        check_url(url)
    assert refused.value.code == "request_invalid" and problem in refused.value.detail


async def test_each_alert_is_posted_once_signed_with_the_casters_secret(
    platform: Platform, tmp_path: Path, receiver: Receiver
) -> None:
    caster = await caster_spending(platform, tmp_path, casts=0)
    secret = await hook(platform, caster, receiver.url())
    for _ in range(8):  # 80 % of the daily cap
        await platform.casts.cast(caster, "test.spell.priced", {}, via="rest")
    assert await send_due(platform) == 2
    assert await send_due(platform) == 0  # nothing sent twice
    events = [Webhook(secret).verify(body, headers) for headers, body in receiver.requests]
    assert sorted((e["type"], e["data"]["threshold"], e["data"]["spent_micros"]) for e in events) == [
        ("budget.alert", 50, 5 * PRICE),
        ("budget.alert", 80, 8 * PRICE),
    ]
    assert all(e["data"]["cap_micros"] == 10 * PRICE and e["data"]["period"] == "day" for e in events)
    assert all(d.status == "delivered" and d.attempts == 1 for d in await deliveries(platform, caster))
    # A forged or replayed-with-changes body fails verification at the receiver.
    headers, body = receiver.requests[0]
    with pytest.raises(Exception, match="signature"):
        Webhook(secret).verify(body.replace(b"50", b"10"), headers)


async def test_a_failed_delivery_is_retried_later_with_the_same_id(
    platform: Platform, tmp_path: Path, receiver: Receiver
) -> None:
    caster = await caster_spending(platform, tmp_path, casts=0)
    await hook(platform, caster, receiver.url())
    receiver.answers = [503]
    for _ in range(5):
        await platform.casts.cast(caster, "test.spell.priced", {}, via="rest")
    assert await send_due(platform) == 0
    (pending,) = await deliveries(platform, caster)
    assert (pending.status, pending.attempts, pending.last_status_code) == ("pending", 1, 503)
    assert await send_due(platform) == 0  # not due yet: backoff
    assert await send_due(platform, datetime.now(UTC) + timedelta(seconds=31)) == 1
    (delivered,) = await deliveries(platform, caster)
    assert (delivered.status, delivered.attempts) == ("delivered", 2)
    first, second = (headers["webhook-id"] for headers, _ in receiver.requests)
    assert first == second == delivered.id


@pytest.mark.parametrize("host", ["loopback.spell.test", "metadata.spell.test"])
async def test_a_webhook_resolving_inside_is_never_contacted_and_given_up(
    platform: Platform, tmp_path: Path, receiver: Receiver, host: str
) -> None:
    caster = await caster_spending(platform, tmp_path, casts=0)
    await hook(platform, caster, receiver.url(host))
    for _ in range(5):
        await platform.casts.cast(caster, "test.spell.priced", {}, via="rest")
    moment = datetime.now(UTC)
    for _ in range(MAX_ATTEMPTS):
        assert await send_due(platform, moment) == 0
        moment += timedelta(days=1)
    (given_up,) = await deliveries(platform, caster)
    assert (given_up.status, given_up.attempts) == ("failed", MAX_ATTEMPTS)
    assert "non-public address" in (given_up.last_error or "")
    assert receiver.requests == []


async def test_a_delivery_is_claimed_by_one_process_only(platform: Platform, tmp_path: Path) -> None:
    caster = await caster_spending(platform, tmp_path, casts=0)
    await hook(platform, caster, "https://hooks.spell.test/x")
    for _ in range(5):
        await platform.casts.cast(caster, "test.spell.priced", {}, via="rest")
    now = datetime.now(UTC)
    first = await platform.db.write(lambda session: claim_due(session, platform.secrets, now))
    second = await platform.db.write(lambda session: claim_due(session, platform.secrets, now))
    assert len(first) == 1 and second == []


async def test_without_a_webhook_alerts_are_only_recorded(platform: Platform, tmp_path: Path) -> None:
    caster = await caster_spending(platform, tmp_path, casts=10)
    assert await deliveries(platform, caster) == []
    assert await send_due(platform) == 0


def test_the_alert_payload_is_json_with_the_window() -> None:
    # The shape receivers parse (kept stable: it is an API).
    starts = datetime(2026, 11, 25, tzinfo=UTC)
    event = CrossedAlert(WindowHold("user:u1", "day", starts, 100), 80, 85).as_event()
    assert json.loads(json.dumps(event)) == {
        "subject": "user:u1",
        "period": "day",
        "window_start": "2026-11-25T00:00:00+00:00",
        "resets_at": "2026-11-26T00:00:00+00:00",
        "threshold": 80,
        "cap_micros": 100,
        "spent_micros": 85,
    }


async def test_deliveries_of_a_removed_webhook_are_given_up_not_sent(
    platform: Platform, tmp_path: Path, receiver: Receiver
) -> None:
    caster = await caster_spending(platform, tmp_path, casts=0)
    await hook(platform, caster, receiver.url())
    for _ in range(5):
        await platform.casts.cast(caster, "test.spell.priced", {}, via="rest")
    assert await platform.db.write(lambda session: remove_webhook(session, caster.user_id))
    assert await send_due(platform) == 0
    (dropped,) = await deliveries(platform, caster)
    assert (dropped.status, dropped.last_error) == ("failed", "the webhook was removed")
    assert receiver.requests == []
