"""`spell init NAME`: a working spell folder that builds, tests, signs and publishes as it is.

The folder holds the manifest, the input and output schemas, the source in the chosen language,
a README, `tests/examples.json`, a `.gitignore`, and `.github/workflows/publish.yml` that runs
the same commands a maker runs by hand. Files come from `templates/`, with @KEY@, @NAME@,
@TITLE@, @AUTHOR@, @LANG@ and @BUILD@ filled in (GitHub's own `${{ … }}` stays as it is).
"""

from __future__ import annotations

import re
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

from registry.manifest import key_is_valid

NAME_PATTERN = r"[a-z][a-z0-9-]{0,30}"
BUILD_NOTES = {
    "c": "C, compiled to wasm32-wasi by the ziglang package",
    "zig": "Zig, from the ziglang package",
    "rust": "Rust: needs cargo and `rustup target add wasm32-wasip1`",
}
# Stored without the dot, so that packaging tools do not take it for the package's own.
RENAMED = {"gitignore": ".gitignore"}


class InitError(ValueError):
    """The folder cannot be made; the message says what to change."""


def create(folder: Path, name: str, language: str, *, key: str | None, author: str) -> list[Path]:
    """Write a new spell folder; refuses to write into a folder that has anything in it."""
    if not re.fullmatch(NAME_PATTERN, name):
        raise InitError(
            f"{name!r} cannot name a spell: use lower-case letters, digits and dashes, starting with a letter"
        )
    key = key or f"com.example.{name}"
    if not key_is_valid(key):
        raise InitError(
            f"{key!r} is not a spell key: use reverse-DNS in lower case, e.g. com.yourdomain.{name}"
        )
    if language not in BUILD_NOTES:
        raise InitError(f"{language!r}: choose c, zig or rust")
    if folder.exists() and any(folder.iterdir()):
        raise InitError(f"{folder} exists and is not empty: choose another name or folder")
    values = {
        "@KEY@": key,
        "@NAME@": name,
        "@TITLE@": name.replace("-", " ").capitalize(),
        "@AUTHOR@": author.replace('"', "'"),
        "@LANG@": language,
        "@BUILD@": BUILD_NOTES[language],
    }
    templates = files("spell_mcp.toolchain") / "templates"
    written = []
    for part in ("common", language):
        for source, relative in _walk(templates / part, ""):
            target = folder / RENAMED.get(relative, relative)
            target.parent.mkdir(parents=True, exist_ok=True)
            text = source.read_text(encoding="utf-8")
            for placeholder, value in values.items():
                text = text.replace(placeholder, value)
            target.write_text(text, encoding="utf-8")
            written.append(target)
    return written


def _walk(node: Traversable, prefix: str) -> list[tuple[Traversable, str]]:
    found = []
    for child in sorted(node.iterdir(), key=lambda c: c.name):
        relative = f"{prefix}{child.name}"
        if child.is_dir():
            found += _walk(child, relative + "/")
        elif child.name != "__init__.py":
            found.append((child, relative))
    return found
