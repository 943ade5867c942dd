"""API keys: shown once, scoped, budgeted, expiring, rotated and revoked — everywhere at once."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from tests.conftest import RunningServer

# Keys carry budgets, and every request checks them in SQL: on both databases.
pytestmark = pytest.mark.backends("sqlite", "postgresql")

CAST = ("POST", "/v1/spells/dev.spell.echo/cast", {"input": {"message": "x"}})
# Every authenticated endpoint, and the scope it needs.
MATRIX = [
    ("GET", "/v1/spells", None, "read"),
    ("GET", "/v1/spells/dev.spell.echo", None, "read"),
    ("GET", "/v1/spells/dev.spell.echo/versions", None, "read"),
    ("GET", "/v1/spells/dev.spell.echo/sbom", None, "read"),
    ("GET", "/v1/spells/dev.spell.echo/provenance", None, "read"),
    ("GET", "/v1/casts", None, "read"),
    ("GET", "/v1/casts/cast_none", None, "read"),
    ("GET", "/v1/casts/cast_none/receipt", None, "read"),
    (*CAST, "cast"),
    ("POST", "/v1/spells", None, "publish"),
    ("POST", "/v1/spells/dev.spell.echo/versions/1.0.0/yank", None, "publish"),
    ("GET", "/v1/makers/me/signers", None, "publish"),
    ("GET", "/v1/makers/me/notifications", None, "publish"),
    ("GET", "/v1/users/me/balance", None, "billing"),
    ("GET", "/v1/users/me/budget", None, "billing"),
    ("PUT", "/v1/users/me/budget", {}, "billing"),
    ("GET", "/v1/users/me/budget/webhook", None, "billing"),
    ("PUT", "/v1/users/me/budget/webhook", {"url": "https://hooks.example.com/x"}, "billing"),
    ("DELETE", "/v1/users/me/budget/webhook", None, "billing"),
    ("GET", "/v1/users/me/usage", None, "billing"),
    ("GET", "/v1/makers/me/earnings", None, "billing"),
    ("GET", "/v1/keys", None, "admin"),
    ("POST", "/v1/keys", {"name": "x"}, "admin"),
    ("POST", "/v1/spells/dev.spell.echo/suspend", None, "admin"),
]


def call(server: RunningServer, key: str | None, method: str, path: str, body: object) -> httpx.Response:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return httpx.request(method, f"{server.url}{path}", json=body, headers=headers, timeout=30)


def new_key(server: RunningServer, owner: str, **request: object) -> dict[str, object]:
    response = call(server, owner, "POST", "/v1/keys", {"name": "agent", **request})
    assert response.status_code == 201, response.text
    created: dict[str, object] = response.json()
    return created


@pytest.fixture(scope="module")
def dead_keys(server: RunningServer) -> tuple[str, str]:
    """An expired and a revoked key of the operator's, both with every scope."""
    soon = (datetime.now(UTC) + timedelta(seconds=1)).isoformat()
    everything = ["cast", "read", "publish", "billing", "admin"]
    expired = str(new_key(server, server.operator_key, scopes=everything, expires_at=soon)["key"])
    revoked = new_key(server, server.operator_key, scopes=everything)
    assert call(server, server.operator_key, "DELETE", f"/v1/keys/{revoked['id']}", None).status_code == 204
    time.sleep(1.2)
    return expired, str(revoked["key"])


@pytest.mark.parametrize(
    ("method", "path", "body", "scope"), MATRIX, ids=[f"{m} {p}" for m, p, _, _ in MATRIX]
)
def test_every_endpoint_refuses_missing_bad_dead_and_out_of_scope_keys(
    server: RunningServer, dead_keys: tuple[str, str], method: str, path: str, body: object, scope: str
) -> None:
    for key in (None, "spell_sk_0000000000000000_" + "A" * 43, "not-a-key", *dead_keys):
        refused = call(server, key, method, path, body)
        assert refused.status_code == 401 and refused.json()["code"] == "unauthenticated"
    other_scopes = [s for s in ("cast", "read", "publish", "billing") if s != scope][:2]
    narrow = str(new_key(server, server.operator_key, scopes=other_scopes)["key"])
    refused = call(server, narrow, method, path, body)
    assert refused.status_code == 403, refused.text
    assert refused.json()["code"] == "forbidden" and scope in refused.json()["detail"]


def test_a_key_is_shown_once_and_listed_without_its_secret(server: RunningServer) -> None:
    owner = server.new_user(credits_usd="1")
    created = new_key(server, owner, scopes=["cast"])
    assert str(created["key"]).startswith("spell_sk_")
    assert call(server, str(created["key"]), *CAST).status_code == 200
    listed = call(server, owner, "GET", "/v1/keys", None).json()["items"]
    assert {key["id"] for key in listed} >= {created["id"]}
    assert all("key" not in key for key in listed)
    [mine] = [key for key in listed if key["id"] == created["id"]]
    assert mine["scopes"] == ["cast"] and mine["last_used_at"] is not None


def test_a_key_cannot_grant_more_than_its_maker_has(server: RunningServer) -> None:
    owner = server.new_user()
    limited = str(new_key(server, owner, scopes=["admin", "read"])["key"])
    refused = call(server, limited, "POST", "/v1/keys", {"name": "x", "scopes": ["cast"]})
    assert refused.status_code == 403 and "cast" in refused.json()["detail"]


def test_a_key_budget_caps_what_an_agent_spends(server: RunningServer) -> None:
    owner = server.new_user(credits_usd="1")
    agent = str(new_key(server, owner, scopes=["cast"], budget={"daily_cap_micros": 100})["key"])
    assert call(server, agent, *CAST).status_code == 200
    refused = call(server, agent, *CAST)
    assert refused.status_code == 402 and refused.json()["code"] == "budget_exceeded"
    assert call(server, owner, *CAST).status_code == 200  # the owner's other keys are not capped


async def test_revoking_a_key_stops_it_at_once_over_rest_and_mcp(server: RunningServer) -> None:
    owner = server.new_user(credits_usd="1")
    created = new_key(server, owner, scopes=["cast", "read"])
    secret = str(created["key"])
    async with (
        httpx2.AsyncClient(headers={"Authorization": f"Bearer {secret}"}) as http,
        Client(streamable_http_client(f"{server.url}/mcp", http_client=http), mode="legacy") as client,
    ):
        assert not (await client.call_tool("dev_spell_echo", {"message": "before"})).is_error
        assert call(server, owner, "DELETE", f"/v1/keys/{created['id']}", None).status_code == 204
        assert call(server, secret, *CAST).status_code == 401
        with pytest.raises(Exception):  # noqa: B017 (the transport reports the 401 its own way)
            await client.call_tool("dev_spell_echo", {"message": "after"})


def test_a_rotated_key_keeps_its_old_secret_for_a_grace_period(server: RunningServer) -> None:
    owner = server.new_user(credits_usd="1")
    created = new_key(server, owner, scopes=["cast"])
    rotated = call(server, owner, "POST", f"/v1/keys/{created['id']}/rotate", None).json()
    assert rotated["key"] != created["key"] and rotated["rotation_grace_until"]
    assert call(server, str(rotated["key"]), *CAST).status_code == 200
    assert call(server, str(created["key"]), *CAST).status_code == 200


def test_a_rotation_can_end_the_old_secret_at_once(server: RunningServer) -> None:
    owner = server.new_user(credits_usd="1")
    created = new_key(server, owner, scopes=["cast"])
    rotated = call(server, owner, "POST", f"/v1/keys/{created['id']}/rotate?grace_s=0", None).json()
    assert call(server, str(rotated["key"]), *CAST).status_code == 200
    refused = call(server, str(created["key"]), *CAST)
    assert refused.status_code == 401 and refused.json()["code"] == "unauthenticated"


def test_a_secret_in_its_grace_period_casts_and_reads_but_never_manages_anything(
    server: RunningServer,
) -> None:
    owner = server.new_user(credits_usd="1")
    everything = ["cast", "read", "publish", "billing", "admin"]
    created = new_key(server, owner, scopes=everything)
    key_id, old = created["id"], str(created["key"])
    new = str(call(server, old, "POST", f"/v1/keys/{key_id}/rotate", None).json()["key"])
    assert call(server, old, *CAST).status_code == 200
    assert call(server, old, "GET", "/v1/casts", None).status_code == 200
    for method, path, body in [
        ("POST", f"/v1/keys/{key_id}/rotate?grace_s=0", None),  # would leave the old holder the only secret
        ("DELETE", f"/v1/keys/{key_id}", None),
        ("POST", "/v1/keys", {"name": "mine now"}),
        ("GET", "/v1/keys", None),
        ("PUT", f"/v1/keys/{key_id}/budget", {"daily_cap_micros": 1}),
        ("PUT", "/v1/users/me/budget", {"daily_cap_micros": 1}),
        ("POST", "/v1/spells/dev.spell.echo/versions/1.0.0/yank", None),
        ("PATCH", "/v1/users/me", {"name": "taken over"}),
        ("DELETE", "/v1/users/me", None),
        ("POST", "/v1/auth/key", {"api_key": old}),
    ]:
        refused = call(server, old, method, path, body)
        assert (refused.status_code, refused.json()["code"]) == (403, "key_secret_replaced"), (method, path)
        assert "new secret" in refused.json()["detail"]
    # The owner's new secret is whole: it casts, and rotates the old one out at once.
    assert call(server, new, *CAST).status_code == 200
    newest = call(server, new, "POST", f"/v1/keys/{key_id}/rotate?grace_s=0", None)
    assert newest.status_code == 200, newest.text
    assert call(server, old, *CAST).status_code == 401
    assert call(server, str(newest.json()["key"]), *CAST).status_code == 200


@pytest.mark.parametrize("grace", ["-1", str(7 * 24 * 3600 + 1), "soon"])
def test_a_rotation_grace_outside_zero_to_a_week_is_refused(server: RunningServer, grace: str) -> None:
    owner = server.new_user(credits_usd="1")
    created = new_key(server, owner, scopes=["cast"])
    refused = call(server, owner, "POST", f"/v1/keys/{created['id']}/rotate?grace_s={grace}", None)
    assert refused.status_code == 400 and refused.json()["code"] == "request_invalid"
    assert call(server, str(created["key"]), *CAST).status_code == 200  # nothing was rotated


def test_an_unknown_scope_is_refused_by_name(server: RunningServer) -> None:
    owner = server.new_user()
    refused = call(server, owner, "POST", "/v1/keys", {"name": "x", "scopes": ["cast", "root"]})
    assert refused.status_code == 400
    assert refused.json()["code"] == "request_invalid" and "no such scope: root" in refused.json()["detail"]


def test_an_expired_key_is_refused(server: RunningServer) -> None:
    owner = server.new_user(credits_usd="1")
    soon = (datetime.now(UTC) + timedelta(seconds=1)).isoformat()
    created = new_key(server, owner, scopes=["cast"], expires_at=soon)
    time.sleep(1.2)
    refused = call(server, str(created["key"]), *CAST)
    assert refused.status_code == 401 and "expired" in refused.json()["detail"]
    past = call(server, owner, "POST", "/v1/keys", {"name": "x", "expires_at": "2020-01-01T00:00:00Z"})
    assert past.status_code == 400


def test_another_callers_resources_do_not_exist_for_you(server: RunningServer) -> None:
    owner = server.new_user(credits_usd="1")
    cast_id = call(server, owner, *CAST).json()["cast_id"]
    key_id = new_key(server, owner, scopes=["read"])["id"]
    stranger = server.new_user(credits_usd="1")
    for method, path, body, code in [
        ("GET", f"/v1/casts/{cast_id}", None, "cast_not_found"),
        ("GET", f"/v1/casts/{cast_id}/receipt", None, "cast_not_found"),
        ("GET", f"/v1/casts/{cast_id}/artifacts/report.txt", None, "cast_not_found"),
        ("POST", f"/v1/keys/{key_id}/rotate", None, "not_found"),
        ("PUT", f"/v1/keys/{key_id}/budget", {}, "not_found"),
        ("DELETE", f"/v1/keys/{key_id}", None, "not_found"),
    ]:
        refused = call(server, stranger, method, path, body)
        assert (refused.status_code, refused.json()["code"]) == (404, code), (method, path)
    assert cast_id not in str(call(server, stranger, "GET", "/v1/casts", None).json())
    # A spell belongs to its maker, and suspending is for operators.
    yank = call(server, stranger, "POST", "/v1/spells/dev.spell.echo/versions/1.0.0/yank", None)
    assert yank.status_code in (403, 404) and yank.json()["code"] in ("forbidden", "spell_owned_by_other")
    suspend = call(server, stranger, "POST", "/v1/spells/dev.spell.echo/suspend", None)
    assert suspend.status_code == 403
    # The owner's things are untouched.
    assert call(server, owner, "GET", f"/v1/casts/{cast_id}", None).status_code == 200
