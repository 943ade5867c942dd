"""The cast service owns a cast's side effects: a cast or a queued cast refused for want of credits
starts the caster's auto-reload and says so, whichever face it came through."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from spell_mcp import audit
from spell_mcp.accounts.keys import Caster
from spell_mcp.bootstrap import register_directory
from spell_mcp.database.tables import PaymentCustomer
from spell_mcp.errors import SpellError
from spell_mcp.payments import reloads
from spell_mcp.payments.grants import create_user_with_credits
from spell_mcp.payments.provider import StripeGateway
from spell_mcp.platform import Platform
from tests import wasm_modules as wat
from tests.spellbook import write_spell


class SavedCard(StripeGateway):
    """Stripe as an auto-reload meets it: the saved card is charged (nothing leaves the machine)."""

    def __init__(self) -> None:
        super().__init__("sk_test_unused", "whsec_unused")
        self.charged: list[int] = []

    async def charge_saved_card(
        self, *, customer: str, payment_method: str, amount_cents: int, user_id: str, reload_id: str
    ) -> str:
        self.charged.append(amount_cents)
        return "processing"


def reloads_below_a_dollar(user_id: str, session: Session) -> None:
    session.add(PaymentCustomer(user_id=user_id, provider_customer_id="cus_1", created_at=datetime.now(UTC)))
    reloads.card_saved(session, user_id, "pm_1")
    session.flush()
    reloads.configure(
        session, user_id, enabled=True, threshold=1_000_000, amount=10_000_000, monthly_cap=50_000_000
    )


@pytest.mark.parametrize("queued", [False, True])
async def test_a_cast_refused_for_want_of_credits_starts_the_auto_reload(
    dev_platform: Platform, tmp_path: Path, queued: bool
) -> None:
    platform = dev_platform
    card = platform.casts.stripe = SavedCard()
    owner = await platform.db.write(
        lambda session: create_user_with_credits(session, audit.CONSOLE, "caster", credits_micros=5_000)
    )
    write_spell(tmp_path / "spells", "test.spell.dear", wat.writes("{}"), price_usd="0.01")
    await register_directory(platform, tmp_path / "spells", owner.user_id)
    await platform.db.write(lambda session: reloads_below_a_dollar(owner.user_id, session))
    caster = Caster(owner.user_id, None, False)

    with pytest.raises(SpellError) as refused:
        if queued:
            await platform.casts.hold(caster, "test.spell.dear", {}, version=None, via="rest")
        else:
            await platform.casts.cast(caster, "test.spell.dear", {}, via="mcp-http")
    assert refused.value.code == "insufficient_credits"
    assert refused.value.extra["reloading"] is True
    assert "an auto-reload of your saved card has started" in refused.value.detail
    assert card.charged == [1_000]

    # One reload at a time: the next refusal says nothing of one.
    with pytest.raises(SpellError) as again:
        await platform.casts.cast(caster, "test.spell.dear", {}, via="rest")
    assert "reloading" not in again.value.extra
    assert card.charged == [1_000]
