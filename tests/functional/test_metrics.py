"""GET /metrics: Prometheus's text format for the operator's scraper only, counting what the
platform does (casts by spell, transport and outcome, traps, refusals, requests by route) and
the store's state, summed over every process of `spell serve --workers N`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from spell_mcp.accounts.users import create_user
from spell_mcp.app import create_app
from spell_mcp.settings import Settings
from tests.conftest import RunningServer, running_servers

CAST = "/v1/spells/dev.spell.echo/cast"


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(text: str, name: str, **labels: str) -> float:
    return samples(text).get((name, frozenset(labels.items())), 0.0)


@pytest.fixture
def client(tmp_path: Path, built_spells: Path) -> Iterator[TestClient]:
    settings = Settings(
        home=tmp_path / "home", dev_mode=True, examples_dir=built_spells, metrics_token="scrape-secret"
    )
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def test_only_the_scraper_and_operators_read_the_metrics(client: TestClient, tmp_path: Path) -> None:
    operator_key = (tmp_path / "home" / "operator.key").read_text().strip()
    platform = client.app.state.platform  # type: ignore[attr-defined]
    caster_key = client.portal.call(  # type: ignore[union-attr]
        platform.db.write, lambda session: create_user(session, "caster").api_key
    )
    anonymous = client.get("/metrics")
    assert anonymous.status_code == 401 and anonymous.json()["code"] == "unauthenticated"
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    caster = client.get("/metrics", headers={"Authorization": f"Bearer {caster_key}"})
    assert caster.status_code == 403 and caster.json()["code"] == "forbidden"
    assert client.get("/metrics", headers={"Authorization": f"Bearer {operator_key}"}).status_code == 200
    scraped = client.get("/metrics", headers={"Authorization": "Bearer scrape-secret"})
    assert scraped.status_code == 200
    assert scraped.headers["content-type"].startswith("text/plain")
    assert value(scraped.text, "spell_holds_open") == 0
    assert operator_key not in scraped.text and caster_key not in scraped.text


@pytest.fixture(scope="module")
def workers(
    tmp_path_factory: pytest.TempPathFactory, built_spells: Path, probe_wasm: bytes
) -> Iterator[RunningServer]:
    env = {"SPELL_WORKERS": "2", "SPELL_METRICS_ALLOW": '["127.0.0.1/32", "::1/128"]'}
    base = tmp_path_factory.mktemp("metrics")
    with running_servers(base, built_spells, probe_wasm, extra_env=env) as (server,):
        yield server


def test_casts_refusals_and_requests_are_counted_across_every_process(workers: RunningServer) -> None:
    before = httpx.get(f"{workers.url}/metrics", timeout=30).text  # allowed from this address
    with workers.client() as operator:
        for _ in range(12):  # two processes: requests land on either
            assert operator.post(CAST, json={"input": {"message": "hi"}}).status_code == 200
        assert operator.post(CAST, json={"input": {"nope": 1}}).json()["code"] == "input_invalid"
        looped = operator.post("/v1/spells/test.spell.loop/cast", json={"input": {}})
        assert looped.json()["code"] == "spell_timeout"
        broke = workers.client(workers.new_user("0")).post(CAST, json={"input": {"message": "hi"}})
        assert broke.json()["code"] == "insufficient_credits"
        unknown = operator.post("/v1/spells/made.up.by-a-caller/cast", json={"input": {}})
        assert unknown.json()["code"] == "spell_not_found"
    after = httpx.get(f"{workers.url}/metrics", timeout=30).text

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    casts = "spell_casts_total"
    assert grew(casts, spell="dev.spell.echo", transport="rest", outcome="succeeded") == 12
    assert grew(casts, spell="dev.spell.echo", transport="rest", outcome="input_invalid") == 1
    assert grew(casts, spell="test.spell.loop", transport="rest", outcome="spell_timeout") == 1
    assert grew("spell_sandbox_traps_total", kind="spell_timeout") == 1
    assert grew("spell_money_refusals_total", reason="insufficient_credits") == 1
    assert grew("spell_cast_duration_seconds_count", phase="sandbox") >= 13
    assert grew("spell_cast_fuel_total", spell="dev.spell.echo") > 0
    requests = grew("spell_http_requests_total", route="/v1/spells/{key}/cast", method="POST", status="200")
    assert requests == 12
    # What a caller typed never becomes a label: a spell that was not found is counted unnamed.
    assert grew(casts, spell="", transport="rest", outcome="spell_not_found") == 1
    assert "made.up.by-a-caller" not in after
    assert value(after, "spell_holds_open") == 0
