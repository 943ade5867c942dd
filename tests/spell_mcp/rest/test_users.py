"""A user renaming themselves (PATCH /v1/users/me) cannot take the operator's name or another
user's, in any case, with or without invisible characters; and `spell users create` answers a
taken name in words."""

from __future__ import annotations

from functools import partial

from fastapi.testclient import TestClient
from typer.testing import CliRunner, Result

from spell_mcp import audit
from spell_mcp.cli import app
from spell_mcp.payments.grants import create_named_user


def spell(api: TestClient, *args: str) -> Result:
    """The `spell` command on the in-process server's own store."""
    settings = api.app.state.platform.settings  # type: ignore[attr-defined]
    env = {"SPELL_HOME": str(settings.home), "SPELL_DATABASE_URL": settings.resolved_database_url()}
    return CliRunner().invoke(app, list(args), env=env)


def test_a_user_cannot_rename_themselves_as_the_operator_or_another_user(api: TestClient) -> None:
    platform = api.app.state.platform  # type: ignore[attr-defined]
    made = api.portal.call(partial(create_named_user, platform.db, audit.CONSOLE, "mallory"))  # type: ignore[union-attr]
    mallory = {"Authorization": f"Bearer {made.api_key}"}
    api.portal.call(partial(create_named_user, platform.db, audit.CONSOLE, "trent"))  # type: ignore[union-attr]
    for name in ["operator", "Operator", "operator\u202e", "\u202erotarepo", "Trent", "trent\u200b"]:
        renamed = api.patch("/v1/users/me", json={"name": name}, headers=mallory)
        assert renamed.status_code == 400, (name, renamed.text)
        assert renamed.json()["code"] == "request_invalid"
    assert api.get("/v1/users/me", headers=mallory).json()["name"] == "mallory"
    again = spell(api, "users", "create", "Operator", "--operator")
    assert again.exit_code == 1 and isinstance(again.exception, SystemExit | None), again.exception
    assert "exists already" in again.output and "Traceback" not in again.output
