"""Schemathesis against /openapi.json: generated requests (valid and not) for every operation,
and stateful sequences along the documented links. No response is a 5xx, and every response
matches the status codes, content types, headers and schemas the document declares."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT, RunningServer, running_servers

FAILING_SPELLS = ("test.spell.exit", "test.spell.loop", "test.spell.spin")
CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
    ]
)


@pytest.fixture(scope="module")
def fuzzed_server(
    tmp_path_factory: pytest.TempPathFactory, built_spells: Path, probe_wasm: bytes
) -> Iterator[RunningServer]:
    # A server of its own: the fuzzer yanks, suspends and revokes whatever it can reach. Without
    # the spells that fail on purpose: their documented 502 and 504 (the spell failed, not the
    # server) look to the fuzzer's server-error check like failures of ours.
    def only_working_spells(spells: Path) -> None:
        for failing in FAILING_SPELLS:
            shutil.rmtree(spells / failing)

    with running_servers(
        tmp_path_factory.mktemp("fuzz"), built_spells, probe_wasm, extra_spells=only_working_spells
    ) as (server,):
        yield server


def test_every_operation_answers_as_documented(fuzzed_server: RunningServer, tmp_path: Path) -> None:
    done = subprocess.run(
        [
            str(ROOT / ".venv/bin/schemathesis"),
            "run",
            f"{fuzzed_server.url}/openapi.json",
            "--header",
            f"Authorization: Bearer {fuzzed_server.operator_key}",
            "--checks",
            CHECKS,
            "--max-examples",
            "25",
            "--seed",
            "20261125",
            "--request-timeout",
            "30",
            "--report-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        env={**fuzzed_server.env, "NO_COLOR": "1"},
    )
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    assert "generated" in done.stdout and " failures" not in done.stdout
