"""Makers' secrets are sealed with the first secrets key and opened with any: a key is rotated
without a moment in which a secret cannot be read."""

from __future__ import annotations

from pathlib import Path

from cryptography.fernet import Fernet

from spell_mcp.accounts.secrets import SecretBox


def test_a_rotation_keeps_every_secret_readable_until_the_old_key_is_dropped(tmp_path: Path) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    sealed = SecretBox.for_home(tmp_path, old).seal("s3cret")
    both = SecretBox.for_home(tmp_path, f"{new}, {old}")
    assert both.open(sealed) == "s3cret"  # the servers with the new key first still read it
    resealed = both.reseal(sealed)
    assert SecretBox.for_home(tmp_path, new).open(resealed) == "s3cret"
    assert SecretBox.for_home(tmp_path, new).open(sealed) is None  # old ciphertexts need the old key
    assert SecretBox.for_home(tmp_path, old).open(resealed) is None


def test_without_a_configured_key_one_is_made_once_in_the_home(tmp_path: Path) -> None:
    sealed = SecretBox.for_home(tmp_path, None).seal("value")
    assert SecretBox.for_home(tmp_path, None).open(sealed) == "value"
    assert (tmp_path / "secrets.key").stat().st_mode & 0o777 == 0o600
