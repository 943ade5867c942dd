"""A browser signs in with an API key where GitHub sign-in is not set up: only an owner's key
(admin scope) opens a session, only as JSON (no cross-site form can sign anyone in), and the
session then works like any other, CSRF token included."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from spell_mcp.app import create_app
from spell_mcp.settings import Settings


@pytest.fixture
def client(tmp_path: Path, built_spells: Path) -> Iterator[TestClient]:
    settings = Settings(
        home=tmp_path / "home",
        dev_mode=True,
        examples_dir=built_spells,
        max_timeout_ms=150,
        cors_origins=["https://dashboard.example"],
    )
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def operator_key(client: TestClient, tmp_path: Path) -> str:
    return (tmp_path / "home" / "operator.key").read_text().strip()


def test_an_owners_key_opens_a_browser_session(client: TestClient, tmp_path: Path) -> None:
    signed_in = client.post("/v1/auth/key", json={"api_key": operator_key(client, tmp_path)})
    assert signed_in.status_code == 200, signed_in.text
    assert signed_in.json()["via"] == "session"
    assert "httponly" in signed_in.headers["set-cookie"].lower()
    me = client.get("/v1/users/me")  # the cookie alone
    assert me.status_code == 200 and me.json()["via"] == "session"
    unsafe = client.post("/v1/keys", json={"name": "from the browser"})
    assert unsafe.json()["code"] == "csrf_failed"
    csrf = client.cookies["spell_csrf"]
    made = client.post("/v1/keys", json={"name": "from the browser"}, headers={"X-CSRF-Token": csrf})
    assert made.status_code == 201


def test_a_narrow_or_wrong_key_opens_nothing(client: TestClient, tmp_path: Path) -> None:
    owner = {"Authorization": f"Bearer {operator_key(client, tmp_path)}"}
    narrow = client.post(
        "/v1/keys", json={"name": "agent", "scopes": ["cast", "read"]}, headers=owner
    ).json()["key"]
    refused = client.post("/v1/auth/key", json={"api_key": narrow})
    assert refused.status_code == 403 and "admin scope" in refused.json()["detail"]
    assert "spell_session" not in client.cookies
    wrong = client.post("/v1/auth/key", json={"api_key": "spell_sk_0123456789abcdef_nope"})
    assert wrong.status_code == 401
    form = client.post("/v1/auth/key", data={"api_key": operator_key(client, tmp_path)})
    assert form.status_code == 415, "a cross-site form cannot sign a browser in"
    assert "spell_session" not in client.cookies


def test_a_dashboard_elsewhere_may_send_what_it_needs(client: TestClient) -> None:
    preflight = client.options(
        "/v1/keys/abc",
        headers={
            "Origin": "https://dashboard.example",
            "Access-Control-Request-Method": "PATCH",
            "Access-Control-Request-Headers": "X-CSRF-Token, Content-Type",
        },
    )
    assert preflight.status_code == 200
    assert "PATCH" in preflight.headers["access-control-allow-methods"]
    assert "x-csrf-token" in preflight.headers["access-control-allow-headers"].lower()


def test_a_spell_says_the_limits_it_runs_under(client: TestClient, tmp_path: Path) -> None:
    owner = {"Authorization": f"Bearer {operator_key(client, tmp_path)}"}
    spell = client.get("/v1/spells/dev.spell.echo", headers=owner).json()
    assert spell["limits"]["timeout_ms"] > 150
    assert spell["enforced_limits"]["timeout_ms"] == 150  # the operator's ceiling
    assert spell["enforced_limits"]["max_memory_bytes"] == spell["limits"]["max_memory_mb"] * 1024 * 1024
