"""`spell test`: publish's own checks, then each example cast in the sandbox and compared."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from registry import RegistrationError
from runtime import Limits
from spell_mcp.toolchain.packing import pack_folder
from spell_mcp.toolchain.trial import Example, ExamplesError, Trial, read_examples, trial, vulnerabilities
from tests import wasm_modules as wat
from tests.spell_mcp.toolchain.conftest import rebuilt

CEILING = Limits(timeout_ms=30_000, max_memory_bytes=256 << 20, max_output_bytes=4 << 20)


@pytest.fixture
def session() -> Iterator[Trial]:
    with trial(CEILING) as opened:
        yield opened


def test_the_examples_spell_init_writes_pass(greeter: Path, session: Trial) -> None:
    checked = session.check(pack_folder(greeter))
    reports = [session.cast(checked, case) for case in read_examples(greeter / "tests" / "examples.json")]
    assert [(r.name, r.passed) for r in reports] == [
        ("greets by name", True),
        ("keeps escaped characters", True),
        ("refuses an input without a name", True),
    ]
    assert all(r.fuel > 0 for r in reports[:2])


def test_a_wrong_expectation_fails_showing_both_values(greeter: Path, session: Trial) -> None:
    checked = session.check(pack_folder(greeter))
    report = session.cast(
        checked, Example("wrong", {"name": "Ada"}, {"greeting": "Hi, Ada!"}, has_output=True)
    )
    assert not report.passed
    assert report.detail == 'output {"greeting": "Hello, Ada!"}\n      expected {"greeting": "Hi, Ada!"}'


def test_an_output_that_breaks_the_output_schema_fails_as_a_cast_would(greeter: Path, session: Trial) -> None:
    rebuilt(greeter, wat.writes('{"greeting": 7}'))
    checked = session.check(pack_folder(greeter))
    report = session.cast(checked, Example("any", {"name": "Ada"}, {"greeting": 7}, has_output=True))
    assert not report.passed
    assert report.detail.startswith(
        "spell_output_invalid: the output does not match the spell's output schema"
    )


def test_a_failing_spell_reports_its_error_and_its_stderr(greeter: Path, session: Trial) -> None:
    rebuilt(greeter, wat.exits(3))
    checked = session.check(pack_folder(greeter))
    report = session.cast(checked, Example("exits", {"name": "Ada"}, {}, has_output=True))
    assert not report.passed and report.detail.startswith("spell_failed")
    assert session.cast(checked, Example("expected", {"name": "Ada"}, error="spell_failed")).passed


def test_casts_run_under_the_spells_own_limits(greeter: Path, session: Trial) -> None:
    manifest = greeter / "manifest.toml"
    manifest.write_text(manifest.read_text().replace("timeout_ms = 1000", "timeout_ms = 100"))
    rebuilt(greeter, wat.LOOPS_FOREVER)
    checked = session.check(pack_folder(greeter))
    assert session.limits(checked).timeout_ms == 100
    report = session.cast(checked, Example("spins", {"name": "Ada"}, error="spell_timeout"))
    assert report.passed, report.detail


def test_what_publish_refuses_is_refused_with_publishs_words(greeter: Path, session: Trial) -> None:
    rebuilt(greeter, wat.IMPORTS_UNKNOWN_HOST_FUNCTION)
    with pytest.raises(RegistrationError) as refused:
        session.check(pack_folder(greeter))
    assert refused.value.code == "module_invalid"
    assert "env.launch_missiles" in refused.value.problems[0]


@pytest.mark.parametrize(
    ("content", "complaint"),
    [
        ("{}", "must be a JSON list"),
        ('[{"input": 3, "output": 1}]', 'an "input" object'),
        ('[{"input": {}}]', 'expected "output" or the expected "error"'),
        ('[{"input": {}, "output": 1, "expect": 2}]', "unknown field 'expect'"),
        ("[", "not readable JSON"),
    ],
)
def test_a_malformed_examples_file_is_refused_naming_the_case(
    tmp_path: Path, content: str, complaint: str
) -> None:
    path = tmp_path / "examples.json"
    path.write_text(content)
    with pytest.raises(ExamplesError, match=complaint):
        read_examples(path)


def test_known_vulnerabilities_are_found_as_publish_finds_them(
    greeter: Path, session: Trial, tmp_path: Path
) -> None:
    sbom = json.loads((greeter / "sbom.spdx.json").read_text())
    sbom["packages"].append(
        {
            "name": "left-pad",
            "SPDXID": "SPDXRef-Package-leftpad",
            "versionInfo": "1.0.0",
            "downloadLocation": "NOASSERTION",
            "filesAnalyzed": False,
            "externalRefs": [
                {
                    "referenceCategory": "PACKAGE-MANAGER",
                    "referenceType": "purl",
                    "referenceLocator": "pkg:npm/left-pad@1.0.0",
                }
            ],
        }
    )
    (greeter / "sbom.spdx.json").write_text(json.dumps(sbom))
    osv = tmp_path / "osv"
    osv.mkdir()
    record = {
        "id": "GHSA-test-0001",
        "summary": "pads too far",
        "affected": [
            {
                "package": {"ecosystem": "npm", "name": "left-pad"},
                "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "1.3.0"}]}],
            }
        ],
        "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
    }
    (osv / "GHSA-test-0001.json").write_text(json.dumps(record))
    findings = vulnerabilities(session.check(pack_folder(greeter)), osv)
    assert [(f.id, f.package, f.blocking) for f in findings] == [("GHSA-test-0001", "npm/left-pad", True)]
