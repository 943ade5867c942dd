"""Users' privacy rights: a copy of their data (JSON, or a zip with their files), rectification,
restriction, preferences, the report of what is collected and where it goes, and erasure, after
which no table holds their login, e-mail or key prefixes (the ledger keeps its pseudonymous
entries, and its chain still verifies); a legal hold stops an erasure."""

from __future__ import annotations

import asyncio
import io
import json
import secrets
import threading
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlalchemy import text
from sqlmodel import SQLModel

from spell_mcp.database.engine import Database as Storage
from tests.conftest import RunningServer

# Export and erasure reach across every table: on both databases.
pytestmark = pytest.mark.backends("sqlite", "postgresql")


def identity() -> tuple[str, str]:
    """A login and an e-mail address no other test uses."""
    token = secrets.token_hex(4)
    return f"octo-ada-{token}", f"ada.lovelace.{token}@example.com"


PROBE = "/v1/spells/test.spell.probe/cast"
ECHO = "/v1/spells/dev.spell.echo/cast"
SPIN = "/v1/spells/test.spell.spin/cast"


def every_row(server: RunningServer) -> dict[str, list[str]]:
    """Every row of every table of the server's store, as text."""

    async def dump() -> dict[str, list[str]]:
        db = Storage(server.database.url)
        try:
            tables = sorted(SQLModel.metadata.tables)

            def read(session: object) -> dict[str, list[str]]:
                return {
                    table: [repr(tuple(row)) for row in session.execute(text(f"SELECT * FROM {table}"))]  # type: ignore[attr-defined]
                    for table in tables
                }

            return await db.read(read)
        finally:
            await db.dispose()

    with ThreadPoolExecutor(max_workers=1) as executor:
        return executor.submit(asyncio.run, dump()).result()


def new_person(server: RunningServer, login: str, email: str) -> tuple[httpx.Client, str, str]:
    """A user with a name, an e-mail, credits, a second key, a budget, a webhook, preferences and
    casts (one that wrote a file): (client, user id, second key's id)."""
    client = server.client(server.new_user("5"))
    user_id = client.get("/v1/users/me").json()["id"]
    assert client.patch("/v1/users/me", json={"name": login, "email": email}).status_code == 204
    second = client.post("/v1/keys", json={"name": f"{login}'s agent", "scopes": ["cast"]}).json()
    assert client.put(f"/v1/keys/{second['id']}/budget", json={"daily_cap_micros": 10**6}).status_code == 200
    assert (
        client.put("/v1/users/me/budget/webhook", json={"url": f"https://{login}.example.com/h"}).status_code
        == 200
    )
    assert (
        client.put(
            "/v1/users/me/preferences", json={"do_not_sell": True, "product_emails": False}
        ).status_code
        == 200
    )
    with server.client(second["key"]) as agent:
        assert agent.post(ECHO, json={"input": {"message": f"hello from {email}"}}).status_code == 200
    assert client.post(PROBE, json={"input": {"c": "write /scratch/report.txt"}}).status_code == 200
    granted = server.client().post(
        f"/v1/admin/users/{user_id}/credits", json={"amount_usd": "1.00", "reason": f"welcome, {email}"}
    )
    assert granted.status_code == 201
    return client, user_id, second["id"]


def test_a_user_downloads_all_their_data_and_their_files(server: RunningServer) -> None:
    login, email = identity()
    client, user_id, key_id = new_person(server, login, email)
    exported = client.get("/v1/users/me/data-export")
    assert exported.status_code == 200 and "attachment" in exported.headers["content-disposition"]
    data = exported.json()
    assert (data["user"]["name"], data["user"]["email"]) == (login, email)
    assert key_id in {key["id"] for key in data["api_keys"]}
    assert all("secret_sha256" not in key for key in data["api_keys"])
    assert len(data["casts"]) == 2 and data["preferences"][0]["do_not_sell"] is True
    assert {"terms", "privacy_notice"} <= {consent["kind"] for consent in data["consents"]}
    # What they accepted of each spell they cast (spell_mcp/catalog/pinning.py).
    assert {"dev.spell.echo", "test.spell.probe"} <= {row["spell_key"] for row in data["spells_accepted"]}
    assert "credits.granted" in {event["action"] for event in data["audit_trail"]}
    archive = zipfile.ZipFile(
        io.BytesIO(client.get("/v1/users/me/data-export", params={"format": "zip"}).content)
    )
    files = [name for name in archive.namelist() if name.startswith("artifacts/")]
    assert len(files) == 1 and archive.read(files[0]) == b"written by probe\n"
    assert json.loads(archive.read("data.json"))["user"]["id"] == user_id
    with server.client(server.operator_key) as operator:
        exported_by = operator.get("/v1/admin/audit", params={"action": "privacy.exported", "actor": user_id})
        assert len(exported_by.json()["items"]) == 2


def test_erasure_leaves_no_table_naming_the_user(server: RunningServer) -> None:
    login, email = identity()
    client, user_id, key_id = new_person(server, login, email)
    first_key_id = client.headers["authorization"].split("_")[2]
    assert client.delete("/v1/users/me").status_code == 204
    assert client.get("/v1/users/me").status_code == 401, "every key stops at once"
    rows = every_row(server)
    # What processes tell each other (a revoked key's id, whose casts must stop) stays at most
    # KEEP_S before it is pruned: docs/privacy.md says so.
    del rows["announcements"]
    for needle in (login, email, key_id, first_key_id, f"{login}.example.com"):
        found = {table for table, lines in rows.items() if any(needle in line for line in lines)}
        assert not found, f"{needle} is still in {found}"
    assert any(user_id in line for line in rows["ledger_entries"] + rows["accounts"]), "the ledger stays"
    assert not any(user_id in line for line in rows["accepted_grants"]), "what they accepted goes"
    assert server.spell("ledger", "verify").startswith("OK")
    with server.client() as operator:
        (erased,) = operator.get(
            "/v1/admin/audit", params={"action": "privacy.erased", "actor": user_id}
        ).json()["items"]
        assert erased["actor_key_id"] is None
        revoked = operator.get("/v1/admin/audit", params={"actor": user_id, "action": "key.created"}).json()[
            "items"
        ]
        assert revoked and all(event["details"] == {"redacted": True} for event in revoked)


def test_a_legal_hold_stops_an_erasure_until_it_is_released(server: RunningServer) -> None:
    client = server.client(server.new_user("1"))
    user_id = client.get("/v1/users/me").json()["id"]
    operator = server.client()
    hold = operator.post(
        "/v1/admin/legal-holds", json={"target_type": "user", "target_id": user_id, "reason": "dispute 42"}
    )
    assert hold.status_code == 201, hold.text
    refused = client.delete("/v1/users/me")
    assert refused.status_code == 409 and refused.json()["code"] == "erasure_on_hold"
    assert client.get("/v1/users/me").status_code == 200, "nothing was changed"
    assert client.get("/v1/users/me/audit").status_code == 200
    assert operator.delete(f"/v1/admin/legal-holds/{hold.json()['id']}").status_code == 200
    released_again = operator.delete(f"/v1/admin/legal-holds/{hold.json()['id']}")
    assert released_again.status_code == 404 and released_again.json()["code"] == "not_found"
    assert client.delete("/v1/users/me").status_code == 204


def test_restricting_processing_stops_everything_but_privacy_requests(server: RunningServer) -> None:
    client = server.client(server.new_user("1"))
    assert client.post("/v1/users/me/suspend").status_code == 204
    refused = client.post(ECHO, json={"input": {"message": "x"}})
    assert refused.status_code == 403 and refused.json()["code"] == "account_restricted"
    assert client.get("/v1/keys").json()["code"] == "account_restricted"
    assert client.get("/v1/users/me/data-export").status_code == 200
    assert client.get("/v1/users/me/privacy/report").status_code == 200
    assert client.delete("/v1/users/me/suspend").status_code == 204
    assert client.post(ECHO, json={"input": {"message": "x"}}).status_code == 200


def test_narrow_keys_cannot_exercise_the_owners_rights(server: RunningServer) -> None:
    owner = server.client(server.new_user("1"))
    agent = server.client(owner.post("/v1/keys", json={"name": "agent", "scopes": ["cast"]}).json()["key"])
    for method, path in (
        ("DELETE", "/v1/users/me"),
        ("GET", "/v1/users/me/data-export"),
        ("POST", "/v1/users/me/suspend"),
    ):
        refused = agent.request(method, path)
        assert refused.status_code == 403 and refused.json()["code"] == "forbidden", path
    assert owner.get("/v1/users/me").status_code == 200


def test_the_report_says_what_is_collected_and_the_preferences_are_kept(server: RunningServer) -> None:
    client = server.client(server.new_user("0"))
    assert client.get("/v1/users/me/preferences").json() == {"do_not_sell": False, "product_emails": False}
    client.put("/v1/users/me/preferences", json={"do_not_sell": True, "product_emails": True})
    report = client.get("/v1/users/me/privacy/report").json()
    assert report["do_not_sell"] is True and report["categories"]
    assert report["recipients"] == [], "this platform sends nothing abroad: no Stripe, no GitHub"
    assert client.get("/v1/users/me/privacy/data-transfers").json() == {"items": []}
    assert (
        client.put("/v1/users/me/privacy/data-transfers/stripe", json={"consent": False}).status_code == 404
    )
    assert client.patch("/v1/users/me", json={"email": "not an address"}).status_code == 400
    nameless = client.patch("/v1/users/me", json={"name": None})
    assert nameless.status_code == 400 and "cannot be removed" in nameless.json()["detail"]


def cast_in_background(client: httpx.Client) -> tuple[threading.Thread, list[httpx.Response]]:
    """A cast of the spell that runs until stopped, started on a thread of its own, once it runs."""
    answers: list[httpx.Response] = []
    spinning = threading.Thread(
        target=lambda: answers.append(client.post(SPIN, json={"input": {}}, timeout=120)), daemon=True
    )
    spinning.start()
    deadline = time.monotonic() + 20
    while not client.get("/v1/casts", params={"status": "running"}).json()["items"]:
        assert time.monotonic() < deadline, "the cast never started"
        time.sleep(0.1)
    return spinning, answers


@pytest.mark.parametrize("request_", ["restrict", "erase"])
def test_restricting_or_erasing_stops_the_running_casts_uncharged(
    server: RunningServer, request_: str
) -> None:
    client = server.client(server.new_user("1"))
    before = client.get("/v1/users/me/balance").json()
    spinning, answers = cast_in_background(client)
    started = time.monotonic()
    if request_ == "restrict":
        assert client.post("/v1/users/me/suspend").status_code == 204
    else:
        assert client.delete("/v1/users/me").status_code == 204
    spinning.join(timeout=30)
    assert time.monotonic() - started < 30, "stopped at once, not after the spell's minute"
    (answer,) = answers
    assert answer.json()["code"] == "cast_cancelled"
    if request_ == "restrict":
        assert client.delete("/v1/users/me/suspend").status_code == 204
        after = client.get("/v1/users/me/balance").json()
        assert after == before, "nothing was charged, nothing stays held"
