"""The operator's files are valid and do what they say: the alert rules pass `promtool check`
and their own unit tests (`promtool test rules`), and every metric an alert or a dashboard panel
uses is one the server exposes."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from spell_mcp.observability import exposition, metrics

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "ops" / "prometheus"
DASHBOARD = ROOT / "ops" / "grafana" / "spell.json"
# Metrics read from the store at each scrape (spell_mcp/observability/exposition.py).
STORE = exposition.StoreState(0, 0, 0, 0, 0, jobs={"j": (0.0, True)}, vulnerability_data_age={"Go": 0.0})
GAUGES = {family.name for family in exposition._StoreCollector(STORE).collect()}


def exposed() -> set[str]:
    names = set(GAUGES)
    for value in vars(metrics).values():
        describe = getattr(value, "describe", None)
        if callable(describe) and hasattr(value, "_name"):
            for family in describe():
                names.update(sample for sample in _samples_of(family.name, family.type))
    return names


def _samples_of(name: str, kind: str) -> list[str]:
    if kind == "counter":
        return [f"{name}_total"]
    if kind == "histogram":
        return [f"{name}_bucket", f"{name}_count", f"{name}_sum"]
    return [name]


def used_in(expression: str) -> set[str]:
    """The metric names in a PromQL expression (label names in `by (…)` left out)."""
    without_groupings = re.sub(r"\bby \([^)]*\)", "", expression)
    return set(re.findall(r"\b((?:spell|mcp)_[a-z_]+)", without_groupings))


@pytest.mark.processes
@pytest.mark.parametrize("command", [["check", "rules", "alerts.yml"], ["test", "rules", "alerts_test.yml"]])
def test_the_alert_rules_pass_promtool(command: list[str]) -> None:
    done = subprocess.run(["promtool", *command], cwd=RULES, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_alerts_and_dashboard_use_only_metrics_the_server_exposes() -> None:
    known = exposed()
    expressions = re.findall(r"expr: \|?\s*\n?\s*(.+)", (RULES / "alerts.yml").read_text())
    panels = json.loads(DASHBOARD.read_text())["panels"]
    expressions += [target["expr"] for panel in panels for target in panel.get("targets", [])]
    assert expressions
    for expression in expressions:
        assert used_in(expression) <= known, expression
