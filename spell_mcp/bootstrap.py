"""Users, and the first start of a local platform: the operator and the bundled example spells."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import anyio.to_thread
from sqlalchemy.orm import Session
from sqlmodel import col, select

from billing import AccountKind, Ledger, account_id
from registry import CheckedVersion, RegistrationError, SpellSource, check, record
from spell_mcp.auth import SCOPES, Caster, create_key
from spell_mcp.database.tables import User
from spell_mcp.platform import Platform

OPERATOR_KEY_FILE = "operator.key"


@dataclass(frozen=True, slots=True)
class NewUser:
    user_id: str
    api_key: str


@dataclass(frozen=True, slots=True)
class OperatorBootstrap:
    caster: Caster
    # The full key, only when it was created by this call (it is printed once).
    new_key: str | None


def create_account(
    session: Session, name: str, *, is_operator: bool = False, github_id: int | None = None
) -> str:
    """A user and its ledger accounts (credits to cast with, earnings as a maker); no API key."""
    user_id = f"usr_{secrets.token_hex(8)}"
    session.add(
        User(
            id=user_id,
            name=name[:200],
            is_operator=is_operator,
            github_id=github_id,
            created_at=datetime.now(UTC),
        )
    )
    session.flush()
    ledger = Ledger(session)
    ledger.open_account(AccountKind.CASTER_CREDITS, user_id)
    ledger.open_account(AccountKind.MAKER_EARNINGS, user_id)
    return user_id


def create_user(
    session: Session, name: str, *, credits_micros: int = 0, is_operator: bool = False
) -> NewUser:
    """A user with credits and earnings accounts, an API key, and optional granted credits."""
    user_id = create_account(session, name, is_operator=is_operator)
    if credits_micros:
        credits = account_id(AccountKind.CASTER_CREDITS, user_id)
        Ledger(session).grant(credits, credits_micros, reference=f"grant:{user_id}")
    # The first key may do everything, including making the narrower keys handed to agents.
    key = create_key(session, user_id, f"{name} (first key)", scopes=SCOPES)
    return NewUser(user_id=user_id, api_key=key)


def find_operator(session: Session) -> Caster | None:
    operator_id = (
        session.execute(select(User.id).where(col(User.is_operator).is_(True)).order_by(col(User.created_at)))
        .scalars()
        .first()
    )
    return Caster(user_id=operator_id, key_id=None, is_operator=True) if operator_id else None


async def ensure_operator(platform: Platform) -> OperatorBootstrap:
    """The local operator account, created with a key and starting credits if there is none."""
    existing = await platform.db.read(find_operator)
    if existing is not None:
        return OperatorBootstrap(existing, None)
    operator = await platform.db.write(
        lambda session: create_user(
            session, "operator", credits_micros=platform.settings.dev_credits_micros, is_operator=True
        )
    )
    key_path = platform.settings.home / OPERATOR_KEY_FILE
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(operator.api_key + "\n")
    return OperatorBootstrap(
        Caster(user_id=operator.user_id, key_id=None, is_operator=True), operator.api_key
    )


def _check_unsigned(platform: Platform, spell_dir: Path) -> CheckedVersion:
    return check(
        SpellSource.from_directory(spell_dir),
        sandbox=platform.sandbox,
        blobs=platform.blobs,
        bundle=None,
        verifier=None,
        identities=[],
        allow_unsigned=True,
    )


async def register_directory(platform: Platform, directory: Path, maker_id: str) -> list[str]:
    """Register every spell directory below `directory` (unsigned: dev mode only).

    Returns one line per spell: its key and version, or why it was skipped.
    """
    report = []
    # Blocking directory reads are fine here: it runs once, at startup, over a few entries.
    for spell_dir in sorted(p for p in directory.iterdir() if (p / "manifest.toml").exists()):  # noqa: ASYNC240
        try:
            checked = await anyio.to_thread.run_sync(_check_unsigned, platform, spell_dir)
            version, _ = await platform.db.write(partial(record, checked=checked, maker_id=maker_id))
            report.append(f"{version.spell_key} {version.version}")
        except RegistrationError as exc:
            report.append(f"{spell_dir.name}: skipped ({exc})")
    return report
