"""Every list reads its cursor one way: a cursor this API did not give out is refused with
`request_invalid` before it reaches a query, whatever it holds — never a 500 (on both databases:
PostgreSQL refuses NUL characters that SQLite keeps)."""

from __future__ import annotations

import base64
import json
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from spell_mcp.errors import CATALOG

# Lists that are not in the OpenAPI document (the MCP registry's API, /v0.1).
UNDOCUMENTED_LISTS = ["/v0.1/servers"]
# What each path parameter of a list stands for: a spell the operator (dev mode) publishes.
PATH_VALUES = {"key": "dev.spell.echo"}


def cursor_of(position: Any) -> str:
    """A cursor in the form the API's own have (base64 of JSON) around any value."""
    text = json.dumps(position, ensure_ascii=True) if not isinstance(position, str) else position
    return base64.urlsafe_b64encode(text.encode("utf-8", "surrogatepass")).decode()


# Each is refused by every list: none is a position any list gives out.
HOSTILE = {
    "not base64": "!!!not-a-cursor!!!",
    "not JSON": cursor_of("garbage"),
    "not UTF-8": base64.urlsafe_b64encode(b"\xff\xfe[]").decode(),
    "object": cursor_of({"a": 1}),
    "empty list": cursor_of([]),
    "numbers": cursor_of([1, 2]),
    "number": cursor_of([1]),
    "boolean": cursor_of([True]),
    "null": cursor_of([None]),
    "nested": cursor_of([[["x"]]]),
    "lone surrogate": cursor_of('["\\ud800"]'),
    "lone surrogate after a time": cursor_of('["2026-01-01T00:00:00+00:00", "\\udfff"]'),
    "NUL": cursor_of(["x\u0000"]),
    "NUL after a time": cursor_of(["2026-01-01T00:00:00+00:00", "c\u0000"]),
    "after 9999 in UTC": cursor_of(["9999-12-31T23:59:59-05:00", "x"]),
    "before the year 1 in UTC": cursor_of(["0001-01-01T00:00:00+01:00", "x"]),
    "a time without a zone": cursor_of(["2026-01-01T00:00:00", "x"]),
    "a huge id": cursor_of(["99999999999999999999999"]),
    "a negative id": cursor_of(["-1"]),
    "another script's digits": cursor_of(["\u0663"]),
    "a long part": cursor_of(["x" * 300]),
}


def lists(document: dict[str, Any]) -> list[str]:
    """Every GET operation that takes a cursor, path parameters filled in."""
    found = []
    for path, methods in document["paths"].items():
        parameters = methods.get("get", {}).get("parameters", [])
        if any(parameter["name"] == "cursor" for parameter in parameters):
            filled = re.sub(r"\{(\w+)\}", lambda match: PATH_VALUES[match.group(1)], path)
            found.append(filled)
    return found + UNDOCUMENTED_LISTS


def test_every_list_is_walked(api: TestClient) -> None:
    walked = lists(api.get("/openapi.json").json())
    # The ones the red team found 500s on, among the rest.
    for path in ["/v1/casts", "/v1/billing/payments", "/v1/makers/me/notifications", "/v1/users/me/audit"]:
        assert path in walked
    assert len(walked) >= 14


@pytest.mark.parametrize("name", HOSTILE)
def test_a_cursor_this_api_did_not_give_out_is_refused_by_every_list(api: TestClient, name: str) -> None:
    for path in lists(api.get("/openapi.json").json()):
        response = api.get(path, params={"cursor": HOSTILE[name]})
        assert response.status_code == 400, (path, response.text)
        assert response.json()["code"] == "request_invalid" and CATALOG["request_invalid"].status == 400


def test_a_cursor_of_raw_bytes_that_are_not_text_is_refused(api: TestClient) -> None:
    """%ED%A0%80 is a lone surrogate encoded as if it were UTF-8."""
    for path in lists(api.get("/openapi.json").json()):
        response = api.get(f"{path}?cursor=%ED%A0%80")
        assert response.status_code == 400, (path, response.text)
        assert response.json()["code"] == "request_invalid"


def test_the_cursors_a_list_gives_out_page_through_it(api: TestClient) -> None:
    """The decoders accept what the encoders make: the audit trail, paged one event at a time,
    ends, and never repeats an event."""
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 1, **({"cursor": cursor} if cursor else {})}
        body = api.get("/v1/users/me/audit", params=params).json()
        seen += [item["id"] for item in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert len(seen) >= 2 and len(seen) == len(set(seen))
