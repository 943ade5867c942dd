"""Settings come from the environment, or from mounted secret files (SPELL_SECRETS_DIR)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

READ = "from spell_mcp.settings import Settings; s = Settings(); print(s.receipt_key, s.secrets_key)"


def read_settings(env: dict[str, str]) -> str:
    done = subprocess.run([sys.executable, "-c", READ], env=env, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def test_a_mounted_secret_file_sets_its_setting_and_a_variable_wins_over_it(tmp_path: Path) -> None:
    (tmp_path / "spell_receipt_key").write_text("from-a-file\n")
    (tmp_path / "spell_secrets_key").write_text("also-from-a-file")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPELL_")}
    assert read_settings({**env, "SPELL_SECRETS_DIR": str(tmp_path)}) == "from-a-file also-from-a-file"
    both = {**env, "SPELL_SECRETS_DIR": str(tmp_path), "SPELL_SECRETS_KEY": "from-the-environment"}
    assert read_settings(both) == "from-a-file from-the-environment"


def test_a_secrets_directory_that_is_not_there_is_no_error(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPELL_")}
    assert read_settings({**env, "SPELL_SECRETS_DIR": str(tmp_path / "missing")}) == "None None"


def test_the_server_names_itself_by_its_public_url_else_by_its_listen_address(tmp_path: Path) -> None:
    from spell_mcp.settings import Settings

    home = tmp_path / "home"
    assert (
        Settings(home=home, public_url="https://spell.example.com/").advertised_url()
        == "https://spell.example.com"
    )
    assert Settings(home=home, host="0.0.0.0", port=8080).advertised_url() == "http://0.0.0.0:8080"
    assert Settings(home=home, host="::1", port=9000).advertised_url() == "http://[::1]:9000"
