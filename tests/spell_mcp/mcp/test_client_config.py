"""mcp.json.example describes the two ways to connect that the server really offers."""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_the_example_client_configuration_matches_the_server() -> None:
    servers = json.loads((ROOT / "mcp.json.example").read_text())["mcpServers"]
    stdio, http = servers["spell"], servers["spell-http"]
    assert stdio["command"].endswith("/.venv/bin/spell")
    assert stdio["args"] == ["mcp"]
    assert "SPELL_HOME" in stdio["env"]
    assert http["url"].endswith("/mcp")
    assert http["headers"]["Authorization"].startswith("Bearer spell_sk_")
