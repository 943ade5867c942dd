"""Money in and out through Stripe, driven by the real `stripe` library against a local stand-in
of its API, with webhooks signed by Stripe's own scheme; and an operator's grants. After every
scenario the ledger verifies (chain intact, balances match their entries, all sums zero)."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from mcp import Client, StdioServerParameters
from mcp_types import ElicitRequestURLParams, ElicitResult
from sqlalchemy import select
from typer.testing import CliRunner

from billing import Account, AccountKind, Ledger, account_id
from spell_mcp.app import create_app
from spell_mcp.cli import app as cli
from spell_mcp.database.tables import PaymentEvent
from spell_mcp.settings import Settings
from tests.conftest import ROOT, Database, free_port
from tests.functional.test_mcp import problem
from tests.spell_mcp.payments.shop import FOUR_DOLLARS, Shop, cast
from tests.stripe_standin import StripeStandIn, signed


def test_a_top_up_from_checkout_to_cast(shop: Shop, stripe: StripeStandIn) -> None:
    caster = shop.new_caster()
    session_id = shop.top_up(caster, "20.00")
    sent = stripe.sessions[session_id]
    assert (sent["amount_subtotal"], sent["currency"], sent["mode"]) == (2000, "usd", "payment")
    me = shop.call(caster, "GET", "/v1/users/me").json()
    assert sent["client_reference_id"] == me["id"]
    assert shop.available(caster) == 0, "nothing is credited before Stripe says it was paid"
    assert cast(shop, caster).json()["code"] == "insufficient_credits"

    answer = shop.deliver(stripe.pay(session_id, tax_cents=160))
    assert answer.status_code == 200 and answer.json()["outcome"].startswith("credited")
    assert shop.available(caster) == 20_000_000
    [paid] = shop.payments(caster)
    assert (paid["kind"], paid["amount"]["usd"], paid["tax"]["usd"], paid["fee"]["usd"]) == (
        "top_up",
        "20",
        "1.6",
        "0.61",
    )
    assert paid["receipt_url"].startswith("https://pay.stripe.test/receipts/")
    assert cast(shop, caster).status_code == 200
    # One customer per caster, however many top-ups.
    shop.top_up(caster, "5")
    assert (
        len(
            {
                stripe.sessions[s]["customer"]
                for s in stripe.sessions
                if stripe.sessions[s]["client_reference_id"] == me["id"]
            }
        )
        == 1
    )
    shop.assert_ledger_sound()


def test_an_event_three_times_and_two_events_for_one_session_credit_once(
    shop: Shop, stripe: StripeStandIn
) -> None:
    caster = shop.new_caster()
    session_id = shop.top_up(caster, "10")
    pending = stripe.pay(session_id, async_payment=True)
    assert shop.deliver(pending).json()["outcome"] == "awaiting payment"
    assert shop.available(caster) == 0
    succeeded = stripe.async_succeeded(session_id)
    for _ in range(3):
        assert shop.deliver(succeeded).status_code == 200
    completed_again = stripe.pay(session_id)  # a second event for the same session, paid
    assert shop.deliver(completed_again).json()["outcome"] == "already credited"
    assert shop.available(caster) == 10_000_000
    assert len(shop.payments(caster)) == 1
    shop.assert_ledger_sound()


@pytest.mark.parametrize("forgery", ["wrong-secret", "stale", "tampered", "missing"])
def test_an_unsigned_or_stale_webhook_is_refused_and_credits_nothing(
    shop: Shop, stripe: StripeStandIn, forgery: str
) -> None:
    caster = shop.new_caster()
    event = stripe.pay(shop.top_up(caster, "10"))
    if forgery == "wrong-secret":
        answer = shop.deliver(event, secret="whsec_someone_else")
    elif forgery == "stale":
        answer = shop.deliver(event, at=int(time.time()) - 600)
    else:
        body, signature = signed(event)
        if forgery == "tampered":
            body = body.replace(b'"amount_subtotal": 1000', b'"amount_subtotal": 9999999')
        headers = {"Stripe-Signature": signature} if forgery == "tampered" else {}
        answer = shop.client.post("/v1/webhooks/stripe", content=body, headers=headers)
    assert answer.status_code == 400 and answer.json()["code"] == "webhook_signature_invalid"
    assert shop.available(caster) == 0

    async def recorded() -> int:
        return len(
            await shop.platform.db.read(lambda session: list(session.execute(select(PaymentEvent)).scalars()))
        )

    assert shop.client.portal.call(recorded) == 0  # type: ignore[union-attr]


@pytest.mark.parametrize("shop", [{}, {"redis": True}], ids=["database", "redis-fast-path"], indirect=True)
def test_a_refund_of_spent_credits_is_debt_that_the_next_top_up_repays(
    shop: Shop, stripe: StripeStandIn
) -> None:
    caster = shop.new_caster()
    first = shop.top_up(caster, "5")
    shop.deliver(stripe.pay(first))
    assert cast(shop, caster, FOUR_DOLLARS).status_code == 200  # $1 left
    shop.deliver(stripe.refunded(first, 200))  # a partial refund of $2 first...
    assert shop.available(caster) == 0
    refused = cast(shop, caster)
    assert (refused.status_code, refused.json()["code"], refused.json()["debt_micros"]) == (
        402,
        "account_in_debt",
        1_000_000,
    )
    again = stripe.refunded(first, 500)  # ...then the rest; delivered twice, taken once
    shop.deliver(again)
    shop.deliver(again)
    shop.deliver(stripe.refunded(first, 200))  # an older event arriving late changes nothing
    assert cast(shop, caster).json()["debt_micros"] == 4_000_000
    kinds = [(p["kind"], p["amount"]["usd"]) for p in shop.payments(caster)]
    assert kinds == [("refund", "-3"), ("refund", "-2"), ("top_up", "5")]

    second = shop.top_up(caster, "10")
    shop.deliver(stripe.pay(second))
    assert shop.available(caster) == 6_000_000  # $4 of the $10 repaid the debt
    assert cast(shop, caster).status_code == 200
    shop.assert_ledger_sound()


@pytest.mark.parametrize("outcome", ["won", "lost"])
def test_a_dispute_freezes_the_credits_until_it_closes(
    shop: Shop, stripe: StripeStandIn, outcome: str
) -> None:
    caster = shop.new_caster()
    session_id = shop.top_up(caster, "10")
    shop.deliver(stripe.pay(session_id, tax_cents=80))
    shop.deliver(stripe.dispute(session_id, "needs_response", dispute_id=f"dp_{outcome}"))
    assert shop.available(caster) == 0
    assert cast(shop, caster).json()["code"] == "insufficient_credits"
    closed = stripe.dispute(session_id, outcome, dispute_id=f"dp_{outcome}")
    shop.deliver(closed)
    shop.deliver(closed)
    assert shop.available(caster) == (10_000_000 if outcome == "won" else 0)
    kinds = [p["kind"] for p in shop.payments(caster)]
    assert kinds == [f"dispute_{outcome}", "dispute", "top_up"]
    shop.assert_ledger_sound()


def test_an_operator_grants_and_corrects_credits_with_a_reason(shop: Shop, database: Database) -> None:
    operator = (Path(shop.settings.home) / "operator.key").read_text().strip()
    caster = shop.new_caster()
    caster_id = shop.call(caster, "GET", "/v1/users/me").json()["id"]
    given = shop.call(
        operator, "POST", f"/v1/admin/users/{caster_id}/credits", {"amount_usd": "3", "reason": "welcome"}
    )
    assert given.status_code == 201, given.text
    taken = shop.call(
        operator, "POST", f"/v1/admin/users/{caster_id}/credits", {"amount_usd": "-1", "reason": "typo"}
    )
    assert taken.status_code == 201
    assert shop.available(caster) == 2_000_000
    too_much = shop.call(
        operator, "POST", f"/v1/admin/users/{caster_id}/credits", {"amount_usd": "-5", "reason": "x"}
    )
    assert too_much.json()["code"] == "insufficient_credits"
    assert [(p["kind"], p["amount"]["usd"], p["reason"]) for p in shop.payments(caster)] == [
        ("grant", "-1", "typo"),
        ("grant", "3", "welcome"),
    ]
    # Every caster's first key has the admin scope: being an operator is what counts.
    refused = shop.call(
        caster, "POST", f"/v1/admin/users/{caster_id}/credits", {"amount_usd": "9", "reason": "me"}
    )
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
    nobody = shop.call(
        operator, "POST", "/v1/admin/users/usr_nobody/credits", {"amount_usd": "1", "reason": "x"}
    )
    assert nobody.status_code == 404
    # A grant refused before it runs leaves its Idempotency-Key free for the corrected request.
    once = {"Idempotency-Key": "grant-retried"}
    path = f"/v1/admin/users/{caster_id}/credits"
    zero = shop.call(operator, "POST", path, {"amount_usd": "0", "reason": "oops"}, headers=once)
    assert zero.status_code == 400 and zero.json()["code"] == "request_invalid"
    fixed = shop.call(operator, "POST", path, {"amount_usd": "0.25", "reason": "fixed"}, headers=once)
    assert fixed.status_code == 201, fixed.text
    assert shop.available(caster) == 2_250_000
    done = CliRunner().invoke(
        cli,
        ["credits", "grant", caster_id, "0.5", "--reason", "from the shell"],
        env={"SPELL_HOME": str(shop.settings.home), "SPELL_DATABASE_URL": database.url},
    )
    assert done.exit_code == 0, done.output
    assert shop.available(caster) == 2_750_000
    shop.assert_ledger_sound()


def test_a_grant_from_the_console_is_in_the_casters_own_records_like_one_over_rest(
    shop: Shop, database: Database
) -> None:
    operator = (Path(shop.settings.home) / "operator.key").read_text().strip()
    caster = shop.new_caster()
    caster_id = shop.call(caster, "GET", "/v1/users/me").json()["id"]
    env = {"SPELL_HOME": str(shop.settings.home), "SPELL_DATABASE_URL": database.url}
    over_rest = shop.call(
        operator, "POST", f"/v1/admin/users/{caster_id}/credits", {"amount_usd": "2", "reason": "welcome"}
    )
    assert over_rest.status_code == 201, over_rest.text
    at_console = CliRunner().invoke(cli, ["credits", "grant", caster_id, "0.5", "--reason", "sorry"], env=env)
    assert at_console.exit_code == 0, at_console.output
    payment_id = at_console.output.strip()

    trail = shop.call(caster, "GET", "/v1/users/me/audit").json()["items"]
    granted = [event for event in trail if event["action"] == "credits.granted"]
    assert [(e["via"], e["subject_id"], e["details"]["amount_micros"]) for e in granted] == [
        ("cli", caster_id, 500_000),
        ("rest", caster_id, 2_000_000),
    ]
    assert granted[0]["details"]["payment"] == payment_id
    export = shop.call(caster, "GET", "/v1/users/me/data-export").json()
    exported = [e for e in export["audit_trail"] if e["action"] == "credits.granted"]
    assert sorted(e["details"]["amount_micros"] for e in exported) == [500_000, 2_000_000]
    assert payment_id in {payment["id"] for payment in export["payments"]}

    # A correction takes back at most what is available, from the console as over REST.
    taking = ["credits", "grant", "--reason", "typo", "--", caster_id, "-9"]
    refused = CliRunner().invoke(cli, taking, env=env)
    assert refused.exit_code == 1
    assert refused.output.startswith("insufficient_credits: the caster has $2.5 available")
    shop.assert_ledger_sound()


def test_the_credits_an_account_is_made_with_are_a_grant_in_its_own_records(
    shop: Shop, database: Database
) -> None:
    env = {"SPELL_HOME": str(shop.settings.home), "SPELL_DATABASE_URL": database.url}
    made = CliRunner().invoke(cli, ["users", "create", "newcomer", "--credits", "1.5", "--json"], env=env)
    assert made.exit_code == 0, made.output
    key = json.loads(made.output)["api_key"]
    assert shop.available(key) == 1_500_000
    assert [(p["kind"], p["amount"]["usd"]) for p in shop.payments(key)] == [("grant", "1.5")]
    trail = shop.call(key, "GET", "/v1/users/me/audit").json()["items"]
    assert [(e["action"], e["via"]) for e in trail if e["action"] == "credits.granted"] == [
        ("credits.granted", "cli")
    ]
    # The local operator's starting credits, made at the first start, are one too.
    operator = (Path(shop.settings.home) / "operator.key").read_text().strip()
    assert [p["kind"] for p in shop.payments(operator)] == ["grant"]
    shop.assert_ledger_sound()


def test_without_stripe_there_is_nothing_to_pay(database: Database, tmp_path: Path) -> None:
    settings = Settings(
        home=tmp_path / "home", database_url=database.url, dev_mode=True, examples_dir=tmp_path
    )
    with TestClient(create_app(settings)) as client:
        key = (tmp_path / "home" / "operator.key").read_text().strip()
        started = client.post(
            "/v1/billing/checkout", json={"amount_usd": "10"}, headers={"Authorization": f"Bearer {key}"}
        )
        assert started.status_code == 404 and "ask its operator" in started.json()["detail"]
        assert client.post("/v1/webhooks/stripe", content=b"{}").status_code == 404


def test_racing_deliveries_of_one_payment_credit_it_once(shop: Shop, stripe: StripeStandIn) -> None:
    caster = shop.new_caster()
    session_id = shop.top_up(caster, "10")
    completed = stripe.pay(session_id)
    succeeded = stripe.async_succeeded(session_id)  # another event id for the same payment
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(shop.deliver, [completed, succeeded] * 6))
    assert all(answer.status_code == 200 for answer in answers), [a.text for a in answers]
    assert shop.available(caster) == 10_000_000
    assert len(shop.payments(caster)) == 1
    shop.assert_ledger_sound()


def balance_of(shop: Shop, account: str) -> int:
    async def read() -> int:
        balance, _ = await shop.platform.db.read(lambda session: Ledger(session).balance(account))
        return int(balance)

    return int(shop.client.portal.call(read))  # type: ignore[union-attr]


def test_a_top_up_paid_after_the_account_was_erased_is_refunded_not_credited(
    shop: Shop, stripe: StripeStandIn
) -> None:
    caster = shop.new_caster()
    user_id = shop.call(caster, "GET", "/v1/users/me").json()["id"]
    session_id = shop.top_up(caster, "10")
    assert shop.call(caster, "DELETE", "/v1/users/me").status_code == 204
    completed = stripe.pay(session_id, tax_cents=80)  # the payer finishes paying afterwards

    answer = shop.deliver(completed)
    assert answer.status_code == 200, answer.text
    assert answer.json()["outcome"] == "refunded to the payer: the account was erased"
    intent = stripe.sessions[session_id]["payment_intent"]

    def refunds() -> list[dict[str, Any]]:
        return [refund for refund in stripe.refunds.values() if refund["payment_intent"] == intent]

    [refund] = refunds()
    assert (refund["amount"], refund["reason"]) == (1080, "requested_by_customer")
    # Told again, or by another event for the same payment, nothing more is paid back.
    assert shop.deliver(completed).json()["outcome"] == "duplicate event"
    assert shop.deliver(stripe.async_succeeded(session_id)).json()["outcome"] == "already refunded"
    assert shop.deliver(stripe.refunded(session_id, 1080)).json()["outcome"].startswith("ignored")
    assert len(refunds()) == 1
    # Nothing was credited; the fee Stripe keeps of a refunded payment is the platform's expense.
    assert balance_of(shop, account_id(AccountKind.CASTER_CREDITS, user_id)) == 0
    assert balance_of(shop, account_id(AccountKind.PAYMENT_FEES)) == -stripe.fee_cents * 10_000
    shop.assert_ledger_sound()


def test_a_caster_short_of_credits_is_told_where_to_buy_them(shop: Shop) -> None:
    caster = shop.new_caster()
    refused = cast(shop, caster).json()
    assert (refused["code"], refused["top_up"]) == ("insufficient_credits", "POST /v1/billing/checkout")
    balance = shop.call(caster, "GET", "/v1/users/me/balance").json()
    assert (balance["debt"]["micros"], balance["frozen"]["micros"]) == (0, 0)


@pytest.mark.processes
async def test_an_agent_short_of_credits_is_offered_a_checkout_page(
    shop: Shop, stripe: StripeStandIn
) -> None:
    offered: list[ElicitRequestURLParams] = []

    async def open_link(context: Any, params: Any) -> ElicitResult:
        offered.append(params)
        return ElicitResult(action="accept")

    server = StdioServerParameters(command=str(ROOT / ".venv/bin/spell"), args=["mcp"], env=shop.env())
    async with Client(server, mode="legacy", elicitation_callback=open_link) as client:  # 2025-11-25
        for _ in range(2):  # the operator's $10 of dev credits: two $4 casts, then $2 left
            assert not (await client.call_tool(FOUR_DOLLARS.replace(".", "_"), {})).is_error
        refused = await client.call_tool(FOUR_DOLLARS.replace(".", "_"), {})
        budget = (await client.call_tool("budget_status", {})).structured_content
    assert refused.is_error and problem(refused)["code"] == "insufficient_credits"
    [link] = offered
    assert link.url.startswith("https://checkout.stripe.test/c/pay/")
    assert problem(refused)["top_up_url"] == link.url
    assert "top-up page was offered" in refused.content[0].text  # type: ignore[union-attr]
    session = stripe.sessions[link.elicitation_id]
    assert session["amount_subtotal"] == 500  # $2 short, and $5 is the smallest top-up
    assert budget["credits"]["available_usd"] == "2" and budget["credits"]["debt_usd"] == "0"  # type: ignore[index]


def test_refunds_in_parts_give_back_exactly_the_tax_collected(shop: Shop, stripe: StripeStandIn) -> None:
    caster = shop.new_caster()
    session_id = shop.top_up(caster, "10")
    shop.deliver(stripe.pay(session_id, tax_cents=83))  # $10.83 paid; 83 cents of it tax
    for cumulative in (333, 700, 1083):
        shop.deliver(stripe.refunded(session_id, cumulative))

    async def tax_owed() -> int:
        account = await shop.platform.db.read(lambda session: session.get(Account, "tax_liability"))
        return int(account.balance) if account else 0

    assert shop.client.portal.call(tax_owed) == 0  # type: ignore[union-attr]
    assert shop.available(caster) == 0
    refunds = [p for p in shop.payments(caster) if p["kind"] == "refund"]
    assert sum(p["amount"]["micros"] for p in refunds) == -10_000_000
    shop.assert_ledger_sound()


def test_a_top_up_while_stripe_is_unreachable_is_a_503_and_records_nothing(
    database: Database, tmp_path: Path, stripe: StripeStandIn
) -> None:
    gone = {**stripe.settings(), "stripe_api_base": f"http://127.0.0.1:{free_port()}"}
    settings = Settings(
        home=tmp_path / "home", database_url=database.url, dev_mode=True, examples_dir=tmp_path, **gone
    )  # type: ignore[arg-type]
    with TestClient(create_app(settings)) as client:
        key = (tmp_path / "home" / "operator.key").read_text().strip()
        started = client.post(
            "/v1/billing/checkout", json={"amount_usd": "10"}, headers={"Authorization": f"Bearer {key}"}
        )
        assert started.status_code == 503 and started.json()["code"] == "payment_provider_unavailable"
        assert "try again" in started.json()["detail"]
        payments = client.get("/v1/billing/payments", headers={"Authorization": f"Bearer {key}"}).json()
        assert [payment["kind"] for payment in payments["items"]] == ["grant"]  # the starting credits alone
