"""What goes wrong with Stripe is said for what it is. Stripe out of reach or too slow is a 503
with `Retry-After` (asking again later may work); Stripe refusing what the platform asked (a key it
does not accept, an object not in its account) is a 502 `payment_provider_misconfigured`, since
the fault is the platform's set-up and asking again will not help, logged for the operator with
Stripe's status, error code and request id, and never the key. Events about objects Spell never
created are acknowledged without asking Stripe anything."""

from __future__ import annotations

import logging
import secrets
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from spell_mcp.payments.provider import StripeGateway
from tests.spell_mcp.payments.shop import Shop
from tests.stripe_standin import StripeStandIn, event

WRONG_KEY = "sk_test_notthiskey0123456789"


@pytest.fixture
def silent_stripe() -> Iterator[str]:
    """A server that takes connections and never answers a byte."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"


def refusal(answer: Any) -> tuple[int, str]:
    return answer.status_code, answer.json()["code"]


def recorded_payments(shop: Shop, key: str) -> list[str]:
    return [payment["kind"] for payment in shop.payments(key)]


@pytest.mark.parametrize("shop", [{"settings": {"stripe_secret_key": WRONG_KEY}}], indirect=True)
def test_a_key_stripe_refuses_is_the_platforms_misconfiguration_logged_with_stripes_request_id(
    shop: Shop, caplog: pytest.LogCaptureFixture
) -> None:
    caster = shop.new_caster()
    with caplog.at_level(logging.INFO, logger="spell.stripe"):
        started = shop.call(caster, "POST", "/v1/billing/checkout", {"amount_usd": "10"})
        opened = shop.call(caster, "POST", "/v1/makers/me/payouts/account", {"country": "US"})
    for answer in (started, opened):
        assert refusal(answer) == (502, "payment_provider_misconfigured"), answer.text
        assert "payment set-up is wrong" in answer.json()["detail"]
        assert "Stripe request req_" in answer.json()["detail"]
        assert "could not be reached" not in answer.json()["detail"]
        assert "Retry-After" not in answer.headers
    logged = [record.getMessage() for record in caplog.records if record.name == "spell.stripe"]
    assert len(logged) == 2, logged
    assert "refused to create a customer: HTTP 401, invalid_request_error" in logged[0]
    assert "refused to create a connected account: HTTP 401" in logged[1]
    request_id = started.json()["detail"].split("Stripe request ")[1].rstrip(")")
    assert request_id in logged[0]
    assert not any("notthiskey" in line for line in [*logged, started.text, opened.text]), (
        "the key stays secret"
    )
    assert recorded_payments(shop, caster) == [], "nothing half-written"


def test_an_object_that_is_not_in_the_stripe_account_is_the_platforms_misconfiguration(
    shop: Shop, stripe: StripeStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    """The customer Spell remembers for a caster is gone from the Stripe account (a key of another
    account, test data wiped): Stripe says so, and so does Spell."""
    caster = shop.new_caster()
    shop.top_up(caster, "10")
    [customer] = [c for c in stripe.customers.values() if c["name"] == "caster"][-1:]
    del stripe.customers[customer["id"]]
    with caplog.at_level(logging.ERROR, logger="spell.stripe"):
        again = shop.call(caster, "POST", "/v1/billing/checkout", {"amount_usd": "10"})
    assert refusal(again) == (502, "payment_provider_misconfigured")
    [line] = [record.getMessage() for record in caplog.records if record.name == "spell.stripe"]
    assert "refused to create a Checkout Session: HTTP 400" in line and "No such customer" in line


@contextmanager
def stripe_at(shop: Shop, url: str, timeout_s: float = 10) -> Iterator[None]:
    """The platform's Stripe calls go to `url` for a while."""
    assert shop.platform.stripe is not None
    kept = shop.platform.stripe
    settings = shop.settings
    assert settings.stripe_secret_key and settings.stripe_webhook_secret
    shop.platform.stripe = StripeGateway(
        settings.stripe_secret_key, settings.stripe_webhook_secret, api_base=url, timeout_s=timeout_s
    )
    try:
        yield
    finally:
        shop.platform.stripe = kept


def test_stripe_out_of_reach_is_a_503_with_retry_after(shop: Shop) -> None:
    caster = shop.new_caster()
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        gone = f"http://127.0.0.1:{closed.getsockname()[1]}"
    with stripe_at(shop, gone):
        answer = shop.call(caster, "POST", "/v1/billing/checkout", {"amount_usd": "10"})
    assert refusal(answer) == (503, "payment_provider_unavailable")
    assert answer.headers["Retry-After"] == "30" and answer.json()["retry_after"] == 30
    assert "could not be reached" in answer.json()["detail"]
    assert recorded_payments(shop, caster) == []


def test_a_stripe_that_never_answers_is_a_503_in_bounded_time(shop: Shop, silent_stripe: str) -> None:
    caster = shop.new_caster()
    began = time.monotonic()
    with stripe_at(shop, silent_stripe, timeout_s=0.3):
        answer = shop.call(caster, "POST", "/v1/billing/checkout", {"amount_usd": "10"})
    took = time.monotonic() - began
    assert refusal(answer) == (503, "payment_provider_unavailable")
    # Three tries of 0.3 s and the library's backoff between them: seconds, where the library's
    # own default (80 s a try) would hold the caster for four minutes.
    assert took < 30, took


def test_events_about_objects_spell_never_created_are_acknowledged_without_asking_stripe(
    shop: Shop, stripe: StripeStandIn
) -> None:
    foreign_session = {
        "id": f"cs_live_{secrets.token_hex(12)}",
        "object": "checkout.session",
        "payment_status": "paid",
        "payment_intent": f"pi_{secrets.token_hex(8)}",
        "client_reference_id": "someone-else",
        "amount_subtotal": 5000,
    }
    foreign_reload = {
        "id": f"pi_{secrets.token_hex(8)}",
        "object": "payment_intent",
        "amount_received": 5000,
        "metadata": {"spell_user_id": "usr_not_ours", "spell_reload": "reload_x"},
    }
    before = len(stripe.requests)
    for kind, obj in (
        ("checkout.session.completed", foreign_session),
        ("checkout.session.async_payment_succeeded", foreign_session),
        ("payment_intent.succeeded", foreign_reload),
    ):
        answer = shop.deliver(event(kind, obj))
        assert answer.status_code == 200, answer.text
        assert answer.json()["outcome"].startswith("ignored"), answer.json()
    assert stripe.requests[before:] == [], "Stripe was not asked about objects that are not Spell's"
    shop.assert_ledger_sound()
