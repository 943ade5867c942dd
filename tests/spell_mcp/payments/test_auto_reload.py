"""Auto-reload: a saved card charged when credits run low, once however many casts race, never
beyond the monthly cap, and turned off after three failed charges."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from tests.spell_mcp.payments.shop import FOUR_DOLLARS, Shop, cast
from tests.stripe_standin import StripeStandIn


def caster_with_a_saved_card(shop: Shop, stripe: StripeStandIn) -> tuple[str, str]:
    """A caster who bought $5 and kept the card; returns its key and Stripe customer."""
    caster = shop.new_caster()
    session_id = shop.top_up(caster, "5", save_card=True)
    assert stripe.sessions[session_id]["form"]["payment_intent_data[setup_future_usage]"] == "off_session"
    shop.deliver(stripe.pay(session_id))
    assert shop.call(caster, "GET", "/v1/billing/auto-reload").json()["card_saved"] is True
    return caster, str(stripe.sessions[session_id]["customer"])


def reload_intents(stripe: StripeStandIn, customer: str) -> list[str]:
    return [
        i["id"]
        for i in stripe.intents.values()
        if i.get("customer") == customer and "spell_reload" in i.get("metadata", {})
    ]


def test_casts_racing_below_the_threshold_reload_once_and_the_cap_holds(
    shop: Shop, stripe: StripeStandIn
) -> None:
    caster, customer = caster_with_a_saved_card(shop, stripe)
    standing = {"threshold_usd": "4", "amount_usd": "10", "monthly_cap_usd": "15"}
    assert shop.call(caster, "PUT", "/v1/billing/auto-reload", standing).json()["enabled"] is True
    assert cast(shop, caster, FOUR_DOLLARS).status_code == 200  # $1 left: below the threshold

    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = list(pool.map(lambda _: cast(shop, caster, FOUR_DOLLARS), range(20)))
    assert {answer.status_code for answer in answers} == {402}
    assert sum(bool(answer.json().get("reloading")) for answer in answers) == 1
    [reload] = reload_intents(stripe, customer)
    assert stripe.intents[reload]["amount"] == 1000

    assert shop.available(caster) == 1_000_000, "nothing arrives before Stripe's webhook"
    shop.deliver(stripe.charged(reload))
    shop.deliver(stripe.charged(reload))
    assert shop.available(caster) == 11_000_000
    newest = shop.payments(caster)[0]
    assert (newest["kind"], newest["reason"], newest["amount"]["usd"]) == ("top_up", "auto-reload", "10")

    for _ in range(2):
        assert cast(shop, caster, FOUR_DOLLARS).status_code == 200  # $3 left
    refused = cast(shop, caster, FOUR_DOLLARS).json()
    assert refused["code"] == "insufficient_credits" and "reloading" not in refused
    assert len(reload_intents(stripe, customer)) == 1, "$10 more would pass the $15 monthly cap"
    status = shop.call(caster, "GET", "/v1/billing/auto-reload").json()
    assert (status["this_month"]["usd"], status["in_flight"]) == ("10", False)
    shop.assert_ledger_sound()


def test_a_reload_paid_after_the_account_was_erased_is_refunded(shop: Shop, stripe: StripeStandIn) -> None:
    caster, customer = caster_with_a_saved_card(shop, stripe)
    standing = {"threshold_usd": "4", "amount_usd": "10", "monthly_cap_usd": "15"}
    shop.call(caster, "PUT", "/v1/billing/auto-reload", standing)
    assert cast(shop, caster, FOUR_DOLLARS).status_code == 200  # $1 left: below the threshold
    assert cast(shop, caster, FOUR_DOLLARS).json().get("reloading")
    [reload] = reload_intents(stripe, customer)
    assert shop.call(caster, "DELETE", "/v1/users/me").status_code == 204

    answer = shop.deliver(stripe.charged(reload))
    assert answer.json()["outcome"] == "refunded to the payer: the account was erased"
    [refund] = [r for r in stripe.refunds.values() if r["payment_intent"] == reload]
    assert refund["amount"] == 1000
    shop.assert_ledger_sound()


def test_three_declined_reloads_in_a_row_turn_auto_reload_off(shop: Shop, stripe: StripeStandIn) -> None:
    caster, customer = caster_with_a_saved_card(shop, stripe)
    shop.call(
        caster,
        "PUT",
        "/v1/billing/auto-reload",
        {"threshold_usd": "5", "amount_usd": "10", "monthly_cap_usd": "100"},
    )
    stripe.declines = 3
    try:
        for _ in range(10):  # each refused cast tries once more, until three failures turn it off
            cast(shop, caster, FOUR_DOLLARS)
            if not shop.call(caster, "GET", "/v1/billing/auto-reload").json()["enabled"]:
                break
    finally:
        stripe.declines = 0
    status = shop.call(caster, "GET", "/v1/billing/auto-reload").json()
    assert (status["failures"], status["this_month"]["usd"]) == (3, "0")
    assert "declined" in status["last_error"]
    failed = [p for p in shop.payments(caster) if p["kind"] == "reload_failed"]
    assert len(failed) == 3 and all("declined" in p["reason"] for p in failed)
    assert len(reload_intents(stripe, customer)) == 3
    cast(shop, caster, FOUR_DOLLARS)
    assert len(reload_intents(stripe, customer)) == 3, "off: no more charges"
    shop.assert_ledger_sound()


def test_auto_reload_needs_a_saved_card(shop: Shop) -> None:
    caster = shop.new_caster()
    refused = shop.call(
        caster,
        "PUT",
        "/v1/billing/auto-reload",
        {"threshold_usd": "5", "amount_usd": "10", "monthly_cap_usd": "50"},
    )
    assert refused.status_code == 400 and "save_card" in refused.json()["detail"]


def test_a_refunded_auto_reload_takes_its_credits_back(shop: Shop, stripe: StripeStandIn) -> None:
    """A reload's charge refunded at Stripe (by the operator, in the dashboard) is a refund like a
    top-up's: the credits it bought leave, into debt where they were spent."""
    caster, customer = caster_with_a_saved_card(shop, stripe)
    standing = {"threshold_usd": "4", "amount_usd": "10", "monthly_cap_usd": "50"}
    shop.call(caster, "PUT", "/v1/billing/auto-reload", standing)
    assert cast(shop, caster, FOUR_DOLLARS).status_code == 200  # $1 left
    assert cast(shop, caster, FOUR_DOLLARS).json()["reloading"] is True
    [reload] = reload_intents(stripe, customer)
    shop.deliver(stripe.charged(reload))
    assert shop.available(caster) == 11_000_000

    refund = shop.deliver(stripe.intent_refunded(reload, 1000))
    assert refund.json()["outcome"] == "refunded 10000000 micro-USD of credits", refund.json()
    assert shop.available(caster) == 1_000_000
    assert shop.payments(caster)[0]["kind"] == "refund"
    shop.assert_ledger_sound()
