"""What a client sends is read as it is written, never coerced: a time is text with a zone and
must be a time once in UTC; every refusal is a 400 with a catalog code, never a 500."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

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
