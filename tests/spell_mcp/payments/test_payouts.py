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
from tests.stripe_standin import StripeStandIn

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
