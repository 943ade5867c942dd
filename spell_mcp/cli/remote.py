"""Talking to a Spell platform: where it is, the key to use, and its refusals in its own words.

The URL and key come from `--url`/`--api-key`, else SPELL_URL/SPELL_API_KEY, else the file
`spell login` writes (mode 0600, in the user's config directory or SPELL_CONFIG), else the local
server at http://127.0.0.1:8000. Requests go through the generated SDK (spell_client/).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, NoReturn

import httpx
import typer

from spell_mcp.cli.common import FAILED, UNAUTHENTICATED, UNREACHABLE, USAGE, fail, stderr

LOCAL = "http://127.0.0.1:8000"

UrlOption = Annotated[
    str | None,
    typer.Option(
        "--url", metavar="URL", envvar="SPELL_URL", help="The platform (default: from `spell login`)."
    ),
]
KeyOption = Annotated[
    str | None,
    typer.Option(
        "--api-key", metavar="KEY", envvar="SPELL_API_KEY", help="Your API key (default: from `spell login`)."
    ),
]


def config_path() -> Path:
    override = os.environ.get("SPELL_CONFIG")
    return Path(override) if override else Path(typer.get_app_dir("spell")) / "config.json"


def saved() -> dict[str, str]:
    path = config_path()
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        fail(f"{path}: cannot be read ({exc}); run `spell login URL` again", USAGE)
    return {k: v for k, v in data.items() if isinstance(v, str)} if isinstance(data, dict) else {}


def save(url: str, api_key: str) -> Path:
    """Write the URL and key where only this user can read them."""
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump({"url": url, "api_key": api_key}, out)
    os.chmod(path, 0o600)  # an older file keeps its mode through O_TRUNC
    return path


@dataclass(frozen=True, slots=True)
class Platform:
    url: str
    api_key: str

    def client(self) -> Any:
        """The SDK's client, authenticated when there is a key."""
        from spell_client import AuthenticatedClient, Client

        if self.api_key:
            return AuthenticatedClient(base_url=self.url, token=self.api_key, timeout=httpx.Timeout(120.0))
        return Client(base_url=self.url, timeout=httpx.Timeout(120.0))


def platform(url: str | None, api_key: str | None, *, needs_key: bool = True) -> Platform:
    stored = saved()
    found = Platform((url or stored.get("url") or LOCAL).rstrip("/"), api_key or stored.get("api_key") or "")
    if needs_key and not found.api_key:
        fail(
            f"no API key for {found.url}: run `spell login {found.url}`, or set SPELL_API_KEY "
            "(`spell users create NAME` makes one on a local store)",
            UNAUTHENTICATED,
        )
    return found


def call(where: Platform, request: Callable[..., Any], /, **arguments: Any) -> Any:
    """Send one request through the SDK and return its response (`.parsed`, `.content`), or
    exit saying why not."""
    try:
        with where.client() as client:
            response = request(client=client, **arguments)
    except httpx.HTTPError as exc:
        fail(f"cannot reach {where.url}: {exc.__class__.__name__}: {exc}", UNREACHABLE)
    if response.status_code >= 400:
        refused(where, response.status_code, response.content)
    return response


def get_text(where: Platform, path: str, params: dict[str, str]) -> str:
    """A text body (CSV) the SDK does not parse, fetched through the SDK's own HTTP client."""
    try:
        with where.client() as client:
            response = client.get_httpx_client().get(path, params=params)
    except httpx.HTTPError as exc:
        fail(f"cannot reach {where.url}: {exc.__class__.__name__}: {exc}", UNREACHABLE)
    if response.status_code >= 400:
        refused(where, response.status_code, response.content)
    return str(response.text)


def refused(where: Platform, status: int, content: bytes) -> NoReturn:
    """Print the platform's problem document (code, detail, each problem) and exit."""
    try:
        problem = json.loads(content)
    except ValueError:
        problem = {}
    if not isinstance(problem, dict):
        problem = {}
    code = problem.get("code") or f"http_{status}"
    detail = problem.get("detail") or problem.get("title") or "no detail given"
    stderr(f"refused ({code}): {detail}")
    for line in problem.get("problems") or []:
        if line != detail:  # a lone problem is often the detail itself: say it once
            stderr(f"  - {line}")
    if status == 401:
        stderr(f"  (the key is not accepted by {where.url}: `spell login {where.url}` with another)")
    raise typer.Exit(UNAUTHENTICATED if status == 401 else FAILED)
