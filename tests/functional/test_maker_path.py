"""A new maker's whole path, with the `spell` command as they would type it: init, build, SBOM,
test, pack, sign (against a private Sigstore the real signer talks to over HTTP), publish to a
server that is not in dev mode, cast through the caster's commands, and verify the receipt.
Each broken step stops with a message that says what to fix."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import ROOT, RunningServer, running_servers
from tests.private_sigstore import PrivateSigstore

SPELL = str(ROOT / ".venv" / "bin" / "spell")
IDENTITY, ISSUER = "maker@example.com", "https://issuer.example"


@dataclass(frozen=True)
class Workshop:
    server: RunningServer
    sigstore: PrivateSigstore
    trust_config: Path
    env: dict[str, str]
    maker_key: str

    def spell(self, *args: str, cwd: Path, ok: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [SPELL, *args], cwd=cwd, env=self.env, capture_output=True, text=True, timeout=180
        )
        if ok:
            assert done.returncode == 0, f"spell {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
        return done

    def new_user(self, name: str, credits_usd: str, cwd: Path) -> str:
        """`spell users create` on the server's own store, as its operator would."""
        done = self.spell("users", "create", name, "--credits", credits_usd, "--json", cwd=cwd)
        return str(json.loads(done.stdout)["api_key"])


@pytest.fixture(scope="module")
def workshop(
    tmp_path_factory: pytest.TempPathFactory, built_spells: Path, probe_wasm: bytes
) -> Iterator[Workshop]:
    base = tmp_path_factory.mktemp("workshop")
    sigstore = PrivateSigstore(base)
    signed_only = {"SPELL_DEV_MODE": "0", "SPELL_TRUST_ROOT": str(sigstore.trusted_root)}
    with (
        sigstore.serve(base) as trust_config,
        running_servers(base, built_spells, probe_wasm, extra_env=signed_only) as (server,),
    ):
        env = {
            **server.env,
            "SPELL_CONFIG": str(base / "config.json"),
            "PATH": f"{ROOT / '.venv' / 'bin'}:{os.environ['PATH']}",
        }
        env.pop("SPELL_API_KEY", None)
        env.pop("SPELL_URL", None)
        shop = Workshop(server, sigstore, trust_config, env, "")
        maker_key = shop.new_user("maker", "0", base)
        shop = Workshop(server, sigstore, trust_config, env, maker_key)
        shop.spell("login", server.url, "--api-key", maker_key, cwd=base)
        yield shop


def test_from_an_empty_folder_to_a_verified_receipt(workshop: Workshop, tmp_path: Path) -> None:
    shop = workshop
    shop.spell("init", "greeter", "--key", "com.acme.greeter", cwd=tmp_path)
    folder = tmp_path / "greeter"
    assert "the sandbox provides every import" in shop.spell("build", cwd=folder).stdout
    shop.spell("sbom", "generate", cwd=folder)
    tested = shop.spell("test", cwd=folder).stdout
    assert "passed: 3 of 3 examples" in tested
    shop.spell("pack", "-o", "spell.tar", cwd=folder)
    shop.spell("signers", "add", "--identity", IDENTITY, "--issuer", ISSUER, cwd=folder)
    token = shop.sigstore.identity_token(IDENTITY, ISSUER)
    signed = shop.spell(
        "sign", "spell.tar", "--identity-token", token, "--trust-config", str(shop.trust_config), cwd=folder
    )
    assert f"signed spell.tar as {IDENTITY} ({ISSUER})" in signed.stdout
    shop.spell("verify", "spell.tar", "--cert-identity", IDENTITY, "--cert-oidc-issuer", ISSUER,
               "--trust-root", str(shop.sigstore.trusted_root), cwd=folder)  # fmt: skip
    published = shop.spell("publish", "spell.tar", "--bundle", "spell.tar.sigstore.json", cwd=folder).stdout
    assert f"published: com.acme.greeter 0.1.0 (signed by {IDENTITY})" in published

    caster_key = shop.new_user("caster", "1", tmp_path)
    found = shop.spell("spells", "search", "greet", "--api-key", caster_key, "--json", cwd=tmp_path)
    assert [s["key"] for s in json.loads(found.stdout)["items"]] == ["com.acme.greeter"]
    cast = shop.spell(
        "cast", "com.acme.greeter", "--input", '{"name": "Ada"}', "--receipt", "receipt.json",
        "--api-key", caster_key, cwd=tmp_path,
    )  # fmt: skip
    assert json.loads(cast.stdout) == {"greeting": "Hello, Ada!"}
    verified = shop.spell("receipt", "verify", "receipt.json", cwd=tmp_path).stdout
    assert verified.startswith("OK cast_") and "com.acme.greeter 0.1.0, 1000 micro-USD" in verified
    balance = json.loads(shop.spell("balance", "--api-key", caster_key, "--json", cwd=tmp_path).stdout)
    assert balance["available"]["micros"] == 999_000


def made(shop: Workshop, tmp_path: Path, name: str) -> Path:
    shop.spell("init", name, "--key", f"com.acme.{name}", cwd=tmp_path)
    folder = tmp_path / name
    shop.spell("build", cwd=folder)
    return folder


def test_without_an_sbom_pack_says_how_to_make_one(workshop: Workshop, tmp_path: Path) -> None:
    folder = made(workshop, tmp_path, "no-sbom")
    done = workshop.spell("pack", cwd=folder, ok=False)
    assert done.returncode == 1
    assert "sbom.spdx.json: missing (the SBOM: make it with `spell sbom generate`)" in done.stderr
    assert not (folder / "spell.tar").exists()


def test_an_invalid_schema_fails_the_test_as_publish_would(workshop: Workshop, tmp_path: Path) -> None:
    folder = made(workshop, tmp_path, "bad-schema")
    workshop.spell("sbom", "generate", cwd=folder)
    (folder / "schema.json").write_text('{"type": "object", "properties": {"name": {"type": "text"}}}')
    done = workshop.spell("test", cwd=folder, ok=False)
    assert done.returncode == 1
    assert "FAIL  schema_invalid" in done.stdout and "not a valid JSON Schema 2020-12" in done.stdout


def test_a_failing_example_fails_the_test_and_says_which(workshop: Workshop, tmp_path: Path) -> None:
    folder = made(workshop, tmp_path, "wrong-example")
    workshop.spell("sbom", "generate", cwd=folder)
    examples = json.loads((folder / "tests" / "examples.json").read_text())
    examples[0]["output"] = {"greeting": "Howdy, Ada!"}
    (folder / "tests" / "examples.json").write_text(json.dumps(examples))
    done = workshop.spell("test", "--json", cwd=folder, ok=False)
    assert done.returncode == 1
    report = json.loads(done.stdout)
    first = report["cases"][0]
    assert (first["name"], first["passed"]) == ("greets by name", False)
    assert 'expected {"greeting": "Howdy, Ada!"}' in report["cases"][0]["detail"]


def test_a_signer_the_maker_never_registered_is_refused(workshop: Workshop, tmp_path: Path) -> None:
    folder = made(workshop, tmp_path, "stranger")
    workshop.spell("sbom", "generate", cwd=folder)
    workshop.spell("pack", cwd=folder)
    token = workshop.sigstore.identity_token("stranger@example.com", ISSUER)
    workshop.spell("sign", "--tar", "spell.tar", "--identity-token", token, "--trust-config",
                   str(workshop.trust_config), cwd=folder)  # fmt: skip
    done = workshop.spell(
        "publish", "--tar", "spell.tar", "--signature", "spell.tar.sigstore.json", cwd=folder, ok=False
    )
    assert done.returncode == 1
    assert "refused (signature_invalid)" in done.stderr
    # The maker is told who signed, and that it is none of the signers they registered.
    assert "actual SANs: {'stranger@example.com'}" in done.stderr and "Traceback" not in done.stderr


def test_an_unsigned_package_is_refused_outside_dev_mode(workshop: Workshop, tmp_path: Path) -> None:
    folder = made(workshop, tmp_path, "unsigned")
    workshop.spell("sbom", "generate", cwd=folder)
    workshop.spell("pack", cwd=folder)
    done = workshop.spell("publish", cwd=folder, ok=False)
    assert done.returncode == 1
    assert "refused (signature_required)" in done.stderr
    assert done.stderr.count("sign the package made by `spell pack`") == 1  # said once
