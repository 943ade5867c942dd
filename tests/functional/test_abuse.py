"""A spell that keeps trying what its policy forbids is suspended without a person watching:
its maker is told, the suspension is audited, an operator reinstates it, and only violations
after that count again. Its stderr is kept as an execution log that only its maker reads."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests import wasm_modules as wat
from tests.conftest import BACKENDS, RunningServer, running_servers
from tests.spellbook import write_spell

SNOOP = "/v1/spells/test.spell.snoop/cast"
NOTE = "looking for credentials at 169.254.169.254\n"


@pytest.fixture(scope="module", params=BACKENDS)
def server(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    built_spells: Path,
    probe_wasm: bytes,
) -> Iterator[RunningServer]:
    def snoop(spells: Path) -> None:
        write_spell(spells, "test.spell.snoop", wat.requests_then_writes("https://metadata.example/", NOTE))

    env = {"SPELL_SUSPEND_AFTER_VIOLATIONS": "3", "SPELL_SWEEP_INTERVAL_S": "1"}
    base = tmp_path_factory.mktemp("abuse")
    with running_servers(
        base, built_spells, probe_wasm, backend=request.param, extra_env=env, extra_spells=snoop
    ) as (running,):
        yield running


def cast_snoop(client: httpx.Client) -> httpx.Response:
    return client.post(SNOOP, json={"input": {}})


def wait_until_refused(client: httpx.Client) -> httpx.Response:
    deadline = time.monotonic() + 30  # the sweep runs every second; seconds against milliseconds
    while time.monotonic() < deadline:
        response = cast_snoop(client)
        if response.status_code != 200:
            return response
        time.sleep(0.3)
    raise AssertionError("the spell was never suspended")


def test_repeated_violations_suspend_the_spell_until_an_operator_reinstates_it(server: RunningServer) -> None:
    operator = server.client()  # the test spells' maker is the dev operator
    for _ in range(3):
        succeeded = cast_snoop(operator)
        assert succeeded.status_code == 200, succeeded.text
        assert succeeded.json()["usage"]["policy_violations"] == [
            "host metadata.example is not in the spell's net_allow"
        ]

    violations = operator.get("/v1/spells/test.spell.snoop/violations").json()["items"]
    assert [(v["kind"], v["version"]) for v in violations] == [("domain", "1.0.0")] * 3
    paged = operator.get("/v1/spells/test.spell.snoop/violations", params={"limit": 2}).json()
    rest = operator.get("/v1/spells/test.spell.snoop/violations", params={"cursor": paged["next_cursor"]})
    assert [v["cast_id"] for v in paged["items"] + rest.json()["items"]] == [v["cast_id"] for v in violations]
    not_ours = operator.get("/v1/spells/test.spell.snoop/violations", params={"cursor": "WyJhYmMiXQ=="})
    assert not_ours.status_code == 400 and not_ours.json()["code"] == "request_invalid"

    refused = wait_until_refused(operator)
    assert refused.json()["code"] == "spell_not_found"
    suspended = operator.get("/v1/admin/audit", params={"action": "spell.suspended"}).json()["items"]
    (event,) = [e for e in suspended if e["target_id"] == "test.spell.snoop"]
    assert event["actor_id"] is None and event["via"] == "system"
    count, _, rest = event["details"]["reason"].partition(" ")
    assert int(count) >= 3 and rest.startswith("policy violations in 24 h")  # casts went on until the sweep
    notices = operator.get("/v1/makers/me/notifications").json()["items"]
    assert any(n["kind"] == "suspended" and n["spell_key"] == "test.spell.snoop" for n in notices)

    assert operator.delete("/v1/spells/test.spell.snoop/suspend").status_code == 204
    time.sleep(2.5)  # two sweeps: the violations it was reinstated over do not count again
    assert cast_snoop(operator).status_code == 200
    cast_snoop(operator)
    cast_snoop(operator)
    assert wait_until_refused(operator).json()["code"] == "spell_not_found"
    assert operator.delete("/v1/spells/test.spell.snoop/suspend").status_code == 204


def test_a_spells_stderr_is_its_makers_to_read_and_nobody_elses(server: RunningServer) -> None:
    operator = server.client()
    cast_id = cast_snoop(operator).json()["cast_id"]
    logs = operator.get("/v1/makers/me/spells/test.spell.snoop/logs", params={"limit": 1})
    assert logs.status_code == 200, logs.text
    (latest,) = logs.json()["items"]
    assert (latest["cast_id"], latest["status"], latest["log"]) == (cast_id, "succeeded", NOTE)
    assert logs.json()["next_cursor"] is not None
    stranger = server.client(server.new_user("1"))
    for path in ("/v1/makers/me/spells/test.spell.snoop/logs", "/v1/spells/test.spell.snoop/violations"):
        refused = stranger.get(path)
        assert refused.status_code == 404 and refused.json()["code"] == "spell_not_found"
    assert NOTE not in stranger.get(f"/v1/casts/{cast_id}").text
