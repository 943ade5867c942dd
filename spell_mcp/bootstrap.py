"""The first start of a local platform: the operator account with its key and starting credits,
and the bundled example spells, registered unsigned (dev mode only)."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import anyio.to_thread

from registry import CheckedVersion, RegistrationError, SpellSource, check, record
from spell_mcp import audit
from spell_mcp.accounts.keys import Caster
from spell_mcp.accounts.users import find_operator
from spell_mcp.payments.grants import create_user_with_credits
from spell_mcp.platform import Platform
from spell_mcp.settings import Settings

OPERATOR_KEY_FILE = "operator.key"


@dataclass(frozen=True, slots=True)
class OperatorBootstrap:
    caster: Caster
    # The full key, only when it was created by this call (it is printed once).
    new_key: str | None


async def ensure_operator(platform: Platform) -> OperatorBootstrap:
    """The local operator account, created with a key and starting credits if there is none."""
    existing = await platform.db.read(find_operator)
    if existing is not None:
        return OperatorBootstrap(existing, None)
    operator = await platform.db.write(
        lambda session: create_user_with_credits(
            session,
            audit.CONSOLE,
            "operator",
            credits_micros=platform.settings.dev_credits_micros,
            is_operator=True,
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


async def dev_bootstrap(platform: Platform, echo: Callable[[str], None]) -> Caster:
    """Dev mode's start: an operator with a key and credits (first start), and the example spells."""
    operator = await ensure_operator(platform)
    key_file = platform.settings.home / OPERATOR_KEY_FILE
    if operator.new_key and platform.settings.log_format == "console":
        echo(f"Operator API key (shown once, kept in {key_file}):\n\n    {operator.new_key}\n")
    elif operator.new_key:
        # Logs that leave the machine (JSON for a pipeline) never carry a secret.
        echo(f"Operator API key: created, kept only in {key_file} (readable by this user alone)")
    else:
        echo(f"Operator API key: in {key_file}")
    examples = platform.settings.examples_dir or Path("build/spells")
    if examples.is_dir():
        for line in await register_directory(platform, examples, operator.caster.user_id):
            echo(f"spell {line} (unsigned, dev mode)")
    else:
        echo(f"no example spells at {examples} (run `make spells`)")
    return operator.caster


async def local_operator(platform: Platform, echo: Callable[[str], None]) -> Caster | None:
    """Whom the store's own console acts as: its operator (None if it has none yet), made with
    the example spells first in dev mode (`dev_bootstrap`)."""
    if platform.settings.dev_mode:
        return await dev_bootstrap(platform, echo)
    return await platform.db.read(find_operator)


async def first_start(settings: Settings, echo: Callable[[str], None]) -> None:
    """What one process does before several serve the same store: migrate, open the platform's
    accounts and keys, and in dev mode the operator and the example spells."""
    platform = await Platform.open(settings)
    try:
        if settings.dev_mode:
            await dev_bootstrap(platform, echo)
    finally:
        await platform.close()
