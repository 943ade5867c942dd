"""Makers get paid: a connected account each, and a payout job that pays every maker its earnings
older than the refund window, once per maker and day, whatever crashes or races."""

from __future__ import annotations

import os
import signal
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from spell_mcp.database.tables import Payout
from spell_mcp.payments.payouts import run_payouts
from tests.conftest import ROOT
from tests.spell_mcp.payments.shop import FOUR_DOLLARS, Shop, cast
from tests.stripe_standin import CONNECT_ENDPOINT, PLATFORM_ENDPOINT, WEBHOOK_SECRET, StripeStandIn

MAKER_SHARE = 3_200_000  # 80 % of the $4 spell


def operator_key(shop: Shop) -> str:
    return (Path(shop.settings.home) / "operator.key").read_text().strip()


def onboard(shop: Shop, stripe: StripeStandIn) -> str:
    """The operator (maker of the bundled spells) opens its payout account and finishes onboarding."""
    maker = operator_key(shop)
    opened = shop.call(maker, "POST", "/v1/makers/me/payouts/account", {"country": "US"})
    assert opened.status_code == 200, opened.text
    account = opened.json()
    assert account["onboarding_url"].startswith("https://connect.stripe.test/setup/")
    assert account["payouts_enabled"] is False
    assert shop.deliver(stripe.onboarded(account["account_id"])).json()["outcome"] == "payouts enabled"
    assert shop.call(maker, "GET", "/v1/makers/me/payouts/account").json()["payouts_enabled"] is True
    again = shop.call(maker, "POST", "/v1/makers/me/payouts/account", {"country": "US"}).json()
    assert again["account_id"] == account["account_id"], "one account per maker"
    return str(account["account_id"])


def earn(shop: Shop, stripe: StripeStandIn, casts: int) -> None:
    caster = shop.new_caster()
    shop.deliver(stripe.pay(shop.top_up(caster, str(4 * casts))))
    for _ in range(casts):
        assert cast(shop, caster, FOUR_DOLLARS).status_code == 200


def pay(shop: Shop, when: datetime) -> list[str]:
    async def run() -> list[str]:
        assert shop.platform.stripe is not None
        return await run_payouts(shop.platform.db, shop.platform.stripe, shop.settings, now=when)

    lines: list[str] = shop.client.portal.call(run)  # type: ignore[union-attr]
    return lines


def payouts(shop: Shop) -> list[Payout]:
    async def read() -> list[Payout]:
        return await shop.platform.db.read(lambda session: list(session.execute(select(Payout)).scalars()))

    rows: list[Payout] = shop.client.portal.call(read)  # type: ignore[union-attr]
    return rows


def test_earnings_older_than_the_refund_window_are_paid_once(shop: Shop, stripe: StripeStandIn) -> None:
    account = onboard(shop, stripe)
    earn(shop, stripe, 4)
    now = datetime.now(UTC)
    assert pay(shop, now) == [], "earnings inside the refund window wait"
    later = now + timedelta(days=8)
    [line] = pay(shop, later)
    assert line.startswith("paid")
    [transfer] = [t for t in stripe.transfers.values() if t["destination"] == account]
    assert transfer["amount"] == 4 * MAKER_SHARE // 10_000
    assert pay(shop, later) == [] and pay(shop, later + timedelta(hours=1)) == [], "once per day"

    [statement] = shop.call(operator_key(shop), "GET", "/v1/makers/me/payouts").json()["items"]
    assert (
        statement["casts"],
        statement["gross"]["usd"],
        statement["platform"]["usd"],
        statement["amount"]["usd"],
    ) == (
        4,
        "16",
        "3.2",
        "12.8",
    )
    assert (statement["status"], statement["transfer_id"]) == ("paid", transfer["id"])
    csv = shop.call(operator_key(shop), "GET", "/v1/makers/me/payouts", params={"format": "csv"}).text
    assert "12.8" in csv.splitlines()[1]
    # Stripe reverses the transfer: the money is the maker's earnings again, once.
    reversal = stripe.reversed(transfer["id"], transfer["amount"])
    shop.deliver(reversal)
    shop.deliver(reversal)
    assert payouts(shop)[0].status == "reversed"
    earnings = shop.call(operator_key(shop), "GET", "/v1/makers/me/earnings").json()["balance"]["micros"]
    assert earnings >= 4 * MAKER_SHARE
    shop.assert_ledger_sound()


def test_less_than_the_minimum_waits(shop: Shop, stripe: StripeStandIn) -> None:
    onboard(shop, stripe)
    earn(shop, stripe, 2)  # $6.40 < $10
    assert pay(shop, datetime.now(UTC) + timedelta(days=8)) == []
    assert payouts(shop) == []


def spell_payouts(shop: Shop, **popen: Any) -> subprocess.Popen[str]:
    env = {**shop.env(), "SPELL_PAYOUT_DELAY_DAYS": "0"}
    return subprocess.Popen(
        [str(ROOT / ".venv/bin/spell"), "payouts", "run"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **popen,
    )


@pytest.mark.processes
def test_a_payout_job_killed_after_stripe_paid_pays_once_when_run_again(
    shop: Shop, stripe: StripeStandIn
) -> None:
    account = onboard(shop, stripe)
    earn(shop, stripe, 4)
    job = spell_payouts(shop)
    # Stripe makes the transfer; the job dies before it hears back, let alone records it.
    stripe.on_transfer = lambda: os.kill(job.pid, signal.SIGKILL)
    try:
        job.communicate(timeout=120)
    finally:
        stripe.on_transfer = None
    assert job.returncode == -signal.SIGKILL
    assert [p.status for p in payouts(shop)] == ["pending"]
    out, err = spell_payouts(shop).communicate(timeout=120)
    assert "paid" in out, out + err
    mine = [t for t in stripe.transfers.values() if t["destination"] == account]
    assert len(mine) == 1, "the second run found the first run's transfer instead of paying again"
    [payout] = payouts(shop)
    assert (payout.status, payout.transfer_id) == ("paid", mine[0]["id"])
    shop.assert_ledger_sound()


@pytest.mark.processes
def test_two_payout_jobs_at_once_make_one_transfer(shop: Shop, stripe: StripeStandIn) -> None:
    account = onboard(shop, stripe)
    earn(shop, stripe, 4)
    jobs = [spell_payouts(shop) for _ in range(2)]
    outputs = [job.communicate(timeout=120) for job in jobs]
    assert all(job.returncode == 0 for job in jobs), outputs
    assert len([t for t in stripe.transfers.values() if t["destination"] == account]) == 1
    assert [p.status for p in payouts(shop)] == ["paid"]
    shop.assert_ledger_sound()


def test_a_cast_refunded_after_payout_is_clawed_back_from_the_next_one(
    shop: Shop, stripe: StripeStandIn
) -> None:
    onboard(shop, stripe)
    caster = shop.new_caster()
    shop.deliver(stripe.pay(shop.top_up(caster, "40")))
    casts = [cast(shop, caster, FOUR_DOLLARS).json()["cast_id"] for _ in range(4)]
    # A week on, to the moment: these casts are paid, and later ones fall after this cutoff.
    assert pay(shop, datetime.now(UTC) + timedelta(days=7))[0].startswith("paid")  # $12.80

    operator = operator_key(shop)
    refunded = shop.call(
        operator, "POST", f"/v1/admin/casts/{casts[0]}/refund", {"reason": "spell misbehaved"}
    )
    assert refunded.status_code == 201, refunded.text
    assert shop.available(caster) == 28_000_000  # $40 - 4 x $4 + $4 back
    again = shop.call(operator, "POST", f"/v1/admin/casts/{casts[0]}/refund", {"reason": "twice"})
    assert again.status_code == 400, "a cast is refunded once"
    refused = shop.call(caster, "POST", f"/v1/admin/casts/{casts[1]}/refund", {"reason": "me"})
    assert refused.status_code == 403
    earnings = shop.call(operator, "GET", "/v1/makers/me/earnings").json()["balance"]["micros"]
    assert earnings < 0, "the paid-out share is owed back"

    for _ in range(4):  # +$12.80, less the $3.20 owed: $9.60, under the $10 minimum
        cast(shop, caster, FOUR_DOLLARS)
    assert pay(shop, datetime.now(UTC) + timedelta(days=8)) == []
    cast(shop, caster, FOUR_DOLLARS)  # +$3.20: $12.80 payable
    assert pay(shop, datetime.now(UTC) + timedelta(days=8))[0].startswith("paid")
    latest = shop.call(operator, "GET", "/v1/makers/me/payouts").json()["items"][0]
    assert (latest["casts"], latest["clawbacks"]["usd"], latest["amount"]["usd"]) == (5, "3.2", "12.8")
    shop.assert_ledger_sound()


def test_a_transfer_stripe_refuses_fails_the_payout_and_the_earnings_wait(
    shop: Shop, stripe: StripeStandIn
) -> None:
    account = onboard(shop, stripe)
    earn(shop, stripe, 4)
    stripe.accounts[account]["payouts_enabled"] = False  # Stripe changed its mind; no event yet
    [line] = pay(shop, datetime.now(UTC) + timedelta(days=8))
    assert "refused by Stripe" in line
    [payout] = payouts(shop)
    assert payout.status == "failed"
    earnings = shop.call(operator_key(shop), "GET", "/v1/makers/me/earnings").json()["balance"]["micros"]
    assert earnings >= 4 * MAKER_SHARE, "the earnings came back from payout clearing"
    assert not [t for t in stripe.transfers.values() if t["destination"] == account]
    shop.assert_ledger_sound()


def open_account(shop: Shop) -> str:
    opened = shop.call(operator_key(shop), "POST", "/v1/makers/me/payouts/account", {"country": "US"})
    assert opened.status_code == 200, opened.text
    return str(opened.json()["account_id"])


def account_info(shop: Shop) -> dict[str, Any]:
    info: dict[str, Any] = shop.call(operator_key(shop), "GET", "/v1/makers/me/payouts/account").json()
    return info


def transfers_to(stripe: StripeStandIn, account: str) -> list[dict[str, Any]]:
    return [t for t in stripe.transfers.values() if t["destination"] == account]


def asked_about(stripe: StripeStandIn, account: str) -> int:
    return sum(
        1 for method, path, _ in stripe.requests if (method, path) == ("GET", f"/v1/accounts/{account}")
    )


def test_a_maker_onboarded_by_a_connect_signed_update_is_paid_and_a_platform_signed_copy_is_refused(
    shop: Shop, stripe: StripeStandIn
) -> None:
    """Stripe sends a connected account's events only to a Connect endpoint, signed with that
    endpoint's own secret and naming the account: that is what makes a maker payable. The same
    event signed with the platform endpoint's secret is refused at the Connect endpoint, and the
    platform endpoint never acts on a connected account's events."""
    account = open_account(shop)
    earn(shop, stripe, 4)
    update = stripe.onboarded(account)
    assert update["account"] == account

    forged = shop.post_signed(CONNECT_ENDPOINT, update, secret=WEBHOOK_SECRET)
    assert (forged.status_code, forged.json()["code"]) == (400, "webhook_signature_invalid")
    at_platform = shop.post_signed(PLATFORM_ENDPOINT, update)
    assert (at_platform.status_code, at_platform.json()["code"]) == (400, "request_invalid")
    assert "Connect endpoint" in at_platform.json()["detail"]
    own = {key: value for key, value in update.items() if key != "account"} | {"id": "evt_platform_own"}
    assert (
        shop.post_signed(PLATFORM_ENDPOINT, own).json()["outcome"].startswith("ignored: the platform's own")
    )
    assert account_info(shop)["payouts_enabled"] is False

    heard = shop.deliver(update)  # as Stripe sends it: to the Connect endpoint, its own secret
    assert (heard.status_code, heard.json()["outcome"]) == (200, "payouts enabled")
    assert account_info(shop)["payouts_enabled"] is True
    [line] = pay(shop, datetime.now(UTC) + timedelta(days=8))
    assert line.startswith("paid"), line
    [transfer] = transfers_to(stripe, account)
    assert transfer["amount"] == 4 * MAKER_SHARE // 10_000
    assert asked_about(stripe, account) == 0, "the event said so: Stripe was not asked"
    shop.assert_ledger_sound()


def test_the_payout_job_asks_stripe_before_passing_over_a_maker_no_event_said_was_payable(
    shop: Shop, stripe: StripeStandIn
) -> None:
    """A Connect endpoint missing, late or lost does not keep a maker unpaid: the job asks Stripe
    for the account (GET /v1/accounts/{id}) when the maker is owed a payout, and only then."""
    account = open_account(shop)
    stripe.accounts[account].update(
        payouts_enabled=True, details_submitted=True, capabilities={"transfers": "active"}
    )
    assert pay(shop, datetime.now(UTC) + timedelta(days=8)) == []
    assert asked_about(stripe, account) == 0, "owed nothing: nothing to ask"

    earn(shop, stripe, 4)
    [line] = pay(shop, datetime.now(UTC) + timedelta(days=8))
    assert line.startswith("paid"), line
    assert asked_about(stripe, account) == 1
    assert account_info(shop)["payouts_enabled"] is True
    shop.assert_ledger_sound()


def test_a_maker_stripe_says_cannot_be_paid_is_passed_over_until_it_can(
    shop: Shop, stripe: StripeStandIn
) -> None:
    account = open_account(shop)
    earn(shop, stripe, 4)
    later = datetime.now(UTC) + timedelta(days=8)
    stripe.accounts[account].update(payouts_enabled=True, capabilities={"transfers": "inactive"})
    assert pay(shop, later) == []
    assert asked_about(stripe, account) == 1
    assert payouts(shop) == [] and not transfers_to(stripe, account)
    # An update older than what Stripe last said changes nothing; a newer one does.
    stale = stripe.onboarded(account)
    stale["created"] -= 3600
    assert shop.deliver(stale).json()["outcome"] == "ignored: older than what is known of the account"
    assert shop.deliver(stripe.onboarded(account)).json()["outcome"] == "payouts enabled"
    assert pay(shop, later)[0].startswith("paid")
    shop.assert_ledger_sound()


def test_a_disconnected_account_is_sent_nothing_and_opening_one_again_links_a_new_account(
    shop: Shop, stripe: StripeStandIn
) -> None:
    account = onboard(shop, stripe)
    earn(shop, stripe, 4)
    gone = shop.deliver(stripe.deauthorized(account))
    assert gone.json()["outcome"] == "account disconnected: no more payouts to it"
    info = account_info(shop)
    assert (info["disconnected"], info["payouts_enabled"]) == (True, False)
    assert pay(shop, datetime.now(UTC) + timedelta(days=8)) == []
    assert asked_about(stripe, account) == 0 and not transfers_to(stripe, account)

    again = shop.call(operator_key(shop), "POST", "/v1/makers/me/payouts/account", {"country": "US"}).json()
    assert again["account_id"] != account and again["disconnected"] is False
    shop.deliver(stripe.onboarded(again["account_id"]))
    assert pay(shop, datetime.now(UTC) + timedelta(days=8))[0].startswith("paid")
    shop.assert_ledger_sound()


def test_the_makers_bank_payouts_are_shown_and_move_no_money(shop: Shop, stripe: StripeStandIn) -> None:
    account = onboard(shop, stripe)
    failed = shop.deliver(stripe.bank_payout(account, "failed", "The bank account has been closed."))
    assert failed.json()["outcome"] == "bank payout failed"
    info = account_info(shop)
    assert (info["bank_payout_status"], info["bank_payout_failure"]) == (
        "failed",
        "The bank account has been closed.",
    )
    shop.deliver(stripe.bank_payout(account, "paid"))
    info = account_info(shop)
    assert (info["bank_payout_status"], info["bank_payout_failure"]) == ("paid", None)
    shop.assert_ledger_sound()


def test_connect_events_for_accounts_spell_did_not_create_are_acknowledged_without_asking_stripe(
    shop: Shop, stripe: StripeStandIn
) -> None:
    stripe.accounts["acct_someone_else"] = {"id": "acct_someone_else", "object": "account"}
    before = len(stripe.requests)
    for update in (
        stripe.onboarded("acct_someone_else"),
        stripe.deauthorized("acct_someone_else"),
        stripe.bank_payout("acct_someone_else", "failed", "closed"),
    ):
        answer = shop.deliver(update)
        assert (answer.status_code, answer.json()["outcome"]) == (200, "ignored: not a maker's account")
    assert len(stripe.requests) == before
