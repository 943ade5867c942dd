"""The audit trail: every security- and money-relevant action is recorded with who did it, from
which (pseudonymous) address, and never a secret; each user reads what concerns them, an operator
reads everything, a page at a time."""

from __future__ import annotations

import json

import httpx

from tests.conftest import RunningServer


def trail(
    client: httpx.Client, path: str = "/v1/users/me/audit", **params: object
) -> list[dict[str, object]]:
    """Every event of a trail, following its pages."""
    events: list[dict[str, object]] = []
    cursor = None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = client.get(path, params=query)
        assert response.status_code == 200, response.text
        body = response.json()
        events.extend(body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return events


def test_account_and_money_actions_are_recorded_without_their_secrets(server: RunningServer) -> None:
    operator = server.client()
    made = operator.post("/v1/keys", json={"name": "agent", "scopes": ["cast"]})
    key_id, key_secret = made.json()["id"], made.json()["key"]
    rotated = operator.post(f"/v1/keys/{key_id}/rotate", params={"grace_s": 0}).json()["key"]
    assert operator.delete(f"/v1/keys/{key_id}").status_code == 204
    assert operator.put(f"/v1/keys/{key_id}/budget", json={"daily_cap_micros": 1_000_000}).status_code == 200
    hook = operator.put("/v1/users/me/budget/webhook", json={"url": "https://hooks.example.com/x"})
    hook_secret = hook.json()["secret"]
    assert operator.delete("/v1/users/me/budget/webhook").status_code == 204
    assert operator.post("/v1/spells/dev.spell.echo/suspend").status_code == 204
    assert operator.delete("/v1/spells/dev.spell.echo/suspend").status_code == 204

    events = trail(operator)
    mine = [
        event
        for event in events
        if event["target_id"] in (key_id, "dev.spell.echo") or event["target_type"] == "webhook"
    ]
    assert [event["action"] for event in reversed(mine)] == [
        "key.created",
        "key.rotated",
        "key.revoked",
        "budget.set",
        "webhook.set",
        "webhook.removed",
        "spell.suspended",
        "spell.reinstated",
    ]
    operator_key_id = server.operator_key.split("_")[2]
    assert {event["actor_key_id"] for event in mine} == {operator_key_id}
    assert {event["via"] for event in mine} == {"rest"}
    addresses = {event["address_hash"] for event in mine}
    assert len(addresses) == 1 and None not in addresses, "one client, one pseudonym"
    assert "127.0.0.1" not in json.dumps(events)
    for secret in (key_secret, rotated, hook_secret, server.operator_key):
        assert secret not in json.dumps(events)


def test_a_refused_action_records_nothing(server: RunningServer) -> None:
    operator = server.client()
    before = len(trail(operator))
    assert operator.delete("/v1/keys/0000000000000000").status_code == 404
    assert (
        operator.put("/v1/keys/0000000000000000/budget", json={"daily_cap_micros": 1_000_000}).status_code
        == 404
    )
    assert len(trail(operator)) == before


def test_a_user_reads_only_what_concerns_them_and_operators_read_all(server: RunningServer) -> None:
    caster_key = server.new_user()
    caster = server.client(caster_key)
    caster_id = caster.get("/v1/users/me").json()["id"]
    granted = server.client().post(
        f"/v1/admin/users/{caster_id}/credits", json={"amount_usd": "2.00", "reason": "welcome"}
    )
    assert granted.status_code == 201, granted.text

    own = trail(caster)
    assert [event["action"] for event in reversed(own)] == ["user.created", "credits.granted"]
    grant = own[0]
    assert grant["subject_id"] == caster_id and grant["actor_id"] != caster_id
    assert grant["details"]["amount_micros"] == 2_000_000  # type: ignore[index]

    refused = caster.get("/v1/admin/audit")
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
    everything = trail(server.client(), "/v1/admin/audit", action="credits.granted")
    assert grant["id"] in {event["id"] for event in everything}
    assert {event["action"] for event in everything} == {"credits.granted"}


def test_pages_neither_repeat_nor_skip_an_event(server: RunningServer) -> None:
    operator = server.client()
    for name in ("a", "b", "c", "d", "e"):
        assert operator.post("/v1/keys", json={"name": name, "scopes": ["read"]}).status_code == 201
    whole = trail(operator, limit=200)
    paged = trail(operator, limit=2)
    assert [event["id"] for event in paged] == [event["id"] for event in whole]
    stamps = [event["at"] for event in whole]
    assert stamps == sorted(stamps, reverse=True)
    for bad in ("bm90IG91cnM=", "WyJub3QgYSB0aW1lIiwiYXVkX3giXQ==", "WyIyMDI2LTAxLTAxVDAwOjAwOjAwIiwiYSJd"):
        refused = operator.get("/v1/users/me/audit", params={"cursor": bad})
        assert refused.status_code == 400 and refused.json()["code"] == "request_invalid", bad


def test_signing_identities_added_and_removed_are_recorded(server: RunningServer) -> None:
    maker = server.client(server.new_user())
    signer = {"identity": "maker@example.com", "issuer": "https://accounts.example.com"}
    added = maker.post("/v1/makers/me/signers", json=signer)
    assert added.status_code == 201, added.text
    signer_id = added.json()["id"]
    stranger = server.client(server.new_user())
    assert stranger.delete(f"/v1/makers/me/signers/{signer_id}").status_code == 404, (
        "only its maker removes it"
    )
    assert maker.delete(f"/v1/makers/me/signers/{signer_id}").status_code == 204
    assert maker.get("/v1/makers/me/signers").json()["items"] == []
    assert maker.delete(f"/v1/makers/me/signers/{signer_id}").status_code == 404
    events = [e for e in trail(maker) if e["target_type"] == "signer"]
    assert [(e["action"], e["target_id"]) for e in reversed(events)] == [
        ("signer.added", str(signer_id)),
        ("signer.removed", str(signer_id)),
    ]
    assert events[0]["details"] == signer
