"""`spell test` reports what publish would warn of, and `--all` fails on it."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from typer.testing import CliRunner

from spell_mcp.cli import app


def test_a_limit_above_the_ceiling_is_a_warning_and_all_makes_it_a_failure(greeter: Path) -> None:
    manifest = greeter / "manifest.toml"
    manifest.write_text(manifest.read_text().replace("timeout_ms = 1000", "timeout_ms = 90000"))
    warned = CliRunner().invoke(app, ["test", str(greeter), "--json"])
    assert warned.exit_code == 0, warned.output
    assert json.loads(warned.output)["warnings"] == [
        "runtime.timeout_ms = 90000 is above this platform's ceiling (SPELL_MAX_TIMEOUT_MS): "
        "casts run with timeout_ms = 30000"
    ]
    strict = CliRunner().invoke(app, ["test", str(greeter), "--all", "--json"])
    assert strict.exit_code == 1
    assert json.loads(strict.output)["checks"][-1]["check"] == "no warnings (--all)"


def test_an_sbom_left_from_an_earlier_build_fails_every_check_and_says_how_to_fix_it(greeter: Path) -> None:
    """A newcomer bumps the version and rebuilds, but forgets `spell sbom generate`: the SBOM
    still names the old version and the old module's checksum."""
    manifest = greeter / "manifest.toml"
    manifest.write_text(manifest.read_text().replace('version = "0.1.0"', 'version = "0.2.0"'))
    rebuilt = (greeter / "spell.wasm").read_bytes() + b"\x00\x04\x03new"  # a custom section "new"
    (greeter / "spell.wasm").write_bytes(rebuilt)
    for flags in ([], ["--all"]):
        run = CliRunner().invoke(app, ["test", str(greeter), "--json", *flags])
        assert run.exit_code == 1, run.output
        (check,) = json.loads(run.output)["checks"]
        assert check["check"] == "sbom_mismatch" and not check["passed"]
        assert check["problems"][0] == (
            "sbom.spdx.json: describes com.acme.greeter 0.1.0, but the manifest's version is 0.2.0"
        )
        assert check["problems"][1].startswith(
            "sbom.spdx.json: gives com.acme.greeter the SHA256 checksum "
        ) and check["problems"][1].endswith(hashlib.sha256(rebuilt).hexdigest())
        assert (
            check["problems"][-1] == "the SBOM must be this build's: make it again with `spell sbom generate`"
        )
    assert CliRunner().invoke(app, ["sbom", "generate", str(greeter)]).exit_code == 0
    assert CliRunner().invoke(app, ["test", str(greeter), "--all"]).exit_code == 0
