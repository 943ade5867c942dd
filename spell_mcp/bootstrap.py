"""First start of a local platform: the operator account and the bundled example spells."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlmodel import col, select

from billing import AccountKind, Ledger
from registry import RegistrationError, SpellSource, register
from spell_mcp.auth import Caster, create_key
from spell_mcp.models import User
from spell_mcp.platform import Platform

OPERATOR_KEY_FILE = "operator.key"


@dataclass(frozen=True, slots=True)
class OperatorBootstrap:
    caster: Caster
    # The full key, only when it was created by this call (it is printed once).
    new_key: str | None


async def create_user(platform: Platform, name: str, *, is_operator: bool = False) -> str:
    """A user with a credits and an earnings account. Returns the user id."""
    user_id = f"usr_{secrets.token_hex(8)}"
    async with platform.sessions.begin() as session:
        session.add(User(id=user_id, name=name, is_operator=is_operator, created_at=datetime.now(UTC)))
        await session.flush()
        ledger = Ledger(session)
        await ledger.open_account(AccountKind.CASTER_CREDITS, user_id)
        await ledger.open_account(AccountKind.MAKER_EARNINGS, user_id)
    return user_id


async def ensure_operator(platform: Platform) -> OperatorBootstrap:
    """The local operator account, created with a key and starting credits if there is none."""
    existing = await operator_caster(platform)
    if existing is not None:
        return OperatorBootstrap(existing, None)
    operator_id = await create_user(platform, "operator", is_operator=True)
    async with platform.sessions.begin() as session:
        key = await create_key(session, operator_id, "operator (created at first start)")
        if platform.settings.dev_credits_micros:
            ledger = Ledger(session)
            await ledger.grant(
                await ledger.open_account(AccountKind.CASTER_CREDITS, operator_id),
                platform.settings.dev_credits_micros,
                reference="dev-bootstrap",
            )
    key_path = platform.settings.home / OPERATOR_KEY_FILE
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(key + "\n")
    return OperatorBootstrap(Caster(user_id=operator_id, key_id=None, is_operator=True), key)


async def register_directory(platform: Platform, directory: Path, maker_id: str) -> list[str]:
    """Register every spell directory below `directory` (unsigned: dev mode only).

    Returns one line per spell: its key and version, or why it was skipped.
    """
    report = []
    # Blocking directory reads are fine here: it runs once, at startup, over a few entries.
    for spell_dir in sorted(p for p in directory.iterdir() if (p / "manifest.toml").exists()):  # noqa: ASYNC240
        try:
            source = SpellSource.from_directory(spell_dir)
            async with platform.sessions.begin() as session:
                version = await register(
                    session,
                    source,
                    maker_id=maker_id,
                    sandbox=platform.sandbox,
                    blobs=platform.blobs,
                    signed=False,
                )
            report.append(f"{version.spell_key} {version.version}")
        except RegistrationError as exc:
            report.append(f"{spell_dir.name}: skipped ({exc})")
    return report


async def operator_caster(platform: Platform) -> Caster | None:
    async with platform.sessions() as session:
        operator_id = (
            (
                await session.execute(
                    select(User.id).where(col(User.is_operator).is_(True)).order_by(col(User.created_at))
                )
            )
            .scalars()
            .first()
        )
    return Caster(user_id=operator_id, key_id=None, is_operator=True) if operator_id else None
