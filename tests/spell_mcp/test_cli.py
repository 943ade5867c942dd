"""The `spell` command refuses what it cannot do in words, at once, with no traceback, and never
makes a store nobody asked for."""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from spell_mcp.cli import app
from tests.conftest import RunningServer

ROOT = Path(__file__).resolve().parents[2]


def test_a_grant_above_the_ceiling_is_refused_before_anything_is_created(tmp_path: Path) -> None:
    home = tmp_path / "home"
    result = CliRunner().invoke(
        app, ["users", "create", "whale", "--credits", "10000000000000"], env={"SPELL_HOME": str(home)}
    )
    assert result.exit_code == 2, result.output
    assert "at most 100000 USD" in result.output and "SPELL_MAX_GRANT_USD" in result.output
    assert "Traceback" not in result.output
    assert not home.exists()


@pytest.mark.parametrize(
    "command",
    [
        ["credits", "grant", "usr_x", "1e999990", "--reason", "r"],
        ["users", "create", "whale", "--credits", "1e999990"],
    ],
)
def test_an_amount_with_a_huge_exponent_is_refused_at_once(tmp_path: Path, command: list[str]) -> None:
    """It burned about 40 s of CPU before it was refused."""
    home = tmp_path / "home"
    started = time.perf_counter()
    result = CliRunner().invoke(app, command, env={"SPELL_HOME": str(home)})
    assert time.perf_counter() - started < 5
    assert result.exit_code == 2 and "decimal amount of USD" in result.output, result.output
    assert not home.exists()


@pytest.mark.processes
def test_serving_on_a_busy_port_says_so_and_never_claims_to_serve(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [str(ROOT / ".venv/bin/spell"), "serve", "--dev", "--port", str(port)],
            env={**os.environ, "SPELL_HOME": str(tmp_path / "home")},
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr
    assert "serving" not in done.stdout + done.stderr
    assert "Traceback" not in done.stderr


def test_a_retention_dry_run_lists_what_would_go_and_removes_nothing(tmp_path: Path) -> None:
    env = {"SPELL_HOME": str(tmp_path / "home")}
    assert CliRunner().invoke(app, ["migrate"], env=env).exit_code == 0
    result = CliRunner().invoke(app, ["retention", "run", "--dry-run"], env=env)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "would remove        0 input hashes" in lines and "would remove        0 artifact files" in lines
    assert CliRunner().invoke(app, ["retention", "run"], env=env).output.startswith("removed ")


@pytest.mark.parametrize(
    "command",
    [["users", "list"], ["ledger", "verify"], ["retention", "run"], ["rescan"], ["mcp"]],
)
def test_a_store_that_does_not_exist_is_never_made_unless_asked(tmp_path: Path, command: list[str]) -> None:
    home = tmp_path / "typo"
    result = CliRunner().invoke(app, command, env={"SPELL_HOME": str(home)})
    assert result.exit_code == 2, result.output
    assert f"no Spell store at {home}" in result.output and "--init" in result.output
    assert not home.exists()


def test_init_makes_a_new_store_when_asked(tmp_path: Path) -> None:
    home = tmp_path / "new"
    made = CliRunner().invoke(
        app, ["users", "create", "alice", "--init", "--json"], env={"SPELL_HOME": str(home)}
    )
    assert made.exit_code == 0, made.output
    assert home.is_dir()


def test_a_user_name_is_taken_once_and_users_are_listed_with_their_credits(tmp_path: Path) -> None:
    env = {"SPELL_HOME": str(tmp_path / "home")}
    first = CliRunner().invoke(
        app, ["users", "create", "alice", "--credits", "2.5", "--init", "--json"], env=env
    )
    assert first.exit_code == 0, first.output
    created = json.loads(first.output)
    assert created["name"] == "alice" and created["credits_usd"] == "2.5"
    assert created["api_key"].startswith("spell_sk_") and created["id"].startswith("usr_")
    again = CliRunner().invoke(app, ["users", "create", "alice"], env=env)
    assert again.exit_code == 1
    assert f"a user named 'alice' exists already (id {created['id']})" in again.output
    operator = CliRunner().invoke(app, ["users", "create", "root", "--operator", "--json"], env=env)
    assert json.loads(operator.output)["operator"] is True
    listed = json.loads(CliRunner().invoke(app, ["users", "list", "--json"], env=env).output)
    assert [(u["name"], u["operator"], u["available_usd"]) for u in listed] == [
        ("alice", False, "2.5"),
        ("root", True, "0"),
    ]


def test_a_secret_for_a_spell_that_is_not_published_is_refused(tmp_path: Path) -> None:
    env = {"SPELL_HOME": str(tmp_path / "home")}
    assert CliRunner().invoke(app, ["migrate"], env=env).exit_code == 0
    result = CliRunner().invoke(
        app, ["secrets", "set", "com.acme.nothing", "API_TOKEN"], env=env, input="s3cret\n"
    )
    assert result.exit_code == 1
    assert "spell_not_found: no spell com.acme.nothing is published here" in result.output


def test_publishing_without_a_key_says_how_to_get_one(tmp_path: Path) -> None:
    (tmp_path / "spell.tar").write_bytes(b"x")
    env = {"SPELL_CONFIG": str(tmp_path / "none.json"), "SPELL_API_KEY": ""}
    result = CliRunner().invoke(app, ["publish", str(tmp_path / "spell.tar")], env=env)
    assert result.exit_code == 4
    assert "no API key for http://127.0.0.1:8000: run `spell login" in result.output
    assert "Traceback" not in result.output


def test_publishing_a_file_that_is_not_there_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["publish", str(tmp_path / "missing.tar")], env={"SPELL_API_KEY": "k"})
    assert result.exit_code == 2
    assert "missing.tar: No such file or directory" in result.output


def test_an_unreachable_platform_has_its_own_exit_status(tmp_path: Path) -> None:
    env = {"SPELL_CONFIG": str(tmp_path / "none.json")}
    result = CliRunner().invoke(
        app, ["balance", "--url", "http://127.0.0.1:9", "--api-key", "spell_sk_x"], env=env
    )
    assert result.exit_code == 3
    assert result.output.startswith("cannot reach http://127.0.0.1:9")


def test_login_keeps_the_key_where_only_its_owner_can_read_it(server: RunningServer, tmp_path: Path) -> None:
    config = tmp_path / "spell" / "config.json"
    key = server.new_user()
    result = CliRunner().invoke(
        app, ["login", server.url, "--api-key", key], env={"SPELL_CONFIG": str(config)}
    )
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    assert json.loads(config.read_text()) == {"url": server.url, "api_key": key}
    refused = CliRunner().invoke(
        app, ["login", server.url, "--api-key", "spell_sk_0000_nope"], env={"SPELL_CONFIG": str(config)}
    )
    assert refused.exit_code == 4
    assert json.loads(config.read_text())["api_key"] == key


@pytest.mark.processes
def test_local_commands_do_not_load_the_sigstore_trust_root(tmp_path: Path) -> None:
    env = {**os.environ, "SPELL_HOME": str(tmp_path / "home")}
    spell = str(ROOT / ".venv/bin/spell")
    subprocess.run([spell, "migrate"], env=env, check=True, capture_output=True)
    done = subprocess.run([spell, "ledger", "verify"], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "TUF" not in done.stdout + done.stderr


@pytest.mark.processes
def test_the_command_starts_without_loading_what_its_command_does_not_use() -> None:
    # A process of its own: this one has imported everything. The packages' names load lazily.
    heavy = ("sqlalchemy", "sigstore", "wasmtime", "jsonschema", "boto3", "mcp", "fastapi", "stripe")
    program = f"import sys, spell_mcp.cli; print([m for m in {heavy!r} if m in sys.modules])"
    done = subprocess.run(
        [str(ROOT / ".venv/bin/python"), "-c", program], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"


def test_help_names_values_by_what_they_are(tmp_path: Path) -> None:
    shown = CliRunner().invoke(app, ["cast", "--help"], env={"COLUMNS": "100"}).output
    assert "JSON|@FILE" in shown and "SPELL_KEY" in shown
    assert "<" not in shown  # no <str>, <bool> or <path> placeholders
    described = CliRunner().invoke(app, ["mcp", "--help"], env={"COLUMNS": "100"}).output
    assert "(for Claude Desktop, Claude Code, IDEs)" in " ".join(described.split())


def test_whoami_and_logout_follow_login(server: RunningServer, tmp_path: Path) -> None:
    env = {"SPELL_CONFIG": str(tmp_path / "config.json")}
    key = server.new_user()
    assert CliRunner().invoke(app, ["login", server.url, "--api-key", key], env=env).exit_code == 0
    who = json.loads(CliRunner().invoke(app, ["whoami", "--json"], env=env).output)
    assert who["name"].startswith("user-") and "cast" in who["scopes"]
    assert CliRunner().invoke(app, ["logout"], env=env).exit_code == 0
    assert not (tmp_path / "config.json").exists()
    assert CliRunner().invoke(app, ["whoami"], env={**env, "SPELL_API_KEY": ""}).exit_code == 4


def test_secrets_rotate_reseals_every_secret_with_the_new_key_and_refuses_a_lost_one(tmp_path: Path) -> None:
    import sqlite3

    from cryptography.fernet import Fernet

    old, new, lost = (Fernet.generate_key().decode() for _ in range(3))
    home = tmp_path / "home"

    def spell(*args: str, key: str) -> Result:
        return CliRunner().invoke(app, list(args), env={"SPELL_HOME": str(home), "SPELL_SECRETS_KEY": key})

    def ciphertexts() -> list[tuple[bytes]]:
        with sqlite3.connect(home / "spell.db") as db:
            return db.execute("SELECT ciphertext FROM spell_secrets").fetchall()

    assert spell("migrate", key=old).exit_code == 0
    with sqlite3.connect(home / "spell.db") as db:
        db.execute(
            "INSERT INTO spell_secrets VALUES ('com.acme.tool', 'API_TOKEN', ?, '2026-11-30 00:00:00')",
            (Fernet(old).encrypt(b"s3cret"),),
        )
    rotated = spell("secrets", "rotate", key=f"{new},{old}")
    assert rotated.exit_code == 0, rotated.output
    assert "re-sealed 1 secrets" in rotated.output
    [(ciphertext,)] = ciphertexts()
    assert Fernet(new).decrypt(ciphertext) == b"s3cret"
    refused = spell("secrets", "rotate", key=lost)
    assert refused.exit_code == 1 and "no longer lists" in refused.output
    assert ciphertexts() == [(ciphertext,)]  # untouched


@pytest.mark.processes
def test_keygen_writes_keys_a_server_reads_from_its_secrets_directory(tmp_path: Path) -> None:
    keys = tmp_path / "secrets"
    made = CliRunner().invoke(app, ["keygen", str(keys)])
    assert made.exit_code == 0, made.output
    assert {p.name: stat.S_IMODE(p.stat().st_mode) for p in keys.iterdir()} == {
        "spell_receipt_key": 0o600,
        "spell_secrets_key": 0o600,
    }
    again = CliRunner().invoke(app, ["keygen", str(keys)])
    assert again.exit_code == 1 and "never replaced by accident" in again.output
    env = {**os.environ, "SPELL_SECRETS_DIR": str(keys), "SPELL_HOME": str(tmp_path / "home")}
    env.pop("SPELL_RECEIPT_KEY", None)
    spell = str(ROOT / ".venv/bin/spell")
    subprocess.run([spell, "migrate"], env=env, check=True, capture_output=True)
    assert not (tmp_path / "home" / "receipt.key").exists()  # the mounted key, not a new one
    assert not (tmp_path / "home" / "secrets.key").exists()


def test_signing_says_why_it_cannot(tmp_path: Path) -> None:
    missing = CliRunner().invoke(app, ["sign", str(tmp_path / "spell.tar")])
    assert missing.exit_code == 2 and "no such package (make it with `spell pack`)" in missing.output
    (tmp_path / "spell.tar").write_bytes(b"package")
    command = [
        "sign",
        str(tmp_path / "spell.tar"),
        "--identity-token",
        "x",
        "--trust-config",
        str(tmp_path / "nope"),
    ]
    refused = CliRunner().invoke(app, command)
    assert refused.exit_code == 1
    assert "cannot sign" in refused.output and "No such file or directory" in refused.output
    assert not (tmp_path / "spell.tar.sigstore.json").exists()


@pytest.mark.parametrize(
    ("amount", "complaint"),
    [("lots", "--daily must be a decimal amount of USD"), ("-2", "--daily must not be negative")],
)
def test_a_budget_cap_that_is_no_amount_is_refused_before_anything_is_sent(
    amount: str, complaint: str
) -> None:
    result = CliRunner().invoke(
        app, ["budget", "set", "--daily", amount, "--url", "http://127.0.0.1:9", "--api-key", "k"]
    )
    assert result.exit_code == 2
    assert complaint in result.output and "cannot reach" not in result.output


def test_a_queued_cast_is_followed_and_cancelled_from_the_command_line(
    server: RunningServer, tmp_path: Path
) -> None:
    env = {"SPELL_URL": server.url, "SPELL_API_KEY": server.new_user(credits_usd="1")}
    env["SPELL_CONFIG"] = str(tmp_path / "none.json")
    queued = CliRunner().invoke(
        app, ["cast", "dev.spell.echo", "-i", '{"message": "later"}', "--queue"], env=env
    )
    assert queued.exit_code == 0, queued.output
    cast_id = queued.stdout.strip()
    assert cast_id.startswith("cast_") and f"spell casts show {cast_id} --wait" in queued.stderr
    shown = CliRunner().invoke(app, ["casts", "show", cast_id, "--wait", "--json"], env=env)
    assert shown.exit_code == 0 and json.loads(shown.stdout)["output"] == {"message": "later"}

    spinning = CliRunner().invoke(app, ["cast", "test.spell.spin", "--queue", "--json"], env=env)
    spin_id = json.loads(spinning.stdout)["cast_id"]
    cancelled = CliRunner().invoke(app, ["casts", "cancel", spin_id], env=env)
    assert (
        cancelled.exit_code == 0
        and "cast_cancelled: " in cancelled.stdout
        and "charged 0" in cancelled.stdout
    )
    failed = CliRunner().invoke(app, ["casts", "show", spin_id], env=env)
    assert failed.exit_code == 1  # it failed: scripts can tell
    unknown = CliRunner().invoke(app, ["casts", "show", "cast_nope"], env=env)
    assert unknown.exit_code == 1 and "cast_not_found" in unknown.output
