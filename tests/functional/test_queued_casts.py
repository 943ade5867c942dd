"""Queued casts (`Prefer: respond-async`): answered 202 once the price is held, then settled
exactly once or failed and never charged; refusals before the hold are answered at once."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from tests.conftest import RunningServer

# Holds and settlements of queued casts: on both databases.
pytestmark = pytest.mark.backends("sqlite", "postgresql")

ASYNC = {"Prefer": "respond-async"}
ECHO = "/v1/spells/dev.spell.echo/cast"
ECHO_PRICE = 100


def available(client: httpx.Client) -> int:
    micros: int = client.get("/v1/users/me/balance").json()["available"]["micros"]
    return micros


def outcome(client: httpx.Client, location: str) -> dict[str, Any]:
    """The cast, once it is no longer running (it runs on after the 202)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        cast: dict[str, Any] = client.get(location).json()
        if cast["status"] != "running":
            return cast
        time.sleep(0.05)
    raise AssertionError(f"{location} still running after 30 s")


def test_a_queued_cast_is_answered_when_held_and_settled_once(server: RunningServer) -> None:
    with server.client(server.new_user(credits_usd="1")) as client:
        before = available(client)
        answer = client.post(ECHO, json={"input": {"message": "later"}}, headers=ASYNC)
        assert answer.status_code == 202, answer.text
        assert answer.headers["preference-applied"] == "respond-async"
        location = answer.headers["location"]
        assert location == answer.json()["location"] == f"/v1/casts/{answer.json()['cast_id']}"
        cast = outcome(client, location)
        assert cast["status"] == "succeeded" and cast["output"] == {"message": "later"}, (
            cast["error_code"],
            cast["error_detail"],
        )
        assert cast["charged"]["micros"] == ECHO_PRICE
        assert available(client) == before - ECHO_PRICE
        receipt = client.get(f"{location}/receipt")
        assert receipt.status_code == 200 and receipt.json()["receipt"]["cast_id"] == cast["cast_id"]


def test_a_queued_cast_that_fails_is_never_charged(server: RunningServer) -> None:
    with server.client(server.new_user(credits_usd="1")) as client:
        before = available(client)
        answer = client.post("/v1/spells/test.spell.exit/cast", json={"input": {}}, headers=ASYNC)
        assert answer.status_code == 202, answer.text
        cast = outcome(client, answer.headers["location"])
        assert (cast["status"], cast["error_code"], cast["charged"]["micros"]) == (
            "failed",
            "spell_failed",
            0,
        )
        assert available(client) == before


def test_what_is_refused_before_the_hold_is_refused_at_once(server: RunningServer) -> None:
    with server.client(server.new_user(credits_usd="0")) as broke:
        poor = broke.post(ECHO, json={"input": {"message": "x"}}, headers=ASYNC)
        assert poor.status_code == 402 and poor.json()["code"] == "insufficient_credits"
        bad = broke.post(ECHO, json={"input": {"nope": 1}}, headers=ASYNC)
        assert bad.status_code == 422 and bad.json()["code"] == "input_invalid"
        assert broke.get("/v1/casts").json()["items"] == []


def test_a_retried_queued_cast_is_the_same_cast(server: RunningServer) -> None:
    with server.client(server.new_user(credits_usd="1")) as client:
        headers = {**ASYNC, "Idempotency-Key": "queued-1"}
        first = client.post(ECHO, json={"input": {"message": "once"}}, headers=headers)
        again = client.post(ECHO, json={"input": {"message": "once"}}, headers=headers)
        assert first.status_code == again.status_code == 202
        assert again.json()["cast_id"] == first.json()["cast_id"]
        assert again.headers["idempotent-replayed"] == "true"
        outcome(client, first.json()["location"])
        assert len(client.get("/v1/casts").json()["items"]) == 1


def test_without_the_preference_a_cast_is_answered_when_done(server: RunningServer) -> None:
    with server.client(server.new_user(credits_usd="1")) as client:
        answer = client.post(ECHO, json={"input": {"message": "now"}}, headers={"Prefer": "return=minimal"})
        assert answer.status_code == 200 and answer.json()["output"] == {"message": "now"}


def test_a_queued_cast_cancelled_before_it_ends_is_never_charged(server: RunningServer) -> None:
    with server.client(server.new_user(credits_usd="1")) as client:
        answer = client.post("/v1/spells/test.spell.spin/cast", json={"input": {}}, headers=ASYNC)
        assert answer.status_code == 202, answer.text
        location = answer.headers["location"]
        cancelled = client.post(f"{location}/cancel")
        assert cancelled.status_code == 200, cancelled.text
        assert (cancelled.json()["status"], cancelled.json()["error_code"]) == ("failed", "cast_cancelled")
        assert (
            available(client) == 1_000_000
            and client.get("/v1/users/me/balance").json()["held"]["micros"] == 0
        )
        finished = client.post(ECHO, json={"input": {"message": "done"}})
        again = client.post(f"/v1/casts/{finished.json()['cast_id']}/cancel")  # finished: left as it is
        assert again.status_code == 200 and again.json()["status"] == "succeeded"
        assert client.post("/v1/casts/cast_nope/cancel").json()["code"] == "cast_not_found"
