"""Makers' secrets: encrypted at rest with the platform's key, decrypted only for a cast."""

from __future__ import annotations

import hashlib
import hmac
import os
from datetime import UTC, datetime
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy.orm import Session

from registry.models import table_of
from spell_mcp.database.tables import SpellSecret

KEY_FILE = "secrets.key"
_secrets = table_of(SpellSecret)


class SecretBox:
    """Seals with the first of its keys, opens with any (cryptography's MultiFernet): a key is
    rotated by putting the new one first, re-sealing (`spell secrets rotate`), then dropping the
    old one."""

    def __init__(self, key: bytes, *older: bytes) -> None:
        self._fernet = MultiFernet([Fernet(k) for k in (key, *older)])
        self._key = key

    def derive(self, purpose: str) -> bytes:
        """A key of its own for `purpose` (e.g. pseudonyms), made from this one: every server
        process sharing the secrets key derives the same."""
        return hmac.new(self._key, f"spell:{purpose}".encode(), hashlib.sha256).digest()

    @classmethod
    def for_home(cls, home: Path, configured: str | None) -> SecretBox:
        """The configured key (SPELL_SECRETS_KEY, shared by all server processes), or one kept
        in the store's directory, created on first use."""
        if configured:
            keys = [k.strip().encode() for k in configured.split(",") if k.strip()]
            return cls(*keys)
        path = home / KEY_FILE
        if not path.exists():
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as out:
                out.write(Fernet.generate_key())
        return cls(path.read_bytes().strip())

    def reseal(self, ciphertext: bytes) -> bytes:
        """The same value sealed with the first key (raises InvalidToken if no key opens it)."""
        return self._fernet.rotate(ciphertext)

    def seal(self, value: str) -> bytes:
        return self._fernet.encrypt(value.encode())

    def open(self, ciphertext: bytes, max_age_s: int | None = None) -> str | None:
        """The sealed value, or None if it was not sealed here, was altered, or is older than
        `max_age_s`."""
        try:
            return self._fernet.decrypt(ciphertext, ttl=max_age_s).decode()
        except InvalidToken:
            return None


def set_secret(session: Session, box: SecretBox, spell_key: str, name: str, value: str) -> None:
    existing = session.get(SpellSecret, (spell_key, name))
    now = datetime.now(UTC)
    if existing is None:
        session.add(SpellSecret(spell_key=spell_key, name=name, ciphertext=box.seal(value), updated_at=now))
    else:
        existing.ciphertext = box.seal(value)
        existing.updated_at = now
