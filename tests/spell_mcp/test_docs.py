"""The docs cannot drift from the code: every error code and setting is documented."""

from __future__ import annotations

import re
from pathlib import Path

from spell_mcp.audit import ACTIONS
from spell_mcp.errors import CATALOG
from spell_mcp.settings import Settings

DOCS = Path(__file__).resolve().parents[2] / "docs"


def documented(page: str) -> set[str]:
    return set(re.findall(r"^\| `([^`]+)` \|", (DOCS / page).read_text(), flags=re.MULTILINE))


def test_every_error_code_is_documented_with_its_status() -> None:
    text = (DOCS / "errors.md").read_text()
    assert documented("errors.md") == set(CATALOG)
    for code, kind in CATALOG.items():
        assert f"| `{code}` | {kind.status} |" in text


def test_every_setting_is_documented() -> None:
    expected = {f"SPELL_{name.upper()}" for name in Settings.model_fields}
    assert documented("settings.md") == expected


def test_every_audited_action_is_documented() -> None:
    assert documented("operations.md") >= set(ACTIONS)
