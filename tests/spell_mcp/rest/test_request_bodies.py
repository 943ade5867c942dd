"""What a client sends is read as it is written, never coerced: a number or a boolean is one in
the JSON (`true` is not 1, `"5"` is not 5), a time is text with a zone and must be a time once in
UTC; every refusal is a 400 with a catalog code, never a 500."""

from __future__ import annotations

import importlib
import json
import pkgutil
import re
import typing
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel, ValidationError

from spell_mcp import rest
from spell_mcp.rest.bodies import RequestBody

# Each is refused where a client gives a time: not a time once its offset is applied, not text,
# or without a zone.
BAD_TIMES = {
    "after 9999 in UTC": "9999-12-31T23:59:59-05:00",
    "before the year 1 in UTC": "0001-01-01T00:00:00+01:00",
    "without a zone": "2030-01-01T00:00:00",
    "a date alone": "2030-01-01",
}


def refused(response: Any) -> str:
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["code"] == "request_invalid", body
    return " ".join([body["detail"], *body.get("problems", [])])


@pytest.mark.parametrize("name", BAD_TIMES)
def test_a_key_expiring_at_no_time_in_utc_is_refused(api: TestClient, name: str) -> None:
    refused(api.post("/v1/keys", json={"name": "k", "scopes": ["read"], "expires_at": BAD_TIMES[name]}))


@pytest.mark.parametrize("name", BAD_TIMES)
@pytest.mark.parametrize("bound", ["since", "until"])
def test_a_usage_report_between_times_that_are_not_times_in_utc_is_refused(
    api: TestClient, name: str, bound: str
) -> None:
    refused(api.get("/v1/users/me/usage", params={bound: BAD_TIMES[name]}))


def test_a_time_is_text_not_a_number(api: TestClient) -> None:
    words = refused(api.post("/v1/keys", json={"name": "k", "scopes": ["read"], "expires_at": 1893456000}))
    assert "as text" in words


def test_a_time_with_an_offset_is_the_same_time_in_utc(api: TestClient) -> None:
    made = api.post(
        "/v1/keys", json={"name": "k", "scopes": ["read"], "expires_at": "2999-06-01T02:00:00+02:00"}
    )
    assert made.status_code == 201, made.text
    assert made.json()["expires_at"] == "2999-06-01T00:00:00Z"


def test_a_report_until_a_time_near_the_year_1_starts_at_the_year_1(api: TestClient) -> None:
    """The default start, 30 days before `until`, is clamped to the earliest time there is."""
    report = api.get("/v1/users/me/usage", params={"until": "0001-01-05T00:00:00Z"})
    assert report.status_code == 200, report.text
    assert report.json()["since"].startswith("0001-01-01T00:00:00")


# -- strict types ---------------------------------------------------------------------------


def body_models() -> dict[str, type[BaseModel]]:
    """Every pydantic model of the REST face, by name (as the OpenAPI document names them)."""
    found: dict[str, type[BaseModel]] = {}
    for module in pkgutil.iter_modules(rest.__path__):
        for name, value in vars(importlib.import_module(f"spell_mcp.rest.{module.name}")).items():
            if (
                isinstance(value, type)
                and issubclass(value, BaseModel)
                and value.__module__.startswith("spell_mcp")
            ):
                found[name] = value
    return found


def test_every_json_request_body_is_read_strictly(api: TestClient) -> None:
    models = body_models()
    bodies = set()
    for methods in api.get("/openapi.json").json()["paths"].values():
        for operation in methods.values():
            schema = (
                operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            )
            bodies.update(re.findall(r"#/components/schemas/(\w+)", json.dumps(schema)))
    assert len(bodies) >= 15
    for name in bodies:
        assert issubclass(models[name], RequestBody), f"{name} is not a RequestBody"


def scalar_fields(model: type[BaseModel]) -> list[tuple[str, type]]:
    """The fields of `model` that hold an integer or a boolean (optional or not)."""
    found = []
    for name, field in model.model_fields.items():
        kinds = typing.get_args(field.annotation) or (field.annotation,)
        found += [(name, kind) for kind in kinds if kind in (int, bool)]
    return found


def test_no_request_body_takes_a_value_of_another_json_type_for_a_number_or_a_boolean() -> None:
    wrong = {int: [True, "5", 5.0], bool: [1, "true", "yes"]}
    checked = 0
    for model in body_models().values():
        if not issubclass(model, RequestBody):
            continue
        for name, kind in scalar_fields(model):
            for value in wrong[kind]:
                with pytest.raises(ValidationError) as refused:
                    model.model_validate({name: value})
                assert any(error["loc"][:1] == (name,) for error in refused.value.errors()), (
                    model,
                    name,
                    value,
                )
                checked += 1
    assert checked >= 30


@pytest.mark.parametrize("value", [True, "5", 5.0, "\u0665"])
def test_a_budget_cap_is_a_json_integer(api: TestClient, value: Any) -> None:
    """`true` was read as a cap of 1 micro-USD, and "5" as 5."""
    before = api.get("/v1/users/me/budget").json()["caps"]
    words = refused(api.put("/v1/users/me/budget", json={"daily_cap_micros": value}))
    assert "daily_cap_micros" in words
    assert api.get("/v1/users/me/budget").json()["caps"] == before


def test_a_budget_cap_written_as_an_integer_is_set(api: TestClient) -> None:
    answer = api.put("/v1/users/me/budget", json={"daily_cap_micros": 5_000_000})
    assert answer.status_code == 200 and answer.json()["caps"]["daily_cap_micros"] == 5_000_000
    assert api.put("/v1/users/me/budget", json={}).status_code == 200  # the operator's other tests cast


@pytest.mark.parametrize(
    "url",
    ["https://hooks.example.com/a\r\nX: y", "https://hooks.example.com/\tb", "https://hooks.exa\nmple.com/"],
)
def test_a_webhook_url_with_a_line_break_or_a_tab_is_refused_and_not_stored(
    api: TestClient, url: str
) -> None:
    before = api.get("/v1/users/me/budget/webhook")
    assert "line breaks" in refused(api.put("/v1/users/me/budget/webhook", json={"url": url}))
    after = api.get("/v1/users/me/budget/webhook")
    assert (after.status_code, after.text) == (before.status_code, before.text)


def test_a_signer_identity_with_a_line_break_or_a_tab_is_refused(api: TestClient) -> None:
    issuer = "https://token.actions.githubusercontent.com"
    for identity in ["maker@example.com\n", "maker@\texample.com"]:
        body = {"identity": identity, "issuer": issuer}
        assert "control characters" in refused(api.post("/v1/makers/me/signers", json=body))


# -- NUL characters, which PostgreSQL cannot store or compare ---------------------------------

NUL = "a\u0000b"


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/v1/keys", {"name": NUL, "scopes": ["read"]}),
        ("PATCH", "/v1/users/me", {"email": "a\u0000@example.com"}),
        ("POST", "/v1/admin/legal-holds", {"target_type": "user", "target_id": NUL, "reason": "r"}),
        ("POST", "/v1/spells/dev.spell.echo/accept", {"version": NUL}),
        ("POST", "/v1/spells/dev.spell.echo/cast", {"input": {"message": "x"}, "version": NUL}),
        ("POST", "/v1/keys", {"name": "k", "scopes": ["read", NUL]}),
    ],
)
def test_text_with_a_nul_in_a_body_is_refused(
    api: TestClient, method: str, path: str, body: dict[str, Any]
) -> None:
    assert "NUL" in refused(api.request(method, path, json=body))


@pytest.mark.parametrize(
    "url",
    [
        "/v1/spells/dev.spell.echo%00",
        "/v1/casts/cast_x%00",
        "/v1/spells?q=a%00b",
        "/v1/admin/audit?action=a%00",
        "/v0.1/servers?search=%00",
    ],
)
def test_a_url_with_a_nul_is_refused(api: TestClient, url: str) -> None:
    assert "NUL" in refused(api.get(url))


def test_a_casts_input_may_hold_a_nul_for_the_spell_to_read(api: TestClient) -> None:
    cast = api.post("/v1/spells/dev.spell.echo/cast", json={"input": {"message": NUL}})
    assert cast.status_code == 200, cast.text


# -- depth bombs ----------------------------------------------------------------------------


def json_operations(document: dict[str, Any]) -> list[tuple[str, str]]:
    """Every operation that takes a JSON body: (method, path with its parameters filled in)."""
    found = []
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            if "application/json" in operation.get("requestBody", {}).get("content", {}):
                found.append((method.upper(), re.sub(r"\{\w+\}", "x", path)))
    return found


def test_no_json_body_nested_100000_deep_reaches_an_error_of_ours(api: TestClient) -> None:
    """Every route that takes JSON, and MCP, refuses the bomb in words; none answers 5xx."""
    bomb = "[" * 100_000 + "]" * 100_000
    operations = json_operations(api.get("/openapi.json").json())
    assert len(operations) >= 19
    for method, path in operations:
        answer = api.request(method, path, content=bomb, headers={"Content-Type": "application/json"})
        assert "deeper than 64 levels" in refused(answer), (method, path)
    mcp = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
    answer = api.post("/mcp", content=bomb, headers={**mcp, "Host": "127.0.0.1:8000"})
    assert answer.status_code == 400 and "recursion limit" in answer.text, answer.text
