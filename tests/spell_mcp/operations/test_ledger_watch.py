"""The ledger is verified on a schedule by one server process per period; a broken chain raises
a PagerDuty incident (through the real client, to a local stand-in), and the ledger found whole
again resolves it; the metrics show how the last verification went."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import anyio
import pytest
from sqlalchemy import text

from spell_mcp import audit
from spell_mcp.observability.exposition import store_state
from spell_mcp.operations.incidents import Pager
from spell_mcp.operations.ledger_watch import INCIDENT, verify_if_due
from spell_mcp.payments.grants import create_user_with_credits
from spell_mcp.platform import Platform
from spell_mcp.settings import Settings
from tests.conftest import free_port
from tests.local_server import local_server
from tests.pagerduty_standin import PagerDutyStandIn

HOUR = timedelta(hours=1)


@pytest.fixture
def pagerduty() -> Iterator[tuple[PagerDutyStandIn, str]]:
    standin, port = PagerDutyStandIn(), free_port()
    with local_server(standin.app(), port):
        yield standin, f"http://127.0.0.1:{port}/v2/enqueue"


async def test_a_broken_chain_pages_once_and_a_whole_one_resolves(
    platform: Platform, pagerduty: tuple[PagerDutyStandIn, str]
) -> None:
    standin, url = pagerduty
    settings = Settings(home=platform.settings.home, pagerduty_routing_key="R0UT1NG", pagerduty_url=url)
    pager = Pager(settings, "spell-test")
    await platform.db.write(
        lambda session: create_user_with_credits(session, audit.CONSOLE, "caster", credits_micros=5_000_000)
    )
    start = datetime.now(UTC)

    assert await verify_if_due(platform.db, pager, HOUR, start) is True
    assert await verify_if_due(platform.db, pager, HOUR, start + timedelta(minutes=5)) is None  # not due
    assert standin.events == [], "a whole ledger pages nobody"

    tip = await platform.db.read(
        lambda session: session.execute(text("SELECT hash FROM ledger_tip")).scalar_one()
    )
    await platform.db.write(lambda session: session.execute(text("UPDATE ledger_tip SET hash = 'forged'")))
    assert await verify_if_due(platform.db, pager, HOUR, start + 2 * HOUR) is False
    (trigger,) = standin.events
    assert trigger["routing_key"] == "R0UT1NG" and trigger["event_action"] == "trigger"
    assert trigger["dedup_key"] == INCIDENT and trigger["payload"]["severity"] == "critical"
    assert "chain head" in trigger["payload"]["summary"]
    state = await platform.db.read(store_state)
    assert state.jobs["ledger.verify"][1] is False

    await platform.db.write(
        lambda session: session.execute(text("UPDATE ledger_tip SET hash = :h"), {"h": tip})
    )
    assert await verify_if_due(platform.db, pager, HOUR, start + 4 * HOUR) is True
    assert [event["event_action"] for event in standin.events] == ["trigger", "resolve"]
    assert standin.events[1]["dedup_key"] == INCIDENT
    assert (await platform.db.read(store_state)).jobs["ledger.verify"][1] is True


async def test_of_the_processes_that_find_it_due_one_verifies(platform: Platform) -> None:
    pager = Pager(Settings(home=platform.settings.home), "spell-test")  # no routing key: logged only
    due = datetime.now(UTC) + 10 * HOUR
    outcomes: list[bool | None] = []

    async def one_process() -> None:
        outcomes.append(await verify_if_due(platform.db, pager, HOUR, due))

    async with anyio.create_task_group() as processes:
        for _ in range(4):
            processes.start_soon(one_process)
    assert sorted(outcomes, key=str) == [None, None, None, True]


async def test_a_pager_that_cannot_be_reached_does_not_stop_the_verification(platform: Platform) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}/v2/enqueue"  # nothing listens there
    settings = Settings(home=platform.settings.home, pagerduty_routing_key="R", pagerduty_url=nowhere)
    await platform.db.write(lambda session: session.execute(text("UPDATE ledger_tip SET hash = 'forged'")))
    assert await verify_if_due(platform.db, Pager(settings, "spell-test"), HOUR) is False
    assert (await platform.db.read(store_state)).jobs["ledger.verify"][1] is False, "recorded all the same"
