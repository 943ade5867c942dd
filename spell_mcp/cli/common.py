"""What every `spell` command shares: its options, its exit statuses, how it says what went wrong,
and how it opens the local store."""

from __future__ import annotations

import json
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from spell_mcp.settings import Settings

if TYPE_CHECKING:
    from spell_mcp.platform import Platform

# Exit statuses a script can rely on.
OK = 0
FAILED = 1  # a check failed, or the platform refused (its problem document is printed)
USAGE = 2  # the command line or a local file is wrong (also Typer's own usage errors)
UNREACHABLE = 3  # the platform could not be reached
UNAUTHENTICATED = 4  # no key, or the platform did not accept it

HomeOption = Annotated[
    Path | None,
    typer.Option("--home", metavar="DIR", help="The store's directory (default: SPELL_HOME, or ./.spell)."),
]
InitOption = Annotated[
    bool, typer.Option("--init", help="Create the store if it does not exist yet (an empty one).")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for scripts instead of text.")]
DevOption = Annotated[
    bool,
    typer.Option("--dev", help="Dev mode: operator account and unsigned example spells (SPELL_DEV_MODE=1)."),
]


def load_settings(**overrides: Any) -> Settings:
    settings = Settings()
    changes = {k: v for k, v in overrides.items() if v not in (None, False)}
    return settings.model_copy(update=changes) if changes else settings


def stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def stdout(line: str) -> None:
    print(line, flush=True)


def fail(message: str, status: int = FAILED) -> NoReturn:
    """Say what went wrong on stderr, in one line a person can act on, and exit."""
    stderr(message)
    raise typer.Exit(status)


def emit(as_json: bool, data: Any, text: Callable[[Any], str] | str) -> None:
    """Print `data` as JSON for scripts, or as text for people."""
    if as_json:
        stdout(json.dumps(data, indent=2, default=str))
    else:
        stdout(text(data) if callable(text) else text)


def existing_store(settings: Settings, init: bool) -> Settings:
    """The settings, once it is known that the store is there (or may be made): a mistyped
    `--home` must not start an empty platform beside the real one."""
    home = settings.home
    if not home.is_dir() and not init:
        fail(
            f"no Spell store at {home.resolve()}: point --home or SPELL_HOME at one, start the server "
            "there once (`spell serve`), or pass --init to create an empty one",
            USAGE,
        )
    return settings


@asynccontextmanager
async def local_platform(settings: Settings) -> AsyncIterator[Platform]:
    from spell_mcp.platform import Platform

    platform = await Platform.open(settings)
    try:
        yield platform
    finally:
        await platform.close()
