"""Structured logs: with SPELL_LOG_FORMAT=json every line a server logs is one JSON object, one
per request and one per cast, tied by the request id, and none carries a key, a secret, an
input or an address; the first operator key is only in its 0600 file."""

from __future__ import annotations

import json
import stat
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import RunningServer, running_servers

SECRET_INPUT = "my-private-message-4711"


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, built_spells: Path, probe_wasm: bytes
) -> Iterator[RunningServer]:
    base = tmp_path_factory.mktemp("logs")
    with running_servers(base, built_spells, probe_wasm, extra_env={"SPELL_LOG_FORMAT": "json"}) as (
        running,
    ):
        yield running


def log_text(server: RunningServer) -> str:
    port = server.url.rsplit(":", 1)[1]
    return (server.home.parent / f"server-{port}.log").read_text()


def test_each_request_and_cast_is_one_json_line_without_secrets(server: RunningServer) -> None:
    with server.client() as client:
        cast = client.post("/v1/spells/dev.spell.echo/cast", json={"input": {"message": SECRET_INPUT}})
        assert cast.status_code == 200
        request_id = cast.headers["x-request-id"]
        hook = client.put("/v1/users/me/budget/webhook", json={"url": "https://hooks.example.com/x"})
        hook_secret = hook.json()["secret"]
    time.sleep(0.5)  # the lines are written as the responses go out
    text = log_text(server)
    lines = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    cast_line = next(line for line in lines if line["event"] == "cast" and line["request_id"] == request_id)
    assert cast_line["spell"] == "dev.spell.echo" and cast_line["outcome"] == "succeeded"
    assert cast_line["cast_id"] == cast.json()["cast_id"] and cast_line["fuel"] > 0
    assert cast_line["price_micros"] == cast_line["charged_micros"] > 0
    request_line = next(
        line for line in lines if line["event"] == "request" and line["request_id"] == request_id
    )
    assert request_line["route"] == "/v1/spells/{key}/cast" and request_line["status"] == 200
    assert len(request_line["caster"]) == 32  # a pseudonym
    for secret in (server.operator_key, hook_secret, SECRET_INPUT, '127.0.0.1"', server.operator_key[:20]):
        assert secret not in text


def test_the_first_operator_key_is_only_in_its_private_file(server: RunningServer) -> None:
    key_file = server.home / "operator.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    text = log_text(server)
    assert server.operator_key not in text
    assert str(key_file) in text
