"""What the payments tests share: the platform in-process with Stripe configured (a local
stand-in of Stripe's API, which the real `stripe` library talks to), and ways to act as its
people."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from billing import Account
from billing import audit as verify_ledger
from spell_mcp import audit
from spell_mcp.app import create_app
from spell_mcp.payments.grants import create_user_with_credits
from spell_mcp.platform import Platform
from spell_mcp.settings import Settings
from tests import wasm_modules as wat
from tests.conftest import Database, free_port, redis_url
from tests.spellbook import copy_examples, write_spell
from tests.stripe_standin import PLATFORM_ENDPOINT, StripeStandIn, delivery, signed, stripe_standin

FOUR_DOLLARS = "test.spell.four"


@pytest.fixture(scope="module")
def stripe() -> Iterator[StripeStandIn]:
    with stripe_standin(free_port()) as standin:
        yield standin


@dataclass
class Shop:
    """The platform in-process, with Stripe configured, and ways to act as its people."""

    client: TestClient
    settings: Settings

    @property
    def platform(self) -> Platform:
        platform: Platform = self.client.app.state.platform  # type: ignore[attr-defined]
        return platform

    def new_caster(self, credits_micros: int = 0) -> str:
        """A new caster's API key; with credits, granted as an operator does."""

        async def create() -> str:
            user = await self.platform.db.write(
                lambda session: create_user_with_credits(
                    session, audit.CONSOLE, "caster", credits_micros=credits_micros
                )
            )
            return user.api_key

        return str(self.client.portal.call(create))  # type: ignore[union-attr]

    def call(
        self,
        key: str,
        method: str,
        path: str,
        body: Any = None,
        headers: dict[str, str] | None = None,
        **kw: Any,
    ) -> Any:
        headers = {"Authorization": f"Bearer {key}", **(headers or {})}
        return self.client.request(method, path, json=body, headers=headers, **kw)

    def available(self, key: str) -> int:
        return int(self.call(key, "GET", "/v1/users/me/balance").json()["available"]["micros"])

    def top_up(self, key: str, usd: str, *, save_card: bool = False) -> str:
        started = self.call(key, "POST", "/v1/billing/checkout", {"amount_usd": usd, "save_card": save_card})
        assert started.status_code == 201, started.text
        return str(started.json()["id"])

    def deliver(self, event: dict[str, Any], **sign: Any) -> Any:
        """Post the event as Stripe would (tests/stripe_standin.py `delivery`); with `secret`,
        to the platform's endpoint signed with that secret."""
        if "secret" in sign:
            return self.post_signed(PLATFORM_ENDPOINT, event, **sign)
        path, body, headers = delivery(event, **sign)
        return self.client.post(path, content=body, headers=headers)

    def post_signed(self, path: str, event: dict[str, Any], **sign: Any) -> Any:
        body, signature = signed(event, **sign)
        headers = {"Stripe-Signature": signature, "Content-Type": "application/json"}
        return self.client.post(path, content=body, headers=headers)

    def payments(self, key: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = self.call(key, "GET", "/v1/billing/payments").json()["items"]
        return items

    def env(self) -> dict[str, str]:
        """The environment a `spell` command needs to act on this platform."""
        return {
            **os.environ,
            "SPELL_HOME": str(self.settings.home),
            "SPELL_DATABASE_URL": str(self.settings.database_url),
            "SPELL_STRIPE_SECRET_KEY": str(self.settings.stripe_secret_key),
            "SPELL_STRIPE_WEBHOOK_SECRET": str(self.settings.stripe_webhook_secret),
            "SPELL_STRIPE_CONNECT_WEBHOOK_SECRET": str(self.settings.stripe_connect_webhook_secret),
            "SPELL_STRIPE_API_BASE": str(self.settings.stripe_api_base),
        }

    def assert_ledger_sound(self) -> None:
        async def check() -> tuple[Any, int]:
            report = await self.platform.db.read(verify_ledger)
            total = await self.platform.db.read(
                lambda session: session.execute(select(func.sum(Account.balance))).scalar_one()
            )
            return report, int(total)

        report, total = self.client.portal.call(check)  # type: ignore[union-attr]
        assert report.ok, report.problems
        assert total == 0


@pytest.fixture
def shop(
    request: pytest.FixtureRequest,
    database: Database,
    tmp_path: Path,
    stripe: StripeStandIn,
    built_spells: Path,
) -> Iterator[Shop]:
    """Parametrize indirectly with {"redis": True} for the platform with its Redis fast path, and
    with {"settings": {...}} for other settings (Stripe's among them)."""
    spells = tmp_path / "spells"
    copy_examples(built_spells, spells)
    write_spell(spells, FOUR_DOLLARS, wat.writes('{"ok":true}'), price_usd="4")
    param = getattr(request, "param", {})
    extra = {"redis_url": redis_url()} if param.get("redis") else {}
    settings = Settings(
        home=tmp_path / "home",
        database_url=database.url,
        dev_mode=True,
        examples_dir=spells,
        **{**stripe.settings(), **extra, **param.get("settings", {})},  # type: ignore[arg-type]
    )
    with TestClient(create_app(settings)) as client:
        yield Shop(client, settings)


def cast(shop: Shop, key: str, spell: str = "dev.spell.echo") -> Any:
    return shop.call(key, "POST", f"/v1/spells/{spell}/cast", {"input": {"message": "x"}})
