"""Spell against a Stripe emulator we did not write: `localstripe` (PyPI; stateful, its own
implementation of customers, PaymentMethods, PaymentIntents, charges, refunds and signed webhooks),
started once for the module on a free port, with Spell served over HTTP and pointed at it by
`SPELL_STRIPE_API_BASE`. It checks what our own stand-in (tests/stripe_standin.py) cannot: that
the requests Spell makes are ones an independent implementation accepts (parameter names,
idempotency keys, the `expand` of a payment's charge and fee), and that Spell verifies webhooks
signed by code that is not Stripe's library. What localstripe lacks (Checkout Sessions, Connect
accounts, transfers, disputes, a `charge.refunded` event) is tested against the stand-in.

Where localstripe and the stand-in disagree, Stripe's API reference decides:
- An error's `type` is one of api_error, card_error, idempotency_error, invalid_request_error: a bad
  key is a 401 `invalid_request_error` (localstripe is right; the stand-in said
  `authentication_error` and was fixed), and a declined card a 402 `card_error` (the stand-in is
  right; localstripe says `invalid_request_error`). The stripe library goes by the status, so
  Spell is told the same either way.
- An unknown URL or object is a 404 with a JSON error body (`resource_missing` for an object):
  localstripe answers a URL it lacks (`/v1/checkout/sessions`) with a plain-text 404, which the
  library can only call an invalid response. The stand-in answered an unknown resource with a 400;
  fixed.
- A PaymentIntent has `amount_received`, what it collected; localstripe's has none, so Spell,
  which credits what Stripe says it received and nothing it does not say, credits nothing for a
  reload localstripe charged (the stand-in, like Stripe, gives `amount_received`).
- A PaymentIntent's `latest_charge` is the charge's id unless the request expands it; localstripe
  always inlines the charge. Spell expands it, so reads either.
- Events of localstripe carry `api_version` 2017-08-15 and no `livemode`; Stripe's every event has
  `livemode` (the stand-in's too). Spell reads neither.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import stripe
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from spell_mcp.accounts.users import create_user
from spell_mcp.app import create_app
from spell_mcp.database.tables import PaymentCustomer, PaymentEvent
from spell_mcp.payments.reloads import card_saved
from spell_mcp.settings import Settings
from tests.conftest import Database, free_port
from tests.functional.test_crash import verify_ledger
from tests.local_server import local_server
from tests.stripe_standin import SECRET_KEY as STANDIN_KEY
from tests.stripe_standin import StripeStandIn, event, signed

pytestmark = pytest.mark.processes
# Interop is about shapes on the wire: one database is enough (money on both is tested elsewhere).
ON_SQLITE = pytest.mark.parametrize("database", ["sqlite"], indirect=True)

SECRET_KEY = "sk_test_localstripe"
WEBHOOK_SECRET = "whsec_localstripe"


@pytest.fixture(scope="module")
def localstripe(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """localstripe on a free port, from scratch, for the whole module."""
    port = free_port()
    log = tmp_path_factory.mktemp("localstripe") / "localstripe.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "localstripe", "--port", str(port), "--from-scratch"],
            stdout=output,
            stderr=subprocess.STDOUT,
            cwd=log.parent,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{url}/v1/customers", timeout=1)  # any answer (a 401) means it is up
                break
            except httpx.TransportError:
                assert process.poll() is None, log.read_text()
                assert time.monotonic() < deadline, "localstripe did not start in 30 s"
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


@dataclass
class Spell:
    """Spell served over HTTP, pointed at localstripe, and the payer's own Stripe client."""

    http: httpx.Client
    database: Database
    payer: stripe.StripeClient
    home: Path

    def caster(self) -> tuple[str, str]:
        """A new caster with no credits: (user id, API key)."""
        with self.session() as session:
            user = create_user(session, "caster")
        return user.user_id, user.api_key

    def call(self, key: str, method: str, path: str, body: Any = None) -> httpx.Response:
        return self.http.request(method, path, json=body, headers={"Authorization": f"Bearer {key}"})

    def session(self) -> Session:
        """A session on Spell's database that commits on leaving (for what localstripe cannot
        bring about, and to read what Spell recorded)."""
        return _Committing(create_engine(self.database.url))

    def events(self, kind: str) -> list[PaymentEvent]:
        with self.session() as session:
            return list(session.execute(select(PaymentEvent).where(PaymentEvent.type == kind)).scalars())

    def wait_for(self, found: Callable[[], Any], what: str, timeout_s: float = 20) -> Any:
        deadline = time.monotonic() + timeout_s
        while not (result := found()):
            assert time.monotonic() < deadline, f"no {what} in {timeout_s} s"
            time.sleep(0.1)
        return result


class _Committing(Session):
    def __init__(self, engine: Any) -> None:
        super().__init__(engine, expire_on_commit=False)

    def __exit__(self, kind: object, *rest: object) -> None:
        if kind is None:
            self.commit()
        super().__exit__(kind, *rest)
        self.bind.dispose()  # type: ignore[union-attr]


@pytest.fixture
def spell(localstripe: str, database: Database, tmp_path: Path) -> Iterator[Spell]:
    port = free_port()
    settings = Settings(
        home=tmp_path / "home",
        database_url=database.url,
        dev_mode=True,
        examples_dir=tmp_path / "no-spells",
        stripe_secret_key=SECRET_KEY,
        stripe_webhook_secret=WEBHOOK_SECRET,
        stripe_api_base=localstripe,
        auto_reload_interval_s=0.2,
    )
    # localstripe posts every event, signed with this secret, to the one webhook registered here.
    hook = {"url": f"http://127.0.0.1:{port}/v1/webhooks/stripe", "secret": WEBHOOK_SECRET}
    httpx.post(f"{localstripe}/_config/webhooks/spell", data=hook).raise_for_status()
    payer = stripe.StripeClient(SECRET_KEY, base_addresses={"api": localstripe})
    base = f"http://127.0.0.1:{port}"
    with local_server(create_app(settings), port), httpx.Client(base_url=base, timeout=60) as http:
        yield Spell(http, database, payer, tmp_path / "home")
    assert verify_ledger(database) == [], "the ledger verifies after every test"


def a_customer_at_localstripe(spell: Spell, key: str) -> None:
    """Spell makes the caster's customer at its first top-up."""
    spell.call(key, "POST", "/v1/billing/checkout", {"amount_usd": "10"})


@ON_SQLITE
def test_a_top_up_makes_a_customer_localstripe_accepts_and_says_truly_that_it_has_no_checkout(
    spell: Spell, caplog: pytest.LogCaptureFixture
) -> None:
    user_id, key = spell.caster()
    started = spell.call(key, "POST", "/v1/billing/checkout", {"amount_usd": "10"})
    # localstripe has no Checkout Sessions: its plain 404 is Stripe refusing, not Stripe unreachable.
    assert started.status_code == 502, started.text
    assert started.json()["code"] == "payment_provider_misconfigured"
    assert "could not be reached" not in started.json()["detail"]
    assert any(
        "refused to create a Checkout Session: HTTP 404" in record.getMessage() for record in caplog.records
    )
    with spell.session() as session:
        customer = session.get(PaymentCustomer, user_id)
    assert customer is not None, "the customer was made, and remembered"
    found = spell.payer.v1.customers.retrieve(customer.provider_customer_id)
    assert (found.name, found.metadata["spell_user_id"]) == ("caster", user_id)
    assert spell.call(key, "GET", "/v1/billing/payments").json()["items"] == [], "no top-up was recorded"


def saved_card(spell: Spell, user_id: str, key: str, number: str) -> str:
    """The caster's card kept at localstripe as a Checkout top-up with `save_card` would keep it
    (localstripe has no Checkout: the test attaches it, and tells Spell as the top-up's webhook
    would), and auto-reload turned on below $20."""
    a_customer_at_localstripe(spell, key)
    with spell.session() as session:
        customer = session.get(PaymentCustomer, user_id)
        assert customer is not None
        card = spell.payer.v1.payment_methods.create(
            params={
                "type": "card",
                "card": {"number": number, "exp_month": 12, "exp_year": 2040, "cvc": "123"},
            }
        )
        spell.payer.v1.payment_methods.attach(card.id, params={"customer": customer.provider_customer_id})
        card_saved(session, user_id, card.id)
    standing = {"threshold_usd": "20", "amount_usd": "10", "monthly_cap_usd": "50"}
    turned_on = spell.call(key, "PUT", "/v1/billing/auto-reload", standing)
    assert turned_on.status_code == 200, turned_on.text
    return customer.provider_customer_id


@ON_SQLITE
def test_an_auto_reload_charges_the_card_at_localstripe_and_spell_hears_its_signed_webhook(
    spell: Spell,
) -> None:
    user_id, key = spell.caster()
    customer = saved_card(spell, user_id, key, "4242424242424242")
    # The reload job sees $0 < $20 and charges the card off-session.
    intent = spell.wait_for(lambda: intent_of(spell, customer), "a charge at localstripe")
    assert (intent["amount"], intent["status"]) == (1000, "succeeded")
    assert intent["metadata"]["spell_user_id"] == user_id and intent["metadata"]["spell_reload"].startswith(
        "reload_"
    )
    # localstripe signs payment_intent.succeeded with its own code; Spell verifies it, then asks
    # localstripe for the payment's charge and fee (an `expand` localstripe also understands).
    [heard] = spell.wait_for(lambda: spell.events("payment_intent.succeeded"), "payment_intent.succeeded")
    # localstripe's PaymentIntent lacks `amount_received` (Stripe's always has it): Spell credits
    # only what Stripe says it received.
    assert heard.outcome == "ignored: nothing received"
    assert spell.call(key, "GET", "/v1/users/me/balance").json()["available"]["micros"] == 0
    # Whatever else localstripe sent (customer.created, …) was acknowledged and recorded.
    assert spell.events("customer.created")

    # Refunded at localstripe (as an operator would in Stripe's dashboard). localstripe sends no
    # charge.refunded: the test signs one around localstripe's own charge, as Stripe sends it.
    spell.payer.v1.refunds.create(params={"payment_intent": intent["id"]})
    latest = intent["latest_charge"]  # localstripe inlines it; Stripe gives its id unless expanded
    charge = spell.payer.v1.charges.retrieve(latest["id"] if isinstance(latest, dict) else latest).to_dict()
    assert (charge["payment_intent"], charge["amount_refunded"], charge["refunded"]) == (
        intent["id"],
        1000,
        True,
    )
    body, signature = signed(event("charge.refunded", charge), secret=WEBHOOK_SECRET)
    headers = {"Stripe-Signature": signature, "Content-Type": "application/json"}
    refunded = spell.http.post("/v1/webhooks/stripe", content=body, headers=headers)
    # Nothing was credited for it (above), so nothing is taken back.
    assert refunded.json()["outcome"] == "ignored: not a charge of a credited top-up"


def intent_of(spell: Spell, customer: str) -> dict[str, Any] | None:
    """The payment intent Spell made at localstripe for the customer, as localstripe shows it."""
    intents = [intent.to_dict() for intent in spell.payer.v1.payment_intents.list().data]
    return next((intent for intent in intents if intent["customer"] == customer), None)


@ON_SQLITE
def test_a_card_localstripe_declines_is_listed_with_the_issuers_reason_and_its_webhooks_change_nothing(
    spell: Spell,
) -> None:
    """localstripe answers a declined charge with a 402 (as Stripe does, though its error type
    is `invalid_request_error` where Stripe's is `card_error`) and sends payment_intent.payment_failed
    besides: each decline is listed once, with the issuer's reason, and three turn auto-reload off."""
    user_id, key = spell.caster()
    saved_card(spell, user_id, key, "4000000000000341")  # attaches, then every charge is declined
    turned_off = spell.wait_for(
        lambda: not spell.call(key, "GET", "/v1/billing/auto-reload").json()["enabled"], "auto-reload off"
    )
    assert turned_off
    payments = spell.call(key, "GET", "/v1/billing/payments").json()["items"]
    assert [p["kind"] for p in payments] == ["reload_failed"] * 3
    assert {p["reason"] for p in payments} == {"auto-reload of 10.00 USD failed: Your card was declined."}
    heard = spell.wait_for(
        lambda: (found := spell.events("payment_intent.payment_failed")) and len(found) == 3 and found,
        "three payment_intent.payment_failed",
    )
    assert {event.outcome for event in heard} == {"already recorded"}
    assert spell.call(key, "GET", "/v1/users/me/balance").json()["available"]["micros"] == 0


@ON_SQLITE
def test_a_webhook_localstripe_signs_with_another_secret_is_refused(spell: Spell, localstripe: str) -> None:
    def register(secret: str) -> None:
        hook = {"url": str(spell.http.base_url.join("/v1/webhooks/stripe")), "secret": secret}
        httpx.post(f"{localstripe}/_config/webhooks/spell", data=hook).raise_for_status()

    register("whsec_not_spells")
    _, key = spell.caster()
    a_customer_at_localstripe(spell, key)  # localstripe sends customer.created, signed wrongly
    time.sleep(3)  # localstripe waits a second before it posts
    assert spell.events("customer.created") == []
    register(WEBHOOK_SECRET)
    _, key = spell.caster()
    a_customer_at_localstripe(spell, key)
    [heard] = spell.wait_for(lambda: spell.events("customer.created"), "customer.created signed rightly")
    assert heard.outcome == "ignored: not an event this platform acts on"


def test_the_stand_in_refuses_as_localstripe_and_stripe_do(localstripe: str, stripe: StripeStandIn) -> None:
    """A bad key is a 401 and an unknown object a 404, both `invalid_request_error` with a JSON
    body, from localstripe as from Stripe; our stand-in, which said otherwise, now agrees."""
    for url, key in ((localstripe, SECRET_KEY), (stripe.url, STANDIN_KEY)):
        bad_key = httpx.post(f"{url}/v1/customers", headers=bearer("not_a_key"), data={"name": "x"})
        assert (bad_key.status_code, bad_key.json()["error"]["type"]) == (401, "invalid_request_error"), url
        missing = httpx.get(f"{url}/v1/payment_intents/pi_missing", headers=bearer(key))
        assert (missing.status_code, missing.json()["error"]["type"]) == (404, "invalid_request_error"), url


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}
