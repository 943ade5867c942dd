"""Casting over REST against a real server process, on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import secrets
import subprocess
from pathlib import Path

import httpx
import pytest
from sqlmodel import select

from spell_mcp.database.engine import Database as Storage
from spell_mcp.database.tables import IdempotencyRecord
from spell_mcp.rest.pagination import encode_cursor
from tests.conftest import RunningServer

# Money moves in every test here: on both databases.
pytestmark = pytest.mark.backends("sqlite", "postgresql")

ROOT = Path(__file__).resolve().parents[2]
ECHO_PRICE = 100  # micro-USD, from examples/spells/echo/manifest.toml


def available(client: httpx.Client) -> int:
    response = client.get("/v1/users/me/balance")
    assert response.status_code == 200
    micros: int = response.json()["available"]["micros"]
    return micros


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, object] = response.json()
    assert body["code"] == code
    assert body["status"] == status
    assert body["type"] == f"https://spell.dev/errors/{code}"
    for leak in ("Traceback", "sqlalchemy", "/tmp", str(ROOT)):
        assert leak not in response.text
    return body


def test_spells_are_listed_with_price_and_provenance(server: RunningServer) -> None:
    with server.client() as client:
        items = {item["key"]: item for item in client.get("/v1/spells").json()["items"]}
    assert items["dev.spell.echo"]["price"] == {"micros": 100, "usd": "0.0001"}
    assert items["dev.spell.echo"]["tool_name"] == "dev_spell_echo"
    assert items["dev.spell.textstats"]["signed"] is False


def test_a_spell_is_described_with_its_input_schema(server: RunningServer) -> None:
    with server.client() as client:
        detail = client.get("/v1/spells/dev.spell.textstats").json()
    schema = json.loads((ROOT / "examples/spells/textstats/schema.json").read_text())
    assert detail["input_schema"] == schema
    assert detail["output_schema"]["required"] == ["bytes", "characters", "words", "lines", "sentences"]
    assert detail["limits"] == {"timeout_ms": 2000, "max_memory_mb": 16, "max_output_mb": 1}


def test_a_cast_is_charged_exactly_once_and_recorded(server: RunningServer) -> None:
    with server.client() as client:
        before = available(client)
        response = client.post("/v1/spells/dev.spell.echo/cast", json={"input": {"message": "héllo"}})
        assert response.status_code == 200, response.text
        cast = response.json()
        assert cast["output"] == {"message": "héllo"}
        assert cast["charged"] == {"micros": ECHO_PRICE, "usd": "0.0001"}
        assert cast["usage"]["fuel_consumed"] > 0
        assert available(client) == before - ECHO_PRICE

        record = client.get(f"/v1/casts/{cast['cast_id']}").json()
        assert record["status"] == "succeeded"
        assert record["charged"]["micros"] == ECHO_PRICE
        assert record["output"] == {"message": "héllo"}
        assert record["via"] == "rest"
        assert record["module_digest"] == cast["module_digest"]
        # Reading the record charges nothing.
        assert available(client) == before - ECHO_PRICE


def test_a_useful_spell_computes_its_answer(server: RunningServer) -> None:
    with server.client() as client:
        response = client.post(
            "/v1/spells/dev.spell.textstats/cast",
            json={"input": {"text": "Hello, wörld. How are you?\nFine!"}},
        )
    assert response.status_code == 200, response.text
    assert response.json()["output"] == {
        "bytes": 33,
        "characters": 32,
        "words": 6,
        "lines": 2,
        "sentences": 3,
    }


def test_invalid_input_is_refused_with_its_problems_and_costs_nothing(server: RunningServer) -> None:
    with server.client() as client:
        before = available(client)
        response = client.post(
            "/v1/spells/dev.spell.textstats/cast", json={"input": {"text": 42, "extra": 1}}
        )
        body = assert_problem(response, 422, "input_invalid")
        assert any("/text" in problem for problem in body["problems"])  # type: ignore[attr-defined]
        assert any("extra" in problem for problem in body["problems"])  # type: ignore[attr-defined]
        assert available(client) == before


def test_malformed_requests_are_refused(server: RunningServer) -> None:
    with server.client() as client:
        assert_problem(
            client.post("/v1/spells/dev.spell.echo/cast", json={"inputs": {}}), 400, "request_invalid"
        )
        assert_problem(
            client.post(
                "/v1/spells/dev.spell.echo/cast",
                content=b"{not json",
                headers={"content-type": "application/json"},
            ),
            400,
            "request_invalid",
        )
        assert_problem(
            client.post("/v1/spells/dev.spell.echo/cast", json={"input": [1]}), 400, "request_invalid"
        )
        assert_problem(client.get("/v1/nowhere"), 404, "not_found")


def test_an_unknown_spell_is_not_found(server: RunningServer) -> None:
    with server.client() as client:
        assert_problem(
            client.post("/v1/spells/com.nobody.nothing/cast", json={"input": {}}), 404, "spell_not_found"
        )
        assert_problem(client.get("/v1/spells/com.nobody.nothing"), 404, "spell_not_found")


def test_requests_without_a_valid_key_are_unauthenticated(server: RunningServer) -> None:
    for headers in (
        {},
        {"Authorization": "Bearer nope"},
        {"Authorization": "Bearer spell_sk_0000000000000000_" + "A" * 43},
    ):
        response = httpx.post(
            f"{server.url}/v1/spells/dev.spell.echo/cast", json={"input": {}}, headers=headers
        )
        assert_problem(response, 401, "unauthenticated")
        challenge = response.headers["www-authenticate"]
        # RFC 6750 §3.1: a key that was sent and refused is an invalid_token.
        assert challenge.startswith("Bearer") and ('error="invalid_token"' in challenge) == bool(headers)


def test_a_caster_without_credit_is_refused_and_charged_nothing(server: RunningServer) -> None:
    with server.client(server.new_user()) as client:
        body = assert_problem(
            client.post("/v1/spells/dev.spell.echo/cast", json={"input": {"message": "x"}}),
            402,
            "insufficient_credits",
        )
        assert body["price_micros"] == ECHO_PRICE
        assert body["available_micros"] == 0
        assert available(client) == 0


def test_failed_casts_are_recorded_but_never_charged(server: RunningServer) -> None:
    with server.client() as client:
        before = available(client)
        for key, status, code in (
            ("test.spell.exit", 502, "spell_failed"),
            ("test.spell.loop", 504, "spell_timeout"),
        ):
            body = assert_problem(client.post(f"/v1/spells/{key}/cast", json={"input": {}}), status, code)
            record = client.get(f"/v1/casts/{body['cast_id']}").json()
            assert record["status"] == "failed"
            assert record["error_code"] == code
            assert record["charged"]["micros"] == 0
        assert available(client) == before


def test_casts_of_other_casters_are_invisible(server: RunningServer) -> None:
    with server.client() as client:
        cast_id = client.post("/v1/spells/dev.spell.echo/cast", json={"input": {"message": "x"}}).json()[
            "cast_id"
        ]
    with server.client(server.new_user()) as stranger:
        assert_problem(stranger.get(f"/v1/casts/{cast_id}"), 404, "cast_not_found")


def test_concurrent_casts_never_spend_more_than_the_credits(server: RunningServer) -> None:
    affordable, attempts = 7, 25
    key = server.new_user(credits_usd=f"{affordable * ECHO_PRICE / 1_000_000:.6f}")

    async def storm() -> list[int]:
        async with httpx.AsyncClient(
            base_url=server.url, headers={"Authorization": f"Bearer {key}"}, timeout=60
        ) as client:
            responses = await asyncio.gather(
                *(
                    client.post("/v1/spells/dev.spell.echo/cast", json={"input": {"message": str(n)}})
                    for n in range(attempts)
                )
            )
        return [r.status_code for r in responses]

    statuses = asyncio.run(storm())
    assert statuses.count(200) == affordable
    assert statuses.count(402) == attempts - affordable
    with server.client(key) as client:
        assert available(client) == 0


def test_the_openapi_document_describes_every_error_response(server: RunningServer) -> None:
    document = httpx.get(f"{server.url}/openapi.json").json()
    assert document["openapi"].startswith("3.1")
    cast = document["paths"]["/v1/spells/{key}/cast"]["post"]
    for status in ("401", "402", "404", "422", "502", "504"):
        assert "application/problem+json" in cast["responses"][status]["content"], status


def test_spell_users_create_prints_a_key_with_its_credits(server: RunningServer) -> None:
    created = json.loads(server.spell("users", "create", "alice", "--credits", "0.25", "--json"))
    assert created["credits_usd"] == "0.25"
    key = created["api_key"]
    assert key.startswith("spell_sk_")
    with server.client(key) as client:
        assert available(client) == 250_000


def test_spells_can_be_searched_by_text_tag_and_category(server: RunningServer) -> None:
    with server.client() as client:

        def keys(**params: str) -> list[str]:
            return [item["key"] for item in client.get("/v1/spells", params=params).json()["items"]]

        assert keys(q="STATISTICS") == ["dev.spell.textstats"]
        assert keys(q="unchanged") == ["dev.spell.echo"]
        assert keys(tag="text") == ["dev.spell.textstats"]
        assert keys(category="developer-tools") == ["dev.spell.echo"]
        assert keys(q="%") == [] and keys(q="_") == []
        assert keys(q="nothing like it") == []


def test_a_settled_cast_has_a_receipt_anyone_can_verify(server: RunningServer, tmp_path: Path) -> None:
    from billing.receipts import digest_of, verify_receipt

    with server.client() as client:
        cast = client.post("/v1/spells/dev.spell.echo/cast", json={"input": {"message": "receipt"}}).json()
        stored = client.get(f"/v1/casts/{cast['cast_id']}/receipt").json()
    assert stored == cast["receipt"]
    keys = httpx.get(f"{server.url}/v1/.well-known/spell-keys").json()["keys"]
    statement = verify_receipt(stored, keys)
    assert statement["cast_id"] == cast["cast_id"]
    assert statement["spell"] == {
        "key": "dev.spell.echo",
        "version": "1.0.0",
        "module_digest": cast["module_digest"],
    }
    assert statement["output_sha256"] == digest_of({"message": "receipt"})
    assert (statement["price_micros"], statement["split"]) == (
        100,
        {"maker_micros": 80, "platform_micros": 20},
    )
    assert len(statement["ledger_hash"]) == 64

    receipt_file = tmp_path / "receipt.json"
    receipt_file.write_text(json.dumps(stored))
    assert server.spell("receipt", "verify", str(receipt_file), "--url", server.url).startswith(
        f"OK {cast['cast_id']}"
    )
    stored["receipt"]["price_micros"] = 1
    receipt_file.write_text(json.dumps(stored))
    with pytest.raises(subprocess.CalledProcessError) as refused:
        server.spell("receipt", "verify", str(receipt_file), "--url", server.url)
    assert refused.value.stdout.startswith("INVALID")


def test_a_caster_caps_its_spend_and_sees_where_it_stands(server: RunningServer) -> None:
    key = server.new_user(credits_usd="1")
    with server.client(key) as client:
        status = client.put("/v1/users/me/budget", json={"daily_cap_micros": 2 * ECHO_PRICE})
        assert status.status_code == 200 and status.json()["caps"]["daily_cap_micros"] == 2 * ECHO_PRICE
        for n in range(2):
            assert (
                client.post("/v1/spells/dev.spell.echo/cast", json={"input": {"message": str(n)}}).status_code
                == 200
            )
        body = assert_problem(
            client.post("/v1/spells/dev.spell.echo/cast", json={"input": {"message": "x"}}),
            402,
            "budget_exceeded",
        )
        assert (body["limit"], body["cap_micros"], body["spent_micros"]) == ("your daily cap", 200, 200)
        assert body["resets_at"].endswith("T00:00:00+00:00")
        status = client.get("/v1/users/me/budget").json()
        assert status["windows"][0]["spent_micros"] == 2 * ECHO_PRICE
        assert sorted(alert["threshold"] for alert in status["alerts"]) == [50, 80, 100]
        assert available(client) == 1_000_000 - 2 * ECHO_PRICE
        assert assert_problem(client.put("/v1/keys/0000000000000000/budget", json={}), 404, "not_found")
        assert client.put("/v1/users/me/budget", json={"daily_cap_micros": -1}).status_code == 400
        # Beyond what the ledger's 64-bit integers hold: refused, not a server error.
        assert_problem(
            client.put("/v1/users/me/budget", json={"confirm_above_micros": 10**24}), 400, "request_invalid"
        )


def test_a_caster_registers_an_alert_webhook_and_sees_its_deliveries(server: RunningServer) -> None:
    key = server.new_user(credits_usd="1")
    with server.client(key) as client:
        assert_problem(client.get("/v1/users/me/budget/webhook"), 404, "not_found")
        created = client.put("/v1/users/me/budget/webhook", json={"url": "https://hooks.example.com/spell"})
        assert created.status_code == 200 and created.json()["secret"].startswith("whsec_")
        # Alerts of the caster's casts wait in its delivery list (example.com is never reached here).
        client.put("/v1/users/me/budget", json={"daily_cap_micros": 2 * ECHO_PRICE})
        client.post("/v1/spells/dev.spell.echo/cast", json={"input": {"message": "x"}})
        webhook = client.get("/v1/users/me/budget/webhook").json()
        assert webhook["url"] == "https://hooks.example.com/spell"
        assert [d["payload"]["threshold"] for d in webhook["deliveries"]] == [50]
        assert "secret" not in webhook
        body = assert_problem(
            client.put("/v1/users/me/budget/webhook", json={"url": "http://169.254.169.254/"}),
            400,
            "request_invalid",
        )
        assert "https" in body["detail"]
        assert client.delete("/v1/users/me/budget/webhook").status_code == 204
        assert_problem(client.delete("/v1/users/me/budget/webhook"), 404, "not_found")


def test_casts_are_listed_newest_first_page_by_page(server: RunningServer) -> None:
    key = server.new_user(credits_usd="1")
    with server.client(key) as client:
        made = [
            client.post("/v1/spells/dev.spell.echo/cast", json={"input": {"message": str(n)}}).json()[
                "cast_id"
            ]
            for n in range(3)
        ]
        first = client.get("/v1/casts", params={"limit": 2}).json()
        assert [cast["cast_id"] for cast in first["items"]] == made[::-1][:2]
        second = client.get("/v1/casts", params={"limit": 2, "cursor": first["next_cursor"]}).json()
        assert [cast["cast_id"] for cast in second["items"]] == [made[0]]
        assert second["next_cursor"] is None
        filtered = client.get("/v1/casts", params={"spell": "dev.spell.textstats"}).json()
        assert filtered == {"items": [], "next_cursor": None}
        for forged in (
            "bm90LWEtY3Vyc29y",
            encode_cursor(["not a time", "x"]),
            encode_cursor(["2026-01-01", "x"]),
        ):
            assert_problem(client.get("/v1/casts", params={"cursor": forged}), 400, "request_invalid")
        assert client.get("/v1/casts", params={"limit": 0}).status_code == 400
    # Nobody else's casts appear.
    with server.client(server.new_user(credits_usd="1")) as other:
        assert other.get("/v1/casts").json()["items"] == []


def walk(client: httpx.Client, path: str, identity: str) -> list[str]:
    """Every item of a list, one item per page."""
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 1, **({"cursor": cursor} if cursor else {})}
        body = client.get(path, params=params).json()
        seen += [item[identity] for item in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            return seen


def test_every_list_is_paged_with_cursors(server: RunningServer) -> None:
    with server.client() as client:
        everything = [
            spell["key"] for spell in client.get("/v1/spells", params={"limit": 200}).json()["items"]
        ]
        assert len(everything) > 3 and walk(client, "/v1/spells", "key") == everything
        for n in range(3):
            assert client.post("/v1/keys", json={"name": f"paged {n}", "scopes": ["read"]}).status_code == 201
        keys = [key["id"] for key in client.get("/v1/keys", params={"limit": 200}).json()["items"]]
        assert walk(client, "/v1/keys", "id") == keys
        assert walk(client, "/v1/spells/dev.spell.echo/versions", "version") == ["1.0.0"]
        assert_problem(
            client.get("/v1/keys", params={"cursor": encode_cursor(["gone"])}), 400, "request_invalid"
        )


def test_usage_is_reported_by_day_spell_and_key_and_as_csv(server: RunningServer) -> None:
    key = server.new_user(credits_usd="1")
    with server.client(key) as client:
        for spell, text_input in (
            ("dev.spell.echo", {"message": "a"}),
            ("dev.spell.echo", {"message": "b"}),
            ("dev.spell.textstats", {"text": "hi"}),
        ):
            assert client.post(f"/v1/spells/{spell}/cast", json={"input": text_input}).status_code == 200
        client.post("/v1/spells/test.spell.exit/cast", json={"input": {}})  # failed: not counted
        by_spell = client.get("/v1/users/me/usage", params={"group": "spell"}).json()["rows"]
        assert [(r["group"], r["casts"], r["spent"]["micros"]) for r in by_spell] == [
            ("dev.spell.echo", 2, 200),
            ("dev.spell.textstats", 1, 2000),
        ]
        [today] = client.get("/v1/users/me/usage").json()["rows"]
        assert (today["casts"], today["spent"]["micros"]) == (3, 2200)
        [per_key] = client.get("/v1/users/me/usage", params={"group": "key"}).json()["rows"]
        assert key.split("_")[2] == per_key["group"]
        csv_text = client.get("/v1/users/me/usage", params={"group": "spell", "format": "csv"})
        assert csv_text.headers["content-type"].startswith("text/csv")
        assert csv_text.text.splitlines() == [
            "spell,casts,spent_micros,spent_usd",
            "dev.spell.echo,2,200,0.0002",
            "dev.spell.textstats,1,2000,0.002",
        ]


def test_makers_see_their_earnings_per_spell(server: RunningServer) -> None:
    with server.client() as operator:  # the operator registered the example spells: it is their maker
        before = operator.get("/v1/makers/me/earnings").json()
        assert (
            operator.post("/v1/spells/dev.spell.textstats/cast", json={"input": {"text": "x"}}).status_code
            == 200
        )
        after = operator.get("/v1/makers/me/earnings").json()
    assert after["balance"]["micros"] - before["balance"]["micros"] == 1600  # 80 % of $0.002
    assert after["by_spell"]["dev.spell.textstats"]["micros"] >= 1600


def test_a_retried_cast_with_an_idempotency_key_returns_the_first_result_charged_once(
    server: RunningServer,
) -> None:
    key = server.new_user(credits_usd="1")
    with server.client(key) as client:

        def cast(body: dict[str, object], idem: str) -> httpx.Response:
            return client.post("/v1/spells/dev.spell.echo/cast", json=body, headers={"Idempotency-Key": idem})

        first = cast({"input": {"message": "once"}}, "order-1")
        again = cast({"input": {"message": "once"}}, "order-1")
        assert first.status_code == again.status_code == 200
        assert again.json()["cast_id"] == first.json()["cast_id"]
        assert again.headers["idempotent-replayed"] == "true"
        assert available(client) == 1_000_000 - ECHO_PRICE

        reused = cast({"input": {"message": "something else"}}, "order-1")
        assert_problem(reused, 422, "idempotency_key_reused")

        failed = client.post(
            "/v1/spells/test.spell.exit/cast", json={"input": {}}, headers={"Idempotency-Key": "f"}
        )
        replayed = client.post(
            "/v1/spells/test.spell.exit/cast", json={"input": {}}, headers={"Idempotency-Key": "f"}
        )
        assert failed.status_code == replayed.status_code == 502
        assert replayed.json()["cast_id"] == failed.json()["cast_id"]  # not run again


def test_creating_things_with_an_idempotency_key_creates_them_once(server: RunningServer) -> None:
    with server.client() as client:
        body = {"name": "retried agent", "scopes": ["cast"]}
        headers = {"Idempotency-Key": f"key-{secrets.token_hex(4)}"}
        first = client.post("/v1/keys", json=body, headers=headers)
        again = client.post("/v1/keys", json=body, headers=headers)
        assert first.status_code == again.status_code == 201
        # The same key, secret included, and only one of it.
        assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
        names = [key["name"] for key in client.get("/v1/keys", params={"limit": 200}).json()["items"]]
        assert names.count("retried agent") == 1
        # A secret is never stored in clear, even to replay it.
        stored = asyncio.run(stored_responses(server))
        assert first.json()["key"] not in stored

        key_id = first.json()["id"]
        rotation = {"Idempotency-Key": f"rotate-{key_id}"}
        rotated = client.post(f"/v1/keys/{key_id}/rotate", headers=rotation)
        assert client.post(f"/v1/keys/{key_id}/rotate", headers=rotation).json() == rotated.json()
        assert rotated.json()["key"] != first.json()["key"]

        signer = {"identity": "ci@example.com", "issuer": "https://token.actions.githubusercontent.com"}
        made = client.post("/v1/makers/me/signers", json=signer, headers={"Idempotency-Key": "signer-1"})
        assert client.post(
            "/v1/makers/me/signers", json=signer, headers={"Idempotency-Key": "signer-1"}
        ).json() == (made.json())


async def stored_responses(server: RunningServer) -> str:
    db = Storage(server.database.url)
    try:
        rows = await db.read(lambda session: session.execute(select(IdempotencyRecord.response)).all())
    finally:
        await db.dispose()
    return json.dumps([row[0] for row in rows])


def test_racing_retries_with_one_idempotency_key_cast_once(server: RunningServer) -> None:
    key = server.new_user(credits_usd="1")

    async def race() -> list[httpx.Response]:
        headers = {"Authorization": f"Bearer {key}", "Idempotency-Key": "race-1"}
        async with httpx.AsyncClient(base_url=server.url, headers=headers, timeout=60) as client:
            return await asyncio.gather(
                *(
                    client.post("/v1/spells/dev.spell.echo/cast", json={"input": {"message": "r"}})
                    for _ in range(8)
                )
            )

    responses = asyncio.run(race())
    succeeded = {r.json()["cast_id"] for r in responses if r.status_code == 200}
    assert len(succeeded) == 1
    assert {r.status_code for r in responses} <= {200, 409}
    assert all(r.headers.get("retry-after") for r in responses if r.status_code == 409)
    with server.client(key) as client:
        assert available(client) == 1_000_000 - ECHO_PRICE
